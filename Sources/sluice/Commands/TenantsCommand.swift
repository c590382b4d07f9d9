import ArgumentParser
import SluiceCore
import SluiceGateway
import SluiceLedger

/// `sluice tenants`: tenant and API-key management for the gateway. Tenants live in the ledger's tenant store (keys
/// only as SHA-256); a running gateway picks changes up within `tenantRefreshSeconds`.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants", abstract: "Manage gateway tenants, their API keys, budgets and SLO classes.",
        subcommands: [Add.self, List.self, Remove.self, SetBudget.self, HashKey.self])

    /// `sluice tenants add NAME`.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a tenant (or replace one of the same name); prints a generated key once unless --key is given.")

        @Argument(help: "Tenant name.")
        var name: String
        @Option(help: "Its API key (default: a new random key, printed once).")
        var key: String?
        @Option(help: ArgumentHelp("Budget per period: usd=N,tokens=N,period=SECONDS,over=reject|downgrade.", valueName: "SPEC"))
        var budget: String?
        @Option(help: "Default SLO class of its requests (a name of the configuration's sloClasses).")
        var sloClass: String?
        @Option(help: "Requests per minute it may send to one gateway replica (429 rate_limited beyond).")
        var rpm: Int?
        @OptionGroup var store: LedgerOptions

        func run() async throws {
            if let rpm, rpm < 1 { throw SluiceError.invalidValue(field: "--rpm", value: "\(rpm)", allowed: "a positive integer") }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw SluiceError.invalidValue(field: "NAME", value: name, allowed: "letters, digits, '-', '_' and '.'")
            }
            if let budget { _ = try TenantBudget.parse("\(name):\(budget)") }
            if let key, key.count < 8 { throw SluiceError.invalidValue(field: "--key", value: "(\(key.count) characters)", allowed: "at least 8 characters") }
            let store = try await store.open()
            let apiKey = key ?? APIKeys.generate()
            let existing = try await store.tenants()
            let hash = APIKeys.sha256Hex(apiKey)
            if let clash = existing.first(where: { $0.keySHA256 == hash && $0.name != name }) {
                await store.close()
                throw SluiceError.invalidValue(field: "--key", value: "(hidden)", allowed: "a key not already used by tenant '\(clash.name)'")
            }
            try await store.upsertTenant(TenantRecord(name: name, keySHA256: hash, budget: budget, sloClass: sloClass, requestsPerMinute: rpm))
            await store.close()
            print(existing.contains { $0.name == name } ? "replaced tenant \(name)" : "added tenant \(name)")
            if key == nil { print("api key (shown once): \(apiKey)") }
        }
    }

    /// `sluice tenants list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored tenants (keys are shown only as hash prefixes).")
        @OptionGroup var store: LedgerOptions

        func run() async throws {
            let store = try await store.open()
            let tenants = try await store.tenants()
            await store.close()
            var table = TextTable(["tenant", "key sha256", "budget", "slo class", "requests/min"])
            for t in tenants {
                table.add([t.name, String(t.keySHA256.prefix(12)) + "…", t.budget ?? "-", t.sloClass ?? "-", t.requestsPerMinute.map(String.init) ?? "-"])
            }
            print(table.render(), terminator: "")
        }
    }

    /// `sluice tenants remove NAME`.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a tenant (its key stops working; its ledger entries stay).")
        @Argument(help: "Tenant name.")
        var name: String
        @OptionGroup var store: LedgerOptions

        func run() async throws {
            let store = try await store.open()
            let removed = try await store.removeTenant(named: name)
            await store.close()
            guard removed else { throw SluiceError.invalidValue(field: "NAME", value: name, allowed: "a stored tenant (see sluice tenants list)") }
            print("removed tenant \(name)")
        }
    }

    /// `sluice tenants set-budget NAME SPEC`.
    struct SetBudget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set or clear (with 'none') a tenant's budget.")
        @Argument(help: "Tenant name.")
        var name: String
        @Argument(help: "usd=N,tokens=N,period=SECONDS,over=reject|downgrade, or none.")
        var budget: String
        @OptionGroup var store: LedgerOptions

        func run() async throws {
            if budget != "none" { _ = try TenantBudget.parse("\(name):\(budget)") }
            let store = try await store.open()
            guard var tenant = try await store.tenants().first(where: { $0.name == name }) else {
                await store.close()
                throw SluiceError.invalidValue(field: "NAME", value: name, allowed: "a stored tenant (see sluice tenants list)")
            }
            tenant.budget = budget == "none" ? nil : budget
            try await store.upsertTenant(tenant)
            await store.close()
            print("tenant \(name): budget \(tenant.budget ?? "none")")
        }
    }

    /// `sluice tenants hash-key KEY`.
    struct HashKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-key", abstract: "Print the SHA-256 of an API key, as a tenant's keySHA256 in the gateway configuration.")

        @Argument(help: "The API key.")
        var key: String

        func run() throws { print(APIKeys.sha256Hex(key)) }
    }
}

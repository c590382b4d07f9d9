import Foundation
import ArgumentParser
import SluiceCore
import SluiceGateway
import SluiceLedger

/// Where `sluice tenants` and `sluice usage` find the ledger and tenant store: the gateway's configuration (its
/// `ledger:` section), or a store named directly.
struct LedgerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Gateway configuration whose 'ledger:' names the store.", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("SQLite ledger file.", valueName: "FILE"))
    var sqlite: String?

    @Option(help: ArgumentHelp("PostgreSQL ledger (postgres://user:password@host:port/database).", valueName: "URL"))
    var postgres: String?

    /// The store named, for reports (a PostgreSQL URL without its password).
    func describe() -> String {
        if let sqlite { return "SQLite \(sqlite)" }
        if let postgres {
            let bare = postgres.replacingOccurrences(of: #"://([^:@/]+):[^@]*@"#, with: "://$1:***@", options: .regularExpression)
            return "PostgreSQL \(bare)"
        }
        return config.map { "the ledger of \($0)" } ?? "-"
    }

    /// Opens the store. - Throws: a usage error unless exactly one source is named; ``LedgerError`` when it cannot open.
    func open() async throws -> any LedgerStore {
        let given = [config, sqlite, postgres].compactMap { $0 }
        guard given.count == 1 else {
            throw ValidationError("name the store with exactly one of --config FILE, --sqlite FILE and --postgres URL")
        }
        if let sqlite { return try SQLiteLedgerStore(path: sqlite) }
        if let postgres { return try await PostgresLedgerStore(url: postgres) }
        let configuration = try GatewayConfig.load(path: config!)
        switch configuration.ledger {
        case .none: throw SluiceError.invalidValue(field: "ledger in \(config!)", value: "none", allowed: "an sqlite or postgres ledger")
        case .sqlite(let path, let synchronous):
            return try SQLiteLedgerStore(path: path, synchronous: SQLiteLedgerStore.Synchronous(rawValue: synchronous) ?? .normal)
        case .postgres(let url): return try await PostgresLedgerStore(url: url)
        }
    }
}

import ArgumentParser
import SluiceGateway

/// `sluice tenants`: tenant and API-key management for the gateway.
struct TenantsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants", abstract: "Manage gateway tenants and API keys.", subcommands: [HashKey.self])

    /// `sluice tenants hash-key KEY`.
    struct HashKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-key", abstract: "Print the SHA-256 of an API key, as a tenant's keySHA256 in the gateway configuration.")

        @Argument(help: "The API key.")
        var key: String

        func run() throws { print(APIKeys.sha256Hex(key)) }
    }
}

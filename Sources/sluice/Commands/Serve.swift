import ArgumentParser
import Foundation
import SluiceCore
import SluiceGateway

/// `sluice serve`: the OpenAI-compatible gateway.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the OpenAI-compatible gateway in front of real engines (POST /v1/chat/completions, /v1/completions).",
        discussion: """
            The configuration (YAML) names the listening address, the router (any of 'sluice simulate --help') and the \
            upstream engines: name, url, model, engine, pricePerHourUSD (or per-token prices), maxConcurrency; the ledger \
            (sqlite file, default sluice-ledger.db beside the configuration, or postgres URL), tenants and SLO classes. \
            See the README for the schema.
            """)

    @Option(help: ArgumentHelp("Gateway configuration file (YAML).", valueName: "FILE"))
    var config: String

    @Option(help: "Override the configured port (0: any free port; the port in use is printed).")
    var port: Int?

    func run() async throws {
        var configuration = try GatewayConfig.load(path: config)
        if let port {
            guard (0...65_535).contains(port) else { throw SluiceError.invalidValue(field: "--port", value: "\(port)", allowed: "0...65535") }
            configuration.listen.port = port
        }
        let gateway = try await Gateway.open(config: configuration)
        let host = configuration.listen.host
        let ledger: String
        switch configuration.ledger {
        case .none: ledger = "no ledger"
        case .sqlite(let path, _): ledger = "ledger sqlite:\(path)"
        case .postgres(let url): ledger = "ledger \(url.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression))"
        }
        let summary = "\(configuration.upstreams.count) upstreams, router \(configuration.router), \(ledger)"
        do {
            try await gateway.run { port in
                FileHandle.standardOutput.write(Data("sluice gateway listening on http://\(host):\(port) (\(summary))\n".utf8))
            }
        } catch where "\(error)".contains("Address already in use") {
            await gateway.shutdown()
            throw SluiceError.invalidValue(
                field: port == nil ? "listen.port (\(config))" : "--port", value: "\(configuration.listen.port)",
                allowed: "a free port: \(host):\(configuration.listen.port) is already in use; choose another with --port N or listen.port (0: any free port)")
        }
    }
}

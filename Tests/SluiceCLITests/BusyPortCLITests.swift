import Foundation
import Testing

/// A busy port is an error a person can act on (issue 15): it names the port and the flag that changes it.
struct BusyPortCLITests {
    @Test func aBusyPortNamesThePortAndTheFlag() throws {
        let engine = try GatewayCLITests.Server(["engine", "--port", "0", "--served-model-name", "m"])
        defer { engine.kill() }
        let second = try CLIRunner.run(["engine", "--port", "\(engine.port)", "--served-model-name", "m"])
        #expect(second.status != 0 && second.stderr.contains("--port") && second.stderr.contains("\(engine.port)") && second.stderr.contains("in use"),
                "\(second.stderr)")
        let dir = try CLIRunner.temporaryDirectory()
        let config = dir.appendingPathComponent("gw.yaml")
        try """
            listen: { host: 127.0.0.1, port: \(engine.port) }
            ledger: none
            upstreams:
              - { name: a, url: "http://127.0.0.1:1", model: m }
            """.write(to: config, atomically: true, encoding: .utf8)
        let gateway = try CLIRunner.run(["serve", "--config", config.path])
        #expect(gateway.status != 0 && gateway.stderr.contains("--port") && gateway.stderr.contains("in use"), "\(gateway.stderr)")
    }
}

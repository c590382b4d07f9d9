import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The gateway learns an upstream's real speed (issue 14, item 6): an emulated engine runs Llama-3.1-8B at A100 speed
/// while the gateway's configuration says H100; after a few streamed answers the learned time per output token matches
/// what the engine delivered, not the catalog's H100 figure.
@Suite(.serialized)
struct LearnedSpeedCLITests {
    static func stream(_ port: Int, maxTokens: Int) async throws -> Double {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = Data(#"{"model":"m","max_tokens":\#(maxTokens),"stream":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8)
        let start = Date()
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        return Date().timeIntervalSince(start)
    }

    static func gauge(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
            if let v = line.split(separator: " ").last.flatMap({ Double($0) }) { return v }
        }
        return nil
    }

    /// Output tokens of the long answers.
    static let longAnswerTokens = 41

    @Test func gatewayLearnsTheEnginesRealSpeed() async throws {
        let dir = try CLIRunner.temporaryDirectory()
        let engine = try GatewayCLITests.Server([
            "engine", "--port", "0", "--served-model-name", "m", "--model", "llama-3.1-8b", "--gpu", "a100-80g", "--calibration", "none",
        ])
        let config = dir.appendingPathComponent("gw.yaml")
        try """
            listen: { host: 127.0.0.1, port: 0 }
            ledger: { sqlite: ledger.db }
            upstreams:
              - { name: emulated, url: "http://127.0.0.1:\(engine.port)", model: m, engine: vllm, gpu: h100-sxm, catalogModel: llama-3.1-8b, pricePerHourUSD: 2.99 }
            """.write(to: config, atomically: true, encoding: .utf8)
        let gateway = try GatewayCLITests.Server(["serve", "--config", config.path])
        for _ in 0..<10 {
            _ = try await Self.stream(gateway.port, maxTokens: Self.longAnswerTokens)
            _ = try await Self.stream(gateway.port, maxTokens: 1)
        }
        // The engine's own account of the time between the tokens it delivered (vLLM's histogram): what the gateway
        // should have learned, free of the client's round-trip noise on a loaded machine.
        let (engineData, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(engine.port)/metrics")!)
        let engineText = String(decoding: engineData, as: UTF8.self)
        let sum = try #require(Self.gauge(engineText, "vllm:time_per_output_token_seconds_sum"), "\(engineText)")
        let count = try #require(Self.gauge(engineText, "vllm:time_per_output_token_seconds_count"))
        #expect(engineText.contains("# HELP vllm:num_requests_running") && engineText.contains("vllm:time_to_first_token_seconds_bucket"))
        let measured = sum / count
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(gateway.port)/metrics")!)
        let text = String(decoding: data, as: UTF8.self)
        let learned = try #require(Self.gauge(text, "sluice_upstream_learned_tpot_seconds"), "\(text)")
        let observations = try #require(Self.gauge(text, "sluice_upstream_speed_observations_requests"))
        #expect(observations >= 20)
        #expect(abs(learned / measured - 1) < 0.25, "learned \(learned) s vs the engine's \(measured) s per token")
        gateway.kill()
        engine.kill()
        // The same answers, from the ledger, make a calibration file for the upstream with a held-out error.
        let out = dir.appendingPathComponent("cal.json").path
        let cal = try CLIRunner.run([
            "calibrate", "--from-ledger", dir.appendingPathComponent("ledger.db").path, "--upstream", "emulated", "--model", "llama-3.1-8b",
            "--gpu", "a100-80g", "--fit", "weightStreamEfficiency,stepOverheadSeconds", "--output", out,
        ])
        #expect(cal.status == 0, "\(cal.stderr)")
        #expect(cal.stdout.contains("held out"))
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(file["heldOut"] != nil && file["gpu"] as? String == "a100-80g")
        let none = try CLIRunner.run(["calibrate", "--from-ledger", dir.appendingPathComponent("missing.db").path, "--upstream", "x", "--model", "llama-3.1-8b", "--gpu", "a100-80g"])
        #expect(none.status != 0 && none.stderr.contains("missing.db"))
    }
}

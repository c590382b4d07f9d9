import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `sluice engine`, `sluice serve`, `sluice tenants` and `sluice usage` as separate processes: an answered request is
/// in the ledger even when the gateway is killed right after (SIGKILL, no shutdown).
@Suite(.serialized)
struct GatewayCLITests {
    /// A running `sluice` server and the port it printed.
    final class Server {
        let process = Process()
        let port: Int
        init(_ arguments: [String]) throws {
            process.executableURL = CLIRunner.executable
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !text.contains("listening on http://") || !text.contains("\n") {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            guard let range = text.range(of: #"listening on http://[0-9.]+:([0-9]+)"#, options: .regularExpression),
                  let port = Int(text[range].split(separator: ":").last ?? "") else {
                process.terminate()
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no port in: \(text)"])
            }
            self.port = port
        }
        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        deinit { if process.isRunning { kill() } }
    }

    static func post(_ port: Int, _ body: String, key: String?) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "authorization") }
        request.httpBody = Data(body.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func answeredRequestsSurviveAKilledGatewayAndAreReported() async throws {
        let dir = try CLIRunner.temporaryDirectory()
        let ledger = dir.appendingPathComponent("ledger.db").path
        let added = try CLIRunner.run(["tenants", "add", "team", "--key", "team-secret-key", "--budget", "tokens=1000000", "--rpm", "600", "--sqlite", ledger])
        #expect(added.status == 0 && added.stdout.contains("added tenant team"), "\(added.stderr)")
        let generated = try CLIRunner.run(["tenants", "add", "ops", "--sqlite", ledger])
        #expect(generated.stdout.contains("api key (shown once): sk-sluice-"))
        let list = try CLIRunner.run(["tenants", "list", "--sqlite", ledger])
        #expect(list.stdout.contains("team") && list.stdout.contains("ops") && list.stdout.contains("600") && !list.stdout.contains("team-secret-key"))
        let missing = try CLIRunner.run(["tenants", "remove", "nobody", "--sqlite", ledger])
        #expect(missing.status == 2 && missing.stderr.contains("nobody"))

        let engine = try Server(["engine", "--port", "0", "--served-model-name", "tiny"])
        let config = dir.appendingPathComponent("gw.yaml")
        try """
            listen: { host: 127.0.0.1, port: 0 }
            ledger: { sqlite: ledger.db }
            upstreams:
              - { name: emulated, url: "http://127.0.0.1:\(engine.port)", model: tiny, engine: vllm, pricePerHourUSD: 2.99 }
            """.write(to: config, atomically: true, encoding: .utf8)
        let gateway = try Server(["serve", "--config", config.path])
        let chat = #"{"model":"tiny","max_tokens":4,"messages":[{"role":"user","content":"hello world"}]}"#
        let stream = #"{"model":"tiny","max_tokens":4,"stream":true,"messages":[{"role":"user","content":"hello world"}]}"#
        #expect(try await Self.post(gateway.port, chat, key: nil).0 == 401)
        var answered = 0
        for i in 0..<12 {
            let (status, body) = try await Self.post(gateway.port, i % 2 == 0 ? chat : stream, key: "team-secret-key")
            #expect(status == 200, "\(body)")
            if status == 200 { answered += 1 }
        }
        gateway.kill()
        engine.kill()
        let usageHTML = dir.appendingPathComponent("usage.html")
        let usage = try CLIRunner.run(["usage", "--sqlite", ledger, "--since", "1h", "--json", dir.appendingPathComponent("u.json").path, "--html", usageHTML.path])
        #expect(usage.status == 0, "\(usage.stderr)")
        let page = try String(contentsOf: usageHTML, encoding: .utf8)
        for title in ["Cost per tenant over time", "SLO attainment per upstream over time", "Predicted and actual cost per tenant"] {
            #expect(page.contains(title), "the usage report has \(title)")
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("u.json"))) as? [String: Any]
        let tenants = report?["byTenant"] as? [[String: Any]] ?? []
        let team = tenants.first { $0["key"] as? String == "team" }
        #expect(team?["requests"] as? Int == answered, "every answered request is in the ledger after SIGKILL: \(tenants)")
        #expect(team?["completionTokens"] as? Int == answered * 4)
        #expect((team?["costUSD"] as? Double ?? 0) > 0)
        #expect(tenants.first { $0["key"] as? String == "(none)" } == nil, "the 401 is counted in metrics, not written to the ledger")
        #expect(usage.stdout.contains("emulated"))
    }

    @Test func badGatewayConfigurationsNameTheField() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let config = dir.appendingPathComponent("bad.yaml")
        try "upstreams:\n  - { name: a, url: 'http://x:1', model: m, engine: tgi }\n".write(to: config, atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["serve", "--config", config.path])
        #expect(r.status != 0 && r.stderr.contains("engine") && r.stderr.contains("vllm, sglang, llama.cpp, openai"), "\(r.stderr)")
        try "ledger: { sqlite: a.db, postgres: 'postgres://x@h/d' }\nupstreams:\n  - { name: a, url: 'http://x:1', model: m }\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let both = try CLIRunner.run(["serve", "--config", config.path])
        #expect(both.status != 0 && both.stderr.contains("exactly one"), "\(both.stderr)")
        let since = try CLIRunner.run(["usage", "--sqlite", dir.appendingPathComponent("l.db").path, "--since", "yesterday"])
        #expect(since.status == 2 && since.stderr.contains("--since"))
    }
}

/// `sluice reproduce catp` end to end at reduced size.
struct ReproduceCATPCLITests {
    @Test func reproduceCATPWritesTheJSONKeys() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("catp.json").path
        let r = try CLIRunner.run(["reproduce", "catp", "--data", CLIRunner.sharedData.appendingPathComponent("catp").path, "--folds", "2", "--json", json, "--html", json + ".html"])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: URL(fileURLWithPath: json + ".html"), encoding: .utf8)
        #expect(page.contains("Score against cost") && page.contains("learned, α sweep") && page.contains("GPT-4"))
        #expect(r.stdout.contains("learned") && r.stdout.contains("best-score") && r.stdout.contains("not runnable here"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        for key in ["qop", "score", "cost", "costReductionVsBestScore"] { #expect(object?[key] != nil, "key \(key)") }
        #expect((object?["qop"] as? [String: Double])?.keys.sorted() == ["best-score", "cheapest", "fixed-chain", "hindsight-best", "learned"])
        #expect((object?["pools"] as? [String: Any])?.keys.sorted() == ["nonseq", "seq"])
        #expect((object?["alphaSweep"] as? [[String: Double]])?.count == 8 && object?["costReductionAtEqualOrBetterScore"] != nil)
        let bad = try CLIRunner.run(["reproduce", "catp", "--folds", "1"])
        #expect(bad.status == 2 && bad.stderr.contains("--folds"))
    }
}

/// `sluice plan` end to end: the choice, its predictions and runners-up, a run on emulated tools, clear errors.
struct PlanCLITests {
    static var data: String { CLIRunner.sharedData.appendingPathComponent("catp").path }

    @Test func plansATaskAndRunsItOnEmulatedTools() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("plan.json").path
        let r = try CLIRunner.run([
            "plan", "--data", Self.data, "--task", "201", "--size-level", "2", "--alpha", "0.7", "--max-steps", "3",
            "--execute", "--time-scale", "0.01", "--json", json,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("chosen plan:") && r.stdout.contains("runners-up:") && r.stdout.contains("actual price"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let chosen = try #require(object["chosen"] as? [String: Any])
        for key in ["plan", "tokens", "predictedScore", "predictedPriceUSD", "predictedTimeMs", "predictedQoP"] { #expect(chosen[key] != nil, "\(key)") }
        #expect((object["runnersUp"] as? [Any])?.count == 5)
        let run = try #require(object["run"] as? [String: Any])
        #expect(run["succeeded"] as? Bool == true)
        let actual = try #require(run["actualPriceUSD"] as? Double)
        #expect(actual > 0)
        // Runners-up rank no better than the choice.
        let qops = ((object["runnersUp"] as? [[String: Any]]) ?? []).compactMap { $0["predictedQoP"] as? Double }
        #expect(qops.allSatisfy { $0 <= (chosen["predictedQoP"] as? Double ?? 0) + 1e-12 })
    }

    @Test func badPlanRequestsAreRefusedWithWhatWasWrong() throws {
        let unknown = try CLIRunner.run(["plan", "--data", Self.data, "--task", "999"])
        #expect(unknown.status == 2 && unknown.stderr.contains("--task") && unknown.stderr.contains("0-86"), "\(unknown.stderr)")
        let unknownOutputs = try CLIRunner.run(["plan", "--data", Self.data, "--task", "200"])
        #expect(unknownOutputs.status == 2 && unknownOutputs.stderr.contains("--outputs"), "\(unknownOutputs.stderr)")
        let given = try CLIRunner.run(["plan", "--data", Self.data, "--task", "200", "--outputs", "image,text", "--max-steps", "2"])
        #expect(given.status == 0, "\(given.stderr)")
        let level = try CLIRunner.run(["plan", "--data", Self.data, "--task", "3", "--size-level", "4"])
        #expect(level.status == 2 && level.stderr.contains("--size-level") && level.stderr.contains("0...3"), "\(level.stderr)")
        let method = try CLIRunner.run(["plan", "--data", Self.data, "--task", "3", "--method", "gpt4"])
        #expect(method.status == 2 && method.stderr.contains("cheapest"), "\(method.stderr)")
        let tool = try CLIRunner.run(["plan", "--data", Self.data, "--task", "3", "--execute", "--tool", "nosuch=http://x"])
        #expect(tool.status == 2 && tool.stderr.contains("--tool"), "\(tool.stderr)")
    }
}

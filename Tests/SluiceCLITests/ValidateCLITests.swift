import Foundation
import Testing

/// `sluice validate`, `--concurrency` and the calibration statement through the CLI (issue 14).
@Suite(.serialized)
struct ValidateCLITests {
    @Test func validateWritesTheReportAndNamesAMalformedLine() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let csv = dir.appendingPathComponent("m.csv").path
        try """
            model,gpu,tp,dtype,concurrency,input_tokens,output_tokens,ttft_ms,tpot_ms,engine
            llama-3.1-8b,h100-sxm,1,bf16,1,200,50,20,7,vllm
            llama-3.1-8b,h100-sxm,1,bf16,8,200,50,60,9,vllm
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["validate", csv, "--json", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["rows"] as? Int == 2)
        for metric in ["ttft", "tpot", "e2e"] {
            let m = try #require(object[metric] as? [String: Any])
            for key in ["medianAPE", "p90APE", "meanAPE", "medianSignedError"] { #expect(m[key] is Double || m[key] is Int) }
        }
        #expect((object["groups"] as? [Any])?.count == 1)
        let text = try CLIRunner.run(["validate", csv])
        #expect(text.stdout.contains("median APE") && text.stdout.contains("step model:"))

        try "model,gpu,tp,dtype,concurrency,input_tokens,output_tokens,ttft_ms,tpot_ms\nllama-3.1-8b,h100-sxm,1,bf16,2,200,50,-3,7\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let bad = try CLIRunner.run(["validate", csv])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("m.csv:2") && bad.stderr.contains("ttft_ms"))
    }

    @Test func simulateRunsAClosedLoopAndStatesItsCalibration() throws {
        let r = try CLIRunner.run(["simulate", "--requests", "60", "--concurrency", "4", "--calibration", "none"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("closed loop: 4 clients"))
        #expect(r.stdout.contains("UNCALIBRATED"))
        let auto = try CLIRunner.run(["simulate", "--requests", "60", "--gpu", "h100-sxm"])
        #expect(auto.stdout.contains("calibrated by any@h100-sxm"))
        let think = try CLIRunner.run(["simulate", "--requests", "10", "--think-time", "1"])
        #expect(think.status != 0 && think.stderr.contains("--think-time"))
    }

    @Test func capacitySweepsConcurrencyAndRefusesABadList() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("c.json").path
        let r = try CLIRunner.run(["capacity", "--concurrency-sweep", "1,8", "--requests", "120", "--no-progress", "--json", json])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("clients") && r.stdout.contains("highest concurrency meeting"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let points = try #require(object["points"] as? [[String: Any]])
        #expect(points.map { $0["concurrency"] as? Int } == [1, 8])
        let one = try #require(points[0]["requestsPerSecond"] as? Double), eight = try #require(points[1]["requestsPerSecond"] as? Double)
        #expect(eight > one, "more clients, more throughput")
        let bad = try CLIRunner.run(["capacity", "--concurrency-sweep", "1,0"])
        #expect(bad.status != 0 && bad.stderr.contains("--concurrency-sweep"))
    }

    /// Writes a concurrency CSV of one `row` (after the header) and returns its path.
    static func oneRowCSV(_ name: String, _ row: String) throws -> String {
        let csv = try CLIRunner.temporaryDirectory().appendingPathComponent(name).path
        try "model,gpu,tp,dtype,concurrency,input_tokens,output_tokens,ttft_ms,tpot_ms,engine\n\(row)\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        return csv
    }

    /// The first configuration group of `validate FILE --json -` with `extra` flags.
    static func firstGroup(_ csv: String, _ extra: [String]) throws -> [String: Any] {
        let r = try CLIRunner.run(["validate", csv, "--json", "-"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return try #require((object["groups"] as? [[String: Any]])?.first)
    }

    @Test func trtllmFP8RowsKeepAnFP8KVCacheAndRoundTripsCanBeDrawn() throws {
        // Llama-3.1-70B FP8 at TP 2 with long prompts at high concurrency: a BF16 KV cache holds half the tokens.
        let csv = try Self.oneRowCSV("fp8.csv", "llama-3.1-70b,h100-sxm,2,fp8,100,2000,2000,800,60,trtllm")
        func ttft(_ extra: [String]) throws -> Double {
            let t = try #require(try Self.firstGroup(csv, extra)["ttft"] as? [String: Any])
            return try #require(t["medianSignedError"] as? Double)
        }
        let fp8KV = try ttft([])
        let bf16KV = try ttft(["--kv-dtype", "bf16"])
        #expect(bf16KV > fp8KV + 0.5, "a BF16 cache queues prompts for KV blocks: signed TTFT error \(bf16KV) vs \(fp8KV)")
        let drawn = try CLIRunner.run(["validate", csv, "--client-gap-distribution", "exponential"])
        #expect(drawn.status == 0, "\(drawn.stderr)")
        let bad = try CLIRunner.run(["validate", csv, "--client-gap-distribution", "gamma"])
        #expect(bad.status != 0 && bad.stderr.contains("--client-gap-distribution") && bad.stderr.contains("exponential"))
        let think = try CLIRunner.run(["simulate", "--requests", "40", "--concurrency", "4", "--think-time", "0.2", "--think-time-distribution", "exponential"])
        #expect(think.status == 0, "\(think.stderr)")
    }

    @Test func trtllmRowsReserveEachRequestsMaxTokensLikeGuaranteedNoEvict() throws {
        // 250 clients of 200 + 2,000 tokens need more KV than an H100 holds for Llama-3.1-8B once every request's whole
        // output is reserved: requests queue for admission (NIM measured a 15.2 s TTFT here).
        let csv = try Self.oneRowCSV("noevict.csv", "llama-3.1-8b,h100-sxm,1,bf16,250,200,2000,15196.1,29.06,trtllm")
        func simulatedTTFT(_ extra: [String]) throws -> Double {
            try #require(try Self.firstGroup(csv, extra)["simulatedMedianTTFTSeconds"] as? Double)
        }
        let reserved = try simulatedTTFT([])
        let vllm = try simulatedTTFT(["--scheduler", "vllm"])
        #expect(reserved > 3 * vllm, "reservation queues admissions: \(reserved) s vs \(vllm) s")
    }
}

import Foundation
import SluiceCore
import Testing

/// `--engine NAME` gives `simulate` (and every command built on the fleet flags) the engine's own defaults, the same
/// ones `validate` replays measured rows with (``EngineProfile``); explicit flags win.
@Suite struct EngineProfileCLITests {
    /// The engine settings of the first replica of a `simulate --json` run with `arguments`.
    func firstReplica(_ arguments: [String]) throws -> [String: Any] {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("s.json").path
        let r = try CLIRunner.run(["simulate", "--requests", "40", "--json", json, "--no-progress"] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        return try #require((object["engines"] as? [[String: Any]])?.first)
    }

    @Test func trtllmBringsItsAdmissionPolicyTokenBudgetAndFP8Cache() throws {
        let trt = try firstReplica(["--engine", "trtllm", "--dtype", "fp8"])
        #expect(trt["scheduler"] as? String == "orca")
        #expect(trt["maxBatchedTokens"] as? Int == EngineProfile.trtllm.maxBatchedTokens)
        let vllm = try firstReplica(["--engine", "vllm", "--dtype", "fp8"])
        #expect(vllm["scheduler"] as? String == "vllm")
        #expect(vllm["maxBatchedTokens"] as? Int == EngineProfile.vllm.maxBatchedTokens)
        // TensorRT-LLM pairs FP8 weights with an FP8 KV cache: twice the blocks of vLLM's BF16 cache in the same memory.
        let trtBlocks = try #require(trt["kvBlocks"] as? Int), vllmBlocks = try #require(vllm["kvBlocks"] as? Int)
        #expect(trtBlocks > vllmBlocks * 19 / 10)
    }

    @Test func explicitFlagsWinOverTheEngineDefaults() throws {
        let r = try firstReplica(["--engine", "trtllm", "--scheduler", "vllm", "--chunk-size", "4096"])
        #expect(r["scheduler"] as? String == "vllm")
        #expect(r["maxBatchedTokens"] as? Int == 4096)
        // Another scheduler than the engine's keeps its own budget.
        let sarathi = try firstReplica(["--engine", "trtllm", "--scheduler", "sarathi"])
        #expect(sarathi["maxBatchedTokens"] as? Int == 512)
    }

    @Test func unknownEngineIsAUsageErrorListingTheEngines() throws {
        let r = try CLIRunner.run(["simulate", "--engine", "tensorrt", "--requests", "10", "--no-progress"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("trtllm") && r.stderr.contains("sglang"))
    }
}

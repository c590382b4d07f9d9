import Testing
@testable import SluiceCore

/// ``EngineProfile``: one table of engine defaults, names checked.
@Suite struct EngineProfileTests {
    @Test func namesAreCaseInsensitiveAndNoNameIsNoEngine() throws {
        #expect(try EngineProfile.named("TRTLLM") == .trtllm)
        #expect(try EngineProfile.named(nil) == nil)
    }

    @Test func anUnknownEngineListsTheKnownOnes() {
        #expect(throws: SluiceError.self) { try EngineProfile.named("tensorrt") }
        do { _ = try EngineProfile.named("tensorrt") } catch {
            #expect(error.description.contains("vllm, sglang, trtllm"))
        }
    }

    @Test func everyProfileKeepsItsInvariants() {
        for p in EngineProfile.all {
            #expect(p.maxBatchedTokens > 0)
            #expect((0...1).contains(p.outputLagSteps))
            #expect(SchedulerRegistry.names.contains(p.scheduler), "\(p.name)'s scheduler \(p.scheduler) is registered")
            #expect(p.kvDtype(weights: "bf16") == "bf16")
        }
        #expect(EngineProfile.trtllm.kvDtype(weights: "fp8") == "fp8")
        #expect(EngineProfile.vllm.kvDtype(weights: "fp8") == "bf16")
        #expect(EngineProfile.trtllm.maxBatchedTokens(scheduler: "ORCA") == EngineProfile.trtllm.maxBatchedTokens)
        #expect(EngineProfile.trtllm.maxBatchedTokens(scheduler: "sarathi") == nil)
    }
}

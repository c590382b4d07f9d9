import SluiceCore
import SluiceSimulator
import Testing
import Foundation

/// SLAI in the simulator: decodes are deferred, but never past their last schedulable time.
struct SLAITests {
    static let classes = SLOClassTable([SLOClass(name: "chat", targets: SLOTargets(tbtSeconds: 0.2))])

    /// Long prompts keep the budget busy so SLAI has a reason to defer decodes.
    static func pressured(seed: UInt64) -> [Request] {
        var rng = SplitMix64(seed: seed)
        var t = 0.0
        return (0..<300).map { i in
            t += -log(1 - rng.nextUnit()) / 12
            return Request(id: i, arrivalSeconds: t, promptTokens: 500 + Int(rng.next() % 3000), outputTokens: 50 + Int(rng.next() % 300))
        }
    }

    @Test func decodesAreDeferredButMeetTheirTBT() throws {
        let (result, outcomes) = try Fixtures.run(Self.pressured(seed: 1), scheduler: "slai", classes: Self.classes)
        #expect(outcomes.count == 300)
        let tbt = result.metrics.overall.tbt
        // Mean batch time is a few ms on an H100: SLAI lets gaps grow well beyond one batch...
        #expect(tbt.percentile(99) > 0.05, "decodes were deferred (p99 gap \(tbt.percentile(99)), mean \(tbt.meanSeconds))")
        // ...but a decode is scheduled by its LST = last end + TBT - offset x mean batch, so no gap exceeds the TBT.
        let worst = outcomes.map(\.maxTBTSeconds).max() ?? 0
        #expect(worst <= 0.2, "largest gap \(worst)")
        let (sarathi, _) = try Fixtures.run(Self.pressured(seed: 1), scheduler: "sarathi", classes: Self.classes)
        #expect(sarathi.metrics.overall.tbt.meanSeconds < tbt.meanSeconds, "Sarathi decodes every iteration")
    }

    @Test func shortestPromptFirstCutsMedianTTFTUnderLoad() throws {
        let requests = Self.pressured(seed: 2)
        let (slai, _) = try Fixtures.run(requests, scheduler: "slai", classes: Self.classes)
        let (fcfs, _) = try Fixtures.run(requests, scheduler: "sarathi", classes: Self.classes)
        #expect(slai.metrics.overall.ttft.percentile(50) <= fcfs.metrics.overall.ttft.percentile(50))
    }

    @Test func offsetDoublesAboveTheMemoryLimit() {
        let s = SLAIScheduler()
        #expect(s.offset(kvUtilization: 0.5) == 5)
        #expect(s.offset(kvUtilization: 0.97) == 10)
        #expect(SLAIScheduler(parameters: .with { $0.fixedOffset = 10 }).offset(kvUtilization: 0.1) == 10)
    }

    @Test func criticalDecodesComeBeforePrefillsAndRespectTheBudget() {
        // Three decodes whose LST has passed and a long waiting prompt: the decodes go first, the prompt gets the rest.
        var engine = EngineState(
            kv: KVBlockPool(totalBlocks: 10_000, blockSizeTokens: 16, watermarkFraction: 0), maxRunningSequences: 128,
            maxBatchedTokens: 512, maxOutputTokens: 4096, maxModelLenTokens: 100_000)
        for i in 0..<3 { _ = engine.enqueue(Request(id: i, arrivalSeconds: 0, promptTokens: 100, outputTokens: 100), tbtTargetSeconds: 0.2) }
        var s = SLAIScheduler()
        var plan = BatchPlan()
        s.schedule(&engine, into: &plan)
        for slot in plan.slots {
            engine.sequences[Int(slot)].computedTokens += engine.sequences[Int(slot)].scheduledTokens
            engine.sequences[Int(slot)].scheduledTokens = 0
            engine.sequences[Int(slot)].generatedTokens += 1
        }
        s.didFinishIteration(&engine, plan: plan, durationSeconds: 0.05)
        _ = engine.enqueue(Request(id: 3, arrivalSeconds: 0, promptTokens: 5000, outputTokens: 10), tbtTargetSeconds: 0.2)
        engine.nowSeconds = 1.0  // long after every LST (0.05 + 0.2 - 5 x 0.05)
        plan.reset()
        s.schedule(&engine, into: &plan)
        #expect(s.lastCriticalDecodes == 3)
        #expect(Array(plan.slots.prefix(3)) == [0, 1, 2])
        #expect(engine.sequences[3].scheduledTokens == 509)
        #expect(plan.shape.totalTokens == 512)
    }
}

import SluiceCore
import Testing

struct StepTimeModelTests {
    let model = RooflineStepTimeModel(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100))

    @Test func smallBatchesAreWeightStreamingBound() {
        var one = BatchShape()
        one.addDecode(contextTokens: 100)
        // 8B BF16 weights ≈ 16 GB streamed at 0.75 × 3.35 TB/s ≈ 6.4 ms, plus overheads.
        let t = model.stepSeconds(one)
        #expect(t > 0.006 && t < 0.0075)
    }

    @Test func largePrefillsAreComputeBoundAndGrowLinearly() {
        func prefill(_ n: Int) -> Double {
            var s = BatchShape()
            s.addPrefill(newTokens: n, contextTokens: 0)
            return model.stepSeconds(s)
        }
        #expect(prefill(4096) > prefill(2048) * 1.8)
        #expect(prefill(64) == prefill(1) || prefill(64) - prefill(1) < 0.0005, "flat below the knee")
    }

    @Test func decodeAttentionGrowsWithContext() {
        var short = BatchShape()
        var long = BatchShape()
        for _ in 0..<64 {
            short.addDecode(contextTokens: 100)
            long.addDecode(contextTokens: 8000)
        }
        #expect(model.stepSeconds(long) > model.stepSeconds(short) + 0.001)
    }

    @Test func tensorParallelismAddsCommunicationButSplitsWork() {
        let tp2 = RooflineStepTimeModel(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100, tensorParallel: 2))
        var s = BatchShape()
        s.addPrefill(newTokens: 4096, contextTokens: 0)
        #expect(tp2.stepSeconds(s) < model.stepSeconds(s))
        #expect(tp2.stepSeconds(s) > model.stepSeconds(s) / 2)
    }

    @Test func emptyBatchTakesNoTime() {
        #expect(model.stepSeconds(BatchShape()) == 0)
    }

    @Test func modelThatDoesNotFitSaysByHowMuch() throws {
        let big = ModelSpec(
            name: "big", layers: 80, hiddenSize: 8192, heads: 64, kvHeads: 8, headDim: 128, ffnSize: 28672, gatedMLP: true,
            vocabSize: 128_256, contextLengthTokens: 131_072)
        let d = Deployment(model: big, gpu: CoreFixtures.h100)
        #expect(throws: SluiceError.self) { try d.kvBlockCapacity() }
        do {
            _ = try d.kvBlockCapacity()
        } catch {
            #expect(error.description.contains("short by"))
            #expect(error.isUsageError)
        }
        let tp4 = Deployment(model: big, gpu: CoreFixtures.h100, tensorParallel: 4)
        #expect(try tp4.kvBlockCapacity() > 10_000)
    }
}

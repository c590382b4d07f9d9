import Foundation
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

    @Test func allReduceLatencyGrowsWithThePeersOfTheGroup() throws {
        // τ_ar + (t − 1)·τ_peer per all-reduce, two per layer: the decode step of the same batch at TP 8 pays
        // 2·L·(8 − 2)·τ_peer more fixed communication than at TP 2, on top of what τ_ar alone gives.
        var flat = RooflineParameters()
        flat.allReducePerPeerLatencySeconds = 0
        var growing = flat
        growing.allReducePerPeerLatencySeconds = 5e-6
        var s = BatchShape()
        s.addDecode(contextTokens: 500)
        func comm(_ tp: Int, _ p: RooflineParameters) -> Double {
            RooflineStepTimeModel(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100, tensorParallel: tp), parameters: p)
                .stepSeconds(s)
        }
        let layers = Double(CoreFixtures.llama8B.layers)
        #expect(abs((comm(2, growing) - comm(2, flat)) - 2 * layers * 1 * 5e-6) < 1e-12)
        #expect(abs((comm(8, growing) - comm(8, flat)) - 2 * layers * 7 * 5e-6) < 1e-12)
        #expect(comm(1, growing) == comm(1, flat), "no all-reduce at TP 1")
        // Files written before the term existed decode with it off.
        let json = #"{"computeEfficiency":0.8,"weightStreamEfficiency":0.75,"attentionEfficiency":0.6,"kvBandwidthEfficiency":0.9,"linkEfficiency":0.7,"allReduceLatencySeconds":2.5e-05,"stepOverheadSeconds":0.00015,"perSequenceOverheadSeconds":5e-06,"perLayerOverheadSeconds":0,"gemmOverlapLoss":0}"#
        let decoded = try JSONDecoder().decode(RooflineParameters.self, from: Data(json.utf8))
        #expect(decoded.allReducePerPeerLatencySeconds == 0)
        let roundTrip = try JSONDecoder().decode(RooflineParameters.self, from: JSONEncoder().encode(growing))
        #expect(roundTrip == growing)
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

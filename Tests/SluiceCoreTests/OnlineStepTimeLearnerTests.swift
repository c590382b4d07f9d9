import SluiceCore
import Testing

/// The gateway's online speed model (issue 14, item 6).
struct OnlineStepTimeLearnerTests {
    /// A prior that believes decode takes 5 ms + 0.1 ms per sequence and prefill 10 ms + 0.05 ms per token.
    struct FastPrior: StepTimeModel {
        func stepSeconds(_ b: BatchShape) -> Double {
            (b.decodeSequences > 0 ? 0.005 + 0.0001 * Double(b.decodeSequences) : 0) + (b.prefillTokens > 0 ? 0.010 + 0.00005 * Double(b.prefillTokens) : 0)
        }
    }

    static func truthDecode(_ n: Int, slow: Double) -> Double { slow * (0.008 + 0.0003 * Double(n)) }
    static func truthPrefill(_ p: Int, slow: Double) -> Double { slow * (0.020 + 0.0001 * Double(p)) }

    @Test func convergesOnTheEngineNotThePriorAndShrugsOffOutliers() {
        var learner = OnlineStepTimeLearner(prior: FastPrior())
        var rng = SplitMix64(seed: 4)
        for i in 0..<300 {
            let n = 1 + Int(rng.nextUnit() * 32)
            let p = 100 + Int(rng.nextUnit() * 3000)
            let noise = 1 + (rng.nextUnit() - 0.5) * 0.1
            // Every 25th request stalls (a hiccup): ten times slower.
            let stall = i % 25 == 7 ? 10.0 : 1.0
            learner.observe(concurrency: n, tpotSeconds: Self.truthDecode(n, slow: 1) * noise * stall, promptTokens: p,
                            prefillSeconds: Self.truthPrefill(p, slow: 1) * noise)
        }
        for n in [1, 8, 32] {
            #expect(abs(learner.decodeStepSeconds(concurrency: n) / Self.truthDecode(n, slow: 1) - 1) < 0.05, "decode at \(n)")
        }
        for p in [200, 2000] {
            #expect(abs(learner.prefillSeconds(promptTokens: p) / Self.truthPrefill(p, slow: 1) - 1) < 0.05, "prefill of \(p)")
        }
        var s = BatchShape()
        for _ in 0..<8 { s.addDecode(contextTokens: 500) }
        #expect(abs(learner.model.stepSeconds(s) / Self.truthDecode(8, slow: 1) - 1) < 0.05)
    }

    @Test func followsAnEngineThatSlowsDownAndWarmsUpWithoutAPrior() {
        var learner = OnlineStepTimeLearner(prior: nil)
        #expect(!learner.isWarm)
        var rng = SplitMix64(seed: 9)
        for i in 0..<400 {
            let slow = i < 200 ? 1.0 : 1.6
            let n = 1 + Int(rng.nextUnit() * 16)
            let p = 100 + Int(rng.nextUnit() * 2000)
            learner.observe(concurrency: n, tpotSeconds: Self.truthDecode(n, slow: slow), promptTokens: p, prefillSeconds: Self.truthPrefill(p, slow: slow))
            if i == 20 { #expect(learner.isWarm) }
        }
        #expect(abs(learner.decodeStepSeconds(concurrency: 8) / Self.truthDecode(8, slow: 1.6) - 1) < 0.05)
        // The predicted GPU share: its time in the engine split among the requests in it.
        let share = learner.gpuSecondsShare(promptTokens: 1000, outputTokens: 100, concurrency: 4)
        let expected = (Self.truthPrefill(1000, slow: 1.6) + 99 * Self.truthDecode(4, slow: 1.6)) / 4
        #expect(abs(share / expected - 1) < 0.05)
    }
}

import SluiceCore
import Testing

struct PredictorTests {
    @Test func onlinePredictorErrorShrinksWithData() {
        var p = OnlineQuantilePredictor()
        var rng = SplitMix64(seed: 3)
        // Two populations told apart by prompt length: short prompts give ~50-token answers, long ones ~500.
        func sample() -> (PredictionQuery, Int) {
            let long = rng.nextUnit() < 0.5
            let prompt = long ? 4000 + Int(rng.next() % 1000) : 100 + Int(rng.next() % 50)
            let output = long ? 450 + Int(rng.next() % 100) : 40 + Int(rng.next() % 20)
            return (PredictionQuery(requestID: 0, promptTokens: prompt), output)
        }
        func error(over n: Int) -> Double {
            var sum = 0.0
            for _ in 0..<n {
                let (q, actual) = sample()
                sum += abs(p.predictOutputTokens(q) - Double(actual))
            }
            return sum / Double(n)
        }
        let before = error(over: 500)
        for _ in 0..<2000 {
            let (q, actual) = sample()
            p.observe(q, actualOutputTokens: actual)
        }
        let after = error(over: 500)
        #expect(after < before / 3, "MAE before \(before), after \(after)")
        #expect(after < 40)
    }

    @Test func conditioningOnGeneratedTokensRaisesThePrediction() {
        var p = OnlineQuantilePredictor()
        for i in 0..<1000 { p.observe(PredictionQuery(requestID: i, promptTokens: 100), actualOutputTokens: i % 2 == 0 ? 20 : 400) }
        let fresh = p.predictOutputTokens(PredictionQuery(requestID: 1, promptTokens: 100))
        let midway = p.predictOutputTokens(PredictionQuery(requestID: 1, promptTokens: 100, generatedTokens: 100))
        #expect(midway > 300 && midway > fresh)
    }

    @Test func noisyOracleHasTheRequestedErrorAndIsStable() {
        let p = NoisyOraclePredictor(meanAbsoluteErrorTokens: 30, seed: 1)
        var sum = 0.0
        for i in 0..<20_000 {
            let q = PredictionQuery(requestID: i, promptTokens: 10, trueOutputTokens: 1000)
            sum += abs(p.predictOutputTokens(q) - 1000)
            #expect(p.predictOutputTokens(q) == p.predictOutputTokens(q))
        }
        #expect(abs(sum / 20_000 - 30) < 1.5)
    }

    @Test func accuracyReportsMAEAndRankCorrelation() {
        var a = PredictionAccuracy(seed: 1)
        for i in 1...100 { a.record(predicted: Double(i) + 5, actual: i) }
        #expect(a.meanAbsoluteErrorTokens == 5)
        #expect(abs(a.rankCorrelation - 1) < 1e-9)
        var b = PredictionAccuracy(seed: 1)
        for i in 1...100 { b.record(predicted: Double(101 - i), actual: i) }
        #expect(abs(b.rankCorrelation + 1) < 1e-9)
    }

    @Test func unknownPredictorListsNames() {
        #expect(throws: SluiceError.self) { try PredictorRegistry.make(named: "gpt", meanAbsoluteErrorTokens: 0, seed: 0) }
    }
}

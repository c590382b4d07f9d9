import SluiceCore
import Testing

/// The linear contextual bandit and the DeepServe-style agent.
struct BanditTests {
    /// A stationary linear problem: K arms with fixed θ_a, contexts drawn at random, Gaussian noise.
    static func regret(learner: LinearBandit.Learner, rounds: Int, seed: UInt64) -> [Double] {
        let d = 4
        let k = 5
        var rng = SplitMix64(seed: seed)
        let thetas = (0..<k).map { _ in (0..<d).map { _ in rng.nextUnit() - 0.5 } }
        var parameters = LinearBandit.Parameters()
        parameters.learner = learner
        parameters.discount = 1
        var bandit = LinearBandit(arms: k, dimension: d, parameters: parameters, seed: seed)
        var cumulative = 0.0
        var curve: [Double] = []
        for _ in 0..<rounds {
            let x = [1] + (0..<(d - 1)).map { _ in rng.nextUnit() }
            let values = thetas.map { zip($0, x).reduce(0) { $0 + $1.0 * $1.1 } }
            let arm = bandit.choose(x)
            let noise = (rng.nextUnit() - 0.5) * 0.2
            bandit.update(arm: arm, context: x, reward: values[arm] + noise)
            cumulative += values.max()! - values[arm]
            curve.append(cumulative)
        }
        return curve
    }

    @Test(arguments: LinearBandit.Learner.allCases)
    func regretGrowsSublinearly(learner: LinearBandit.Learner) {
        for seed in UInt64(1)...3 {
            let curve = Self.regret(learner: learner, rounds: 4000, seed: seed)
            let firstHalf = curve[1999]
            let secondHalf = curve[3999] - curve[1999]
            #expect(secondHalf < 0.5 * firstHalf, "\(learner) seed \(seed): regret \(firstHalf) then \(secondHalf)")
            #expect(curve[3999] / 4000 < 0.05, "mean regret per round falls")
        }
    }

    @Test func choleskySolvesAndMasksAreRespected() {
        var bandit = LinearBandit(arms: 3, dimension: 2, seed: 1)
        for _ in 0..<50 { bandit.update(arm: 2, context: [1, 0.5], reward: 1) }
        #expect(bandit.choose([1, 0.5], allowed: [true, true, false]) != 2, "a masked arm is never chosen")
        #expect(abs(bandit.estimate(arm: 2, context: [1, 0.5]) - 1) < 0.1)
    }

    @Test func agentSizesThePoolFromItsArmsAndLearnsFromSettledSegments() {
        var agent = DeepServeAgent(seed: 3)
        var state = PoolState(
            nowSeconds: 10, pool: "p", warm: 1, loading: 0, draining: 0, maxReplicas: 8, minReplicas: 0, inFlightRequests: 100,
            pendingRequests: 0, arrivalRatePerSecond: 5, arrivalCV: 1, kvUtilization: 0.5, recentSLOAttainment: 1, idleSeconds: 0,
            coldStartSeconds: 30, pricePerHourUSD: 4)
        state.kvCapacityTokens = 64 * 2000
        state.meanPromptTokens = 1500
        state.meanPredictedOutputTokens = 500
        for step in 0..<200 {
            state.nowSeconds = 10 * Double(step + 1)
            let want = agent.desiredReplicas(state)
            let arms = agent.currentArms
            #expect(DeepServeAgent.Parameters().maxBatchSizes.contains(arms.maxBatch))
            #expect(want >= Int((100 / arms.concurrency).rounded(.up)), "enough replicas for the in-flight requests")
            agent.observe(admittedAtEpoch: Int(state.nowSeconds / agent.epochSeconds), sloMet: step % 3 != 0)
        }
        #expect(agent.updates > 150, "epochs settle and are learned from")
    }
}

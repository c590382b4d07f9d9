import Testing
@testable import SluiceCore

/// PPO's advantage estimation and clipped objective against hand-worked values (issue 16).
@Suite struct PPOTests {
    @Test func generalizedAdvantagesMatchTheHandWorkedValues() {
        // δ2 = 2 + 0.9·0.2 − 0.3 = 1.88; δ1 = 0 + 0.9·0.3 − 0.4 = −0.13; δ0 = 1 + 0.9·0.4 − 0.5 = 0.86;
        // A2 = 1.88; A1 = −0.13 + 0.9·0.8·1.88 = 1.2236; A0 = 0.86 + 0.72·1.2236 = 1.740992.
        let (a, r) = AdvantageEstimation.gae(
            rewards: [1, 0, 2], values: [0.5, 0.4, 0.3], bootstrap: 0.2, discounts: [0.9, 0.9, 0.9], lambda: 0.8)
        for (x, y) in zip(a, [1.740992, 1.2236, 1.88]) { #expect(abs(x - y) < 1e-12) }
        for (x, y) in zip(r, [2.240992, 1.6236, 2.18]) { #expect(abs(x - y) < 1e-12) }
        // λ = 0 gives the one-step TD errors; a semi-Markov step with discount 0 ends the credit there.
        let td = AdvantageEstimation.gae(rewards: [1, 0, 2], values: [0.5, 0.4, 0.3], bootstrap: 0.2, discounts: [0.9, 0.9, 0.9], lambda: 0).advantages
        for (x, y) in zip(td, [0.86, -0.13, 1.88]) { #expect(abs(x - y) < 1e-12) }
        let cut = AdvantageEstimation.gae(rewards: [1, 5], values: [0, 0], bootstrap: 0, discounts: [0, 1], lambda: 1).advantages
        #expect(cut == [1, 5])
    }

    @Test func theObjectiveClipsAndItsGradientVanishesWhereClipped() {
        let ppo = ClippedSurrogate()
        #expect(abs(ppo.objective(ratio: 1.5, advantage: 1) - 1.2) < 1e-12)
        #expect(!ppo.isActive(ratio: 1.5, advantage: 1))
        #expect(abs(ppo.objective(ratio: 0.5, advantage: 1) - 0.5) < 1e-12)
        #expect(ppo.isActive(ratio: 0.5, advantage: 1))
        #expect(abs(ppo.objective(ratio: 0.5, advantage: -1) - (-0.8)) < 1e-12)
        #expect(!ppo.isActive(ratio: 0.5, advantage: -1))
        #expect(ppo.isActive(ratio: 1.5, advantage: -1))
    }

    @Test func theAnalyticGradientMatchesFiniteDifferences() {
        var policy = LinearSoftmaxPolicy(actions: 3, dimension: 2)
        policy.weights = [0.1, -0.2, 0.3, 0.05, -0.1, 0.2]
        let ppo = ClippedSurrogate()
        let samples = [
            PPOSample(features: [1, 0.5], action: 0, oldProbability: 0.3, advantage: 0.7, returnValue: 1),
            PPOSample(features: [1, -0.3], action: 2, oldProbability: 0.4, advantage: -0.4, returnValue: 0),
        ]
        let (_, gradient) = ppo.objectiveAndGradient(policy, samples)
        let h = 1e-6
        for i in policy.weights.indices {
            var up = policy, down = policy
            up.weights[i] += h
            down.weights[i] -= h
            let numeric = (ppo.objectiveAndGradient(up, samples).objective - ppo.objectiveAndGradient(down, samples).objective) / (2 * h)
            #expect(abs(numeric - gradient[i]) < 1e-6, "weight \(i): \(numeric) vs \(gradient[i])")
        }
    }

    @Test func updatesMoveProbabilityTowardTheAdvantagedActionAndTheValueTowardTheReturn() {
        var policy = LinearSoftmaxPolicy(actions: 2, dimension: 1)
        let ppo = ClippedSurrogate()
        for _ in 0..<50 {
            let p = policy.probabilities([1])
            ppo.step(&policy, [
                PPOSample(features: [1], action: 1, oldProbability: p[1], advantage: 1, returnValue: 2),
                PPOSample(features: [1], action: 0, oldProbability: p[0], advantage: -1, returnValue: 2),
            ])
        }
        #expect(policy.probabilities([1])[1] > 0.9)
        #expect(abs(policy.value([1]) - 2) < 0.1)
    }
}

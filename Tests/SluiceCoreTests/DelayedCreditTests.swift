import Testing
@testable import SluiceCore

/// Issue 16: scaling decisions credited for what they cause over their effect horizon, the Knative arm reproducing
/// Knative, and the guardrail.
@Suite struct DelayedCreditTests {
    /// A delayed-effect problem: arm 0 earns full attainment now but bills 0.5 of the pool three segments later (a
    /// replica started that outlives the burst); arm 1 earns 0.9 and bills nothing later. Over its horizon arm 1 is
    /// better (0.9 against 1.0 - 0.5). Arms are drawn at random; returns are learned by a linear bandit.
    func learnedEstimates(horizon: Int) -> (arm0: Double, arm1: Double) {
        var ledger = DelayedCreditLedger(horizonSegments: horizon, outcomeLagSegments: 1, discount: 1)
        var bandit = LinearBandit(arms: 2, dimension: 1, seed: 1)
        var rng = SplitMix64.stream(seed: 7, label: 1)
        var pendingCost: [Int: Double] = [:]
        for k in 0..<2000 {
            for s in ledger.settle(current: k, costWeight: 1) { bandit.update(arm: s.arm, context: s.context, reward: s.value) }
            let arm = rng.nextUnit() < 0.5 ? 0 : 1
            ledger.open(index: k, context: [1], arm: arm)
            ledger.bill(costShare: pendingCost.removeValue(forKey: k) ?? 0)
            let requests = 10
            let met = arm == 0 ? 10 : 9
            for i in 0..<requests { ledger.observe(arrivedInSegment: k, sloMet: i < met) }
            if arm == 0 { pendingCost[k + 3, default: 0] += 0.5 }
        }
        return (bandit.estimate(arm: 0, context: [1]), bandit.estimate(arm: 1, context: [1]))
    }

    @Test func creditOverTheEffectHorizonFindsTheArmWhoseCostShowsUpLate() {
        let horizon = learnedEstimates(horizon: 4)
        #expect(horizon.arm1 > horizon.arm0 + 0.05, "horizon credit: \(horizon)")
        // Per-epoch credit puts the late bill on whichever arm happens to run three segments on: it prefers arm 0.
        let epoch = learnedEstimates(horizon: 1)
        #expect(epoch.arm0 > epoch.arm1, "per-epoch credit: \(epoch)")
    }

    @Test func aSegmentSettlesOnceAfterItsHorizonAndOutcomeLag() {
        var ledger = DelayedCreditLedger(horizonSegments: 3, outcomeLagSegments: 2, discount: 0.5)
        for k in 0..<3 {
            ledger.open(index: k, context: [1], arm: k)
            ledger.bill(costShare: Double(k) * 0.1)
        }
        #expect(ledger.settle(current: 4, costWeight: 1).isEmpty)
        let settled = ledger.settle(current: 5, costWeight: 1)
        #expect(settled.count == 1 && settled[0].arm == 0)
        // Rewards 1, 0.9, 0.8 with weights 1, 0.5, 0.25.
        #expect(abs(settled[0].value - (1 + 0.45 + 0.2) / 1.75) < 1e-12)
        #expect(settled[0].immediate == 1)
        #expect(ledger.settle(current: 5, costWeight: 1).isEmpty)
    }

    /// A state sequence with a burst, a lull and waiting requests.
    static func states() -> [PoolState] {
        var rng = SplitMix64.stream(seed: 3, label: 2)
        var out: [PoolState] = []
        var warm = 1
        for tick in 0..<600 {
            let t = Double(tick) * 2
            let load = tick < 200 ? 40 + Int(rng.nextUnit() * 20) : (tick < 400 ? 200 + Int(rng.nextUnit() * 80) : Int(rng.nextUnit() * 5))
            var s = PoolState(
                nowSeconds: t, pool: "p", warm: warm, loading: 0, draining: 0, maxReplicas: 8, minReplicas: 0, inFlightRequests: load,
                pendingRequests: tick % 97 == 0 ? 3 : 0, arrivalRatePerSecond: Double(load) / 10, arrivalCV: 1, kvUtilization: 0.5,
                recentSLOAttainment: tick % 50 < 5 ? 0.8 : 1, idleSeconds: 0, coldStartSeconds: 30, pricePerHourUSD: 4)
            s.kvCapacityTokens = 100_000
            out.append(s)
            warm = max(1, min(8, load / 32))
        }
        return out
    }

    @Test func theKnativeArmIsTheKnativePolicy() {
        var p = DeepServeAgent.Parameters()
        p.concurrencyTargets = [32]
        p.warmStandby = [0]
        p.keepAliveSeconds = [60]
        var agent = DeepServeAgent(parameters: p, seed: 1)
        var knative = ConcurrencyTargetAutoscaler()
        for s in Self.states() { #expect(agent.desiredReplicas(s) == knative.desiredReplicas(s), "at \(s.nowSeconds) s") }
        #expect(agent.guardrailOverrides == 0)
        let report = agent.decisionReport
        #expect(report?.armShares == ["target 32, standby 0, keep-alive 60 s": 1.0] && report?.ticks == Self.states().count)
        // With every arm available, the agent starts on the Knative arm and prefers it on ties.
        let fresh = DeepServeAgent(seed: 1).currentArms
        #expect(fresh.concurrency == 32 && fresh.standby == 0 && fresh.keepAliveSeconds == 60 && fresh.maxBatch == 256)
    }

    @Test func theGuardrailKeepsKnativesSizeWhileSLOsSlip() {
        var p = DeepServeAgent.Parameters()
        p.concurrencyTargets = [128]  // a learned arm far leaner than Knative's target of 32
        p.warmStandby = [0]
        p.keepAliveSeconds = [30]
        var agent = DeepServeAgent(parameters: p, seed: 1)
        var knative = ConcurrencyTargetAutoscaler()
        var leaner = 0
        for s in Self.states() {
            let want = agent.desiredReplicas(s)
            let floor = knative.desiredReplicas(s)
            let slipping = s.pendingRequests > 0 || (s.recentSLOAttainment ?? 1) < p.guardrailAttainment
            if slipping { #expect(want >= floor, "at \(s.nowSeconds) s") } else if want < floor { leaner += 1 }
        }
        #expect(agent.guardrailOverrides > 0, "the guardrail stepped in")
        #expect(agent.decisionReport?.guardrailOverrides == agent.guardrailOverrides)
        #expect(leaner > 0, "outside slips the learned arm is used")
    }
}

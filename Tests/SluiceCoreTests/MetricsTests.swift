import SluiceCore
import Testing

struct MetricsTests {
    @Test func histogramSummaryMatchesExactStatistics() {
        var h = LatencyHistogram()
        var values: [Double] = []
        var rng = SplitMix64(seed: 9)
        for _ in 0..<10_000 {
            let v = 0.001 + rng.nextUnit() * 2
            values.append(v)
            h.record(v)
        }
        values.sort()
        let s = h.summary()
        #expect(s.count == 10_000)
        #expect(abs(s.mean - values.reduce(0, +) / 10_000) < 1e-9)
        #expect(s.max == values.last!)
        #expect(abs(s.p50 - values[4_999]) / values[4_999] < 0.002)
        #expect(abs(s.p99 - values[9_899]) / values[9_899] < 0.002)
    }

    @Test func runsOfEqualValuesAreCountedOnce() {
        var h = LatencyHistogram()
        for _ in 0..<1000 { h.record(0.010) }
        h.record(0.5, count: 10)
        #expect(h.count == 1010)
        #expect(abs(h.percentile(50) - 0.010) < 0.00002)
        #expect(h.summary().max == 0.5)
    }

    @Test func attainmentCountsRejectionsAsMisses() {
        var m = ServingMetrics(classCount: 2)
        for c in [0, 0, 1, 1] { m.recordArrival(sloClass: c) }
        var ok = RequestOutcome(requestID: 0, replica: 0, sloClass: 0, status: .completed, arrivalSeconds: 0, promptTokens: 10, outputTokens: 5)
        ok.sloMet = true
        m.recordOutcome(ok)
        var miss = ok
        miss.sloMet = false
        m.recordOutcome(miss)
        m.recordOutcome(RequestOutcome(requestID: 2, replica: 0, sloClass: 1, status: .rejected, arrivalSeconds: 0, promptTokens: 10, outputTokens: 0))
        ok.sloClass = 1
        m.recordOutcome(ok)
        #expect(m.overall.sloAttainment == 0.5)
        #expect(m.perClass[0].sloAttainment == 0.5)
        #expect(m.perClass[1].rejected == 1)
        #expect(m.overall.completed == 3)
    }

    @Test(arguments: [
        (0.4, 0.05, 0.04, 10.0, true), (1.2, 0.05, 0.04, 10.0, false), (0.4, 0.3, 0.04, 10.0, false), (0.4, 0.05, 0.04, 100.0, false),
    ])
    func sloTargetsAreJudgedPerRequest(ttft: Double, maxGap: Double, tpot: Double, e2e: Double, met: Bool) {
        let t = SLOTargets(ttftSeconds: 1, tbtSeconds: 0.2, tpotSeconds: 0.05, e2eSeconds: 60)
        #expect(t.isMet(ttftSeconds: ttft, maxGapSeconds: maxGap, tpotSeconds: tpot, e2eSeconds: e2e) == met)
    }
}

import Foundation
import SluiceCore
import SluiceSimulator
import Testing

/// RAD's throughput claim in the simulator: at 95 % of the replica's capacity its queue stays bounded, while a
/// non-work-conserving baseline's (static batching) keeps growing.
///
/// Capacity here is the token service rate of a `k*`-token batch with the workload's decode/prefill mix, over the
/// tokens of a request. Outputs vary (1 to 2 x the mean), which is what makes request-level batching lose: a batch
/// holds its slots until its longest member ends. The running-sequence cap is raised so that it does not bind first
/// (decodes are serial: at most `maxRunningSequences / T(k*)` of them per second).
struct RADTests {
    static let prompt = 200
    static let output = 50
    static let deployment = Fixtures.deployment(maxRunning: 2048)

    static func load(share: Double, count: Int) -> (rate: Double, requests: [Request]) {
        let model = RooflineStepTimeModel(deployment: deployment)
        let rad = RADScheduler(stepModel: model)
        // A k*-token batch with this workload's mix: decodes in proportion to output tokens, over mid-output context.
        let k = rad.tileBudgetTokens
        let decodes = k * output / (prompt + output)
        var mix = BatchShape()
        mix.addPrefill(newTokens: k - decodes, contextTokens: 0)
        for _ in 0..<decodes { mix.addDecode(contextTokens: prompt + output / 2) }
        let capacity = Double(k) / model.stepSeconds(mix) / Double(prompt + output)
        let rate = share * capacity
        var rng = SplitMix64(seed: 17)
        var t = 0.0
        let requests = (0..<count).map { i -> Request in
            t += -log(1 - rng.nextUnit()) / rate
            return Request(id: i, arrivalSeconds: t, promptTokens: prompt, outputTokens: 1 + Int(rng.next() % UInt64(2 * output)))
        }
        return (rate, requests)
    }

    /// Mean queueing delay of requests in [from, to) of arrival order.
    static func queueing(_ outcomes: [RequestOutcome], _ range: Range<Int>) -> Double {
        let byID = outcomes.filter { range.contains($0.requestID) }
        return byID.reduce(0) { $0 + $1.queueingSeconds } / Double(byID.count)
    }

    @Test func tileIsAnEfficientBudget() {
        let rad = RADScheduler(stepModel: RooflineStepTimeModel(deployment: Fixtures.deployment()))
        #expect(rad.tileBudgetTokens % 64 == 0)
        #expect(rad.tileBudgetTokens >= 256 && rad.tileBudgetTokens <= 8192)
        var shape = BatchShape()
        shape.addPrefill(newTokens: 8192, contextTokens: 0)
        let best = 8192 / RooflineStepTimeModel(deployment: Fixtures.deployment()).stepSeconds(shape)
        #expect(rad.serviceTokensPerSecond >= 0.95 * best * 0.999)
    }

    @Test func queueStaysBoundedAt95PercentOfCapacity() throws {
        let n = 6000
        let (_, requests) = Self.load(share: 0.95, count: n)
        let (rad, radOut) = try Fixtures.run(requests, scheduler: "rad", deployment: Self.deployment)
        #expect(rad.metrics.overall.completed == n)
        let early = Self.queueing(radOut, n / 4..<n / 2)
        let late = Self.queueing(radOut, 3 * n / 4..<n)
        #expect(late < max(3 * early, 0.5), "RAD queueing: second quarter \(early) s, last quarter \(late) s")
        let (_, staticOut) = try Fixtures.run(requests, scheduler: "static", deployment: Self.deployment)
        let sEarly = Self.queueing(staticOut, n / 4..<n / 2)
        let sLate = Self.queueing(staticOut, 3 * n / 4..<n)
        print("RAD at 0.95 capacity: queueing \(early) s -> \(late) s; static: \(sEarly) s -> \(sLate) s")
        #expect(sLate > 1.5 * sEarly && sLate > 5 * max(late, 0.01), "static queueing grows: \(sEarly) s -> \(sLate) s; RAD \(early) s -> \(late) s")
    }
}

import SluiceCatalog
import SluiceCore
@testable import SluiceGateway
import Testing

/// The gateway's waiting room decided without sockets, clocks or tasks (issue 15): bands, orderings, limits,
/// deadlines, hang-ups, excluded upstreams, and `sa-slo` choosing against FCFS.
struct WaitQueueTests {
    static func order(_ id: Int, at arrival: Double, prompt: Int = 100, targets: SLOTargets = SLOTargets()) -> QueuedRequest {
        QueuedRequest(requestID: id, handle: 0, arrivalSeconds: arrival, promptTokens: prompt, predictedOutputTokens: 100, sloClass: 0, targets: targets)
    }

    @discardableResult
    static func enqueue(
        _ q: inout WaitQueue, _ id: Int, band: GatewayConfig.PriorityBand = .normal, arrival: Double = 0, prompt: Int = 100,
        targets: SLOTargets = SLOTargets(), excluded: Set<Int> = [], maxLength: Int = 10, wait: Double = 30
    ) -> Int? {
        q.enqueue(
            model: "m", excluded: excluded, order: order(id, at: arrival, prompt: prompt, targets: targets), expectedOutputTokens: nil, band: band,
            hints: .init(), maxLength: maxLength, maxWaitSeconds: wait, now: arrival)
    }

    @Test func bandsAreServedStrictlyInOrderAndFCFSWithinOne() {
        var q = WaitQueue(ordering: .fcfs)
        Self.enqueue(&q, 1, band: .low, arrival: 0)
        Self.enqueue(&q, 2, band: .normal, arrival: 1)
        Self.enqueue(&q, 3, band: .high, arrival: 2)
        Self.enqueue(&q, 4, band: .normal, arrival: 3)
        let served = (0..<4).compactMap { _ in q.next(for: 0, model: "m")?.order.requestID }
        #expect(served == [3, 2, 4, 1])
        #expect(q.count == 0 && q.next(for: 0, model: "m") == nil)
    }

    @Test func edfOrdersByDeadlineAndFullBandsRefuse() {
        var q = WaitQueue(ordering: .edf)
        Self.enqueue(&q, 1, arrival: 0, targets: SLOTargets(e2eSeconds: 60))
        Self.enqueue(&q, 2, arrival: 1, targets: SLOTargets(e2eSeconds: 5))
        #expect(Self.enqueue(&q, 3, arrival: 2, maxLength: 2) == nil, "the normal band holds 2")
        #expect(Self.enqueue(&q, 4, band: .low, arrival: 2, maxLength: 2) != nil, "other bands have their own limit")
        #expect(q.next(for: 0, model: "m")?.order.requestID == 2)
        #expect(q.countByBand[.normal] == 1)
    }

    @Test func deadlinesExpireAndHangUpsLeave() {
        var q = WaitQueue(ordering: .fcfs)
        let a = Self.enqueue(&q, 1, arrival: 0, wait: 5)!
        let b = Self.enqueue(&q, 2, arrival: 0, wait: 1)!
        let c = Self.enqueue(&q, 3, arrival: 0, wait: 9)!
        #expect(q.earliestDeadlineSeconds == 1)
        #expect(q.expire(now: 0.5).isEmpty)
        #expect(q.expire(now: 1).map(\.id) == [b])
        #expect(q.cancel(c)?.id == c && q.cancel(c) == nil)
        #expect(q.contains(a) && q.count == 1 && q.earliestDeadlineSeconds == 5)
    }

    @Test func anUpstreamOnlyTakesWaitersItMay() {
        var q = WaitQueue(ordering: .fcfs)
        Self.enqueue(&q, 1, arrival: 0, excluded: [0])
        Self.enqueue(&q, 2, arrival: 1)
        #expect(q.next(for: 0, model: "m")?.order.requestID == 2, "upstream 0 was excluded for request 1")
        #expect(q.next(for: 0, model: "m") == nil)
        #expect(q.next(for: 0, model: "other") == nil)
        #expect(q.next(for: 1, model: "m")?.order.requestID == 1)
    }

    @Test func saSLOGrantsTheRequestWhoseTargetIsAtRiskFirst() throws {
        let catalog = try CatalogLoader.bundled()
        let deployment = Deployment(model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: "h100-sxm"))
        let predictor = LatencyPredictor(stepModel: RooflineStepTimeModel(deployment: deployment))
        let load = InstanceLoad(nowSeconds: 1, liveRequests: 32, liveRemainingTokens: 32 * 150, livePendingPrefillTokens: 0, maxConcurrency: 64)
        func build() -> WaitQueue {
            var q = WaitQueue(ordering: .fcfs)
            // First in line: a long end-to-end job; then an interactive request whose first token is due in 150 ms.
            Self.enqueue(&q, 1, arrival: 0, prompt: 16_000, targets: SLOTargets(e2eSeconds: 600))
            Self.enqueue(&q, 2, arrival: 0.5, prompt: 200, targets: SLOTargets(ttftSeconds: 0.65))
            return q
        }
        var fcfs = build()
        #expect(fcfs.next(for: 0, model: "m")?.order.requestID == 1)
        var sa = build()
        var policy = try RequestPolicyRegistry.entry(named: "sa-slo").instantiate(seed: 1, options: SchedulerOptions())
        let granted = sa.next(for: 0, model: "m") { candidates in
            let cap = policy.decide(&candidates, load: load, predictor: predictor)
            return load.liveRequests < cap ? candidates.first?.handle : nil
        }
        #expect(granted?.order.requestID == 2, "sa-slo puts the interactive request ahead of the long prefill")
    }
}

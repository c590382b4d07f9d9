import SluiceCore
import Testing

/// `cost-aware` routing over a fleet view with two replicas of different price and load.
struct CostAwareRouterTests {
    struct View: FleetView {
        var prices: [Double]
        var live: [Int]
        var targets: SLOTargets
        let predictor = LatencyPredictor(stepModel: RooflineStepTimeModel(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100)))
        var replicaCount: Int { prices.count }
        func outstandingRequests(replica: Int) -> Int { live[replica] }
        func outstandingTokens(replica: Int) -> Int { live[replica] * 1000 }
        func pricePerHourUSD(replica: Int) -> Double { prices[replica] }
        func latencyPredictor(replica: Int) -> LatencyPredictor? { predictor }
        func sloTargets(_ request: RequestInfo) -> SLOTargets { targets }
        func predictedOutputTokens(_ request: RequestInfo) -> Double? { 200 }
        func instanceLoad(replica: Int) -> InstanceLoad? {
            InstanceLoad(
                nowSeconds: 0, liveRequests: live[replica], liveRemainingTokens: Double(live[replica]) * 300,
                livePendingPrefillTokens: 0, maxConcurrency: 64)
        }
    }

    static let request = RequestInfo(id: 1, arrivalSeconds: 0, promptTokens: 500, sloClass: 0, priority: 0)

    @Test func picksTheCheapestReplicaThatMeetsTheSLO() {
        let router = CostAwareRouter()
        let loose = View(prices: [4, 1], live: [10, 10], targets: SLOTargets(e2eSeconds: 60))
        #expect(router.route(Self.request, fleet: loose) == 1, "same speed: the cheaper one")
        // The cheap replica is saturated (requests wait for a slot): a tight TTFT sends the request to the dear one.
        let tight = View(prices: [4, 1], live: [4, 200], targets: SLOTargets(ttftSeconds: 0.5, tpotSeconds: 0.1))
        #expect(router.route(Self.request, fleet: tight) == 0)
    }

    @Test func fallsBackToTheFastestWhenNoneMeetsIt() {
        let router = CostAwareRouter()
        let impossible = View(prices: [1, 4, 2], live: [300, 5, 150], targets: SLOTargets(ttftSeconds: 0.001))
        #expect(router.route(Self.request, fleet: impossible) == 1, "the least loaded gives the earliest first token")
    }
}

/// `cost-aware`: per request, the cheapest replica whose predicted latency still meets the request's SLO.
///
/// For every warm replica the router predicts the request's TTFT, time per output token and end-to-end latency if it
/// joined that replica now (``LatencyPredictor`` over the replica's load, with the request's predicted output length),
/// and its marginal cost there: the replica's price times the GPU time the request takes, shared by the sequences
/// batched with it (`price × (prefill seconds + output tokens × iteration time / concurrency)`), so a cheap but
/// saturated replica is not cheap. Among replicas predicted to meet every target with `safetyMargin` to spare it picks
/// the cheapest; when none does, the one with the earliest predicted first token for interactive requests, or the
/// earliest finish for end-to-end ones. No existing gateway routes this way (PEERS.md §5).
///
/// Requests are thereby tagged by their SLO: interactive ones go where they are fast enough, end-to-end (batch) ones
/// to the cheapest capacity that finishes them in time.
///
/// A replica billed by the token (a hosted API, ``FleetView/tokenPricesUSDPerMillion(replica:)``) costs its prices
/// times the request's tokens. Until its latency is known (a gateway learns it from the API's answers) it is judged
/// feasible only for requests without TTFT or per-token targets: loose work goes to cheap shared capacity, and the
/// answers it gets teach the gateway its speed.
public struct CostAwareRouter: Router {
    /// Share of each target kept in reserve (0.2: predictions must meet 80 % of the target).
    public var safetyMargin: Double
    /// Output length assumed when no predictor is running, tokens.
    public var assumedOutputTokens: Double

    /// The default reserve: the latency predictor's TTFT error is tens of ms at moderate load (README).
    public static let defaultSafetyMargin = 0.2
    /// The default assumed output length.
    public static let defaultAssumedOutputTokens = 256.0

    /// Creates the router.
    public init(safetyMargin: Double = CostAwareRouter.defaultSafetyMargin, assumedOutputTokens: Double = CostAwareRouter.defaultAssumedOutputTokens) {
        self.safetyMargin = safetyMargin
        self.assumedOutputTokens = assumedOutputTokens
    }

    /// `cost-aware`.
    public var name: String { "cost-aware" }

    /// The cheapest feasible replica, else the fastest.
    public func route(_ request: RequestInfo, fleet: some FleetView) -> Int {
        let targets = fleet.sloTargets(request)
        let output = fleet.predictedOutputTokens(request) ?? assumedOutputTokens
        let queued = QueuedRequest(
            requestID: request.id, handle: 0, arrivalSeconds: request.arrivalSeconds, promptTokens: request.promptTokens,
            predictedOutputTokens: output, sloClass: request.sloClass, targets: targets)
        var cheapest = -1
        var cheapestCost = Double.infinity
        var fastest = 0
        var fastestTime = Double.infinity
        for r in 0..<fleet.replicaCount {
            let tokenPrices = fleet.tokenPricesUSDPerMillion(replica: r)
            let tokenCost = tokenPrices.map { (Double(request.promptTokens) * $0.input + output * $0.output) / 1e6 }
            guard let load = fleet.instanceLoad(replica: r), let predictor = fleet.latencyPredictor(replica: r) else {
                // No latency model: only a per-token price can be judged, and only for work without tight targets.
                let loose = targets.ttftSeconds == nil && targets.tpotSeconds == nil && targets.tbtSeconds == nil
                if let tokenCost, loose, tokenCost < cheapestCost {
                    cheapest = r
                    cheapestCost = tokenCost
                }
                continue
            }
            let check = SLOFeasibility(queued, load: load, predictor: predictor, targets: targets, margin: safetyMargin)
            let (c, ttft, e2e, feasible) = (check.constants, check.ttftSeconds, check.e2eSeconds, check.feasible)
            let gpuSeconds = Double(request.promptTokens) * c.prefillSecondsPerToken + output * c.iterationSeconds / Double(max(c.concurrency, 1))
            let cost = tokenCost ?? fleet.pricePerHourUSD(replica: r) / 3600 * gpuSeconds
            if feasible && cost < cheapestCost {
                cheapest = r
                cheapestCost = cost
            }
            let speed = targets.kind == .interactive ? ttft : e2e
            if speed < fastestTime {
                fastest = r
                fastestTime = speed
            }
        }
        return cheapest >= 0 ? cheapest : fastest
    }
}

import SluiceCore

/// The candidates of one request as a router sees them: a candidate's outstanding requests are the larger of the
/// gateway's own in-flight count and what the engine reports holding (other gateways' requests included).
struct CandidateView: FleetView {
    let candidates: [Int]
    let inFlight: [Int]
    let engineLoad: [EngineLoad?]
    let upstreams: [GatewayConfig.Upstream]
    let targets: SLOTargets
    let expectedOutputTokens: Int?
    let loads: [InstanceLoad?]
    let predictors: [LatencyPredictor?]
    /// By upstream.
    let outstandingTokens: [Int]
    /// By candidate: the request's prompt tokens whose prefix blocks the upstream has seen.
    let cachedPrefixTokens: [Int]
    var replicaCount: Int { candidates.count }
    func instanceLoad(replica: Int) -> InstanceLoad? { loads[replica] }
    func latencyPredictor(replica: Int) -> LatencyPredictor? { predictors[replica] }
    func sloTargets(_ request: RequestInfo) -> SLOTargets { targets }
    func predictedOutputTokens(_ request: RequestInfo) -> Double? { expectedOutputTokens.map(Double.init) }
    func outstandingRequests(replica: Int) -> Int {
        let u = candidates[replica]
        return max(inFlight[u], engineLoad[u]?.outstanding ?? 0)
    }
    func outstandingTokens(replica: Int) -> Int { outstandingTokens[candidates[replica]] }
    func pricePerHourUSD(replica: Int) -> Double { upstreams[candidates[replica]].pricePerHourUSD }
    func cachedPrefixTokens(replica: Int, request: RequestInfo) -> Int { cachedPrefixTokens[replica] }
    func tokenPricesUSDPerMillion(replica: Int) -> (input: Double, output: Double)? {
        let u = upstreams[candidates[replica]]
        guard u.isTokenPriced else { return nil }
        return (u.inputPricePerMillionUSD ?? 0, u.outputPricePerMillionUSD ?? 0)
    }
}

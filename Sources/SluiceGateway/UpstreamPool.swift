import SluiceCore

/// The gateway's view of its upstreams: in-flight requests, health, and the router (the same ``Router`` code the
/// simulator runs) that picks one for each request. An actor: requests on every connection share it.
actor UpstreamPool {
    let upstreams: [GatewayConfig.Upstream]
    private var inFlight: [Int]
    private var healthy: [Bool]
    private var router: any Router
    /// Requests served per upstream.
    private(set) var served: [Int]

    init(_ config: GatewayConfig) throws(SluiceError) {
        upstreams = config.upstreams
        inFlight = Array(repeating: 0, count: config.upstreams.count)
        healthy = Array(repeating: true, count: config.upstreams.count)
        served = inFlight
        router = try RouterRegistry.make(named: config.router, seed: 0)
    }

    /// Whether any upstream serves `model`.
    nonisolated func serves(_ model: String) -> Bool { upstreams.contains { $0.model == model } }

    /// The models served.
    nonisolated var models: [String] {
        var seen: [String] = []
        for u in upstreams where !seen.contains(u.model) { seen.append(u.model) }
        return seen
    }

    /// Picks a healthy upstream of `model` with a free slot, not in `excluded`, and takes the slot.
    func acquire(model: String, request: RequestInfo, targets: SLOTargets = SLOTargets(), expectedOutputTokens: Int? = nil, excluded: Set<Int>) -> Int? {
        let candidates = upstreams.indices.filter {
            upstreams[$0].model == model && healthy[$0] && !excluded.contains($0) && inFlight[$0] < upstreams[$0].maxConcurrency
        }
        guard !candidates.isEmpty else { return nil }
        let view = CandidateView(
            candidates: candidates, inFlight: inFlight, upstreams: upstreams, targets: targets, expectedOutputTokens: expectedOutputTokens)
        let pick = router.route(request, fleet: view)
        let chosen = candidates[min(max(pick, 0), candidates.count - 1)]
        inFlight[chosen] += 1
        served[chosen] += 1
        return chosen
    }

    /// Requests in flight on upstream `i`.
    func inFlight(_ i: Int) -> Int { inFlight[i] }

    /// Gives a slot back.
    func release(_ i: Int) { inFlight[i] = max(0, inFlight[i] - 1) }

    /// Marks an upstream down (a failed connection) or up.
    func setHealthy(_ i: Int, _ up: Bool) { healthy[i] = up }

    /// Whether some upstream is healthy.
    var anyHealthy: Bool { healthy.contains(true) }

    /// In-flight requests per upstream.
    var load: [Int] { inFlight }
}

/// The candidates of one request as a router sees them.
private struct CandidateView: FleetView {
    let candidates: [Int]
    let inFlight: [Int]
    let upstreams: [GatewayConfig.Upstream]
    let targets: SLOTargets
    let expectedOutputTokens: Int?
    var replicaCount: Int { candidates.count }
    func sloTargets(_ request: RequestInfo) -> SLOTargets { targets }
    func predictedOutputTokens(_ request: RequestInfo) -> Double? { expectedOutputTokens.map(Double.init) }
    func outstandingRequests(replica: Int) -> Int { inFlight[candidates[replica]] }
    func outstandingTokens(replica: Int) -> Int { inFlight[candidates[replica]] }
    func pricePerHourUSD(replica: Int) -> Double { upstreams[candidates[replica]].pricePerHourUSD }
}

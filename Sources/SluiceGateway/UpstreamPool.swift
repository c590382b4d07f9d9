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
    private struct Waiter {
        var id: Int
        var model: String
        var excluded: Set<Int>
        var order: QueuedRequest
        var continuation: CheckedContinuation<Int?, Never>
    }
    private var waiters: [Waiter] = []
    private var nextWaiterID = 0
    private let ordering: OrderingPolicy.Rule
    private let maxQueueLength: Int

    init(_ config: GatewayConfig) throws(SluiceError) {
        upstreams = config.upstreams
        inFlight = Array(repeating: 0, count: config.upstreams.count)
        healthy = Array(repeating: true, count: config.upstreams.count)
        served = inFlight
        router = try RouterRegistry.make(named: config.router, seed: 0)
        ordering = OrderingPolicy.Rule(rawValue: config.ordering) ?? .fcfs
        maxQueueLength = config.maxQueueLength
    }

    /// Why a request got no upstream.
    enum Refusal: Error { case queueFull, timedOut }

    /// An upstream for the request, waiting (ordered by the configured rule) while every candidate is at capacity.
    /// - Returns: the upstream, or `nil` when no healthy upstream of the model is left to try.
    /// - Throws: ``Refusal`` when the queue is full or the wait exceeds `maxWaitSeconds`.
    func acquireWaiting(
        model: String, request: RequestInfo, order: QueuedRequest, targets: SLOTargets, expectedOutputTokens: Int?, excluded: Set<Int>,
        maxWaitSeconds: Double
    ) async throws(Refusal) -> Int? {
        if let u = acquire(model: model, request: request, targets: targets, expectedOutputTokens: expectedOutputTokens, excluded: excluded) {
            return u
        }
        // Nothing free: is anything left that could ever take it?
        guard upstreams.indices.contains(where: { upstreams[$0].model == model && healthy[$0] && !excluded.contains($0) }) else { return nil }
        guard waiters.count < maxQueueLength else { throw .queueFull }
        let id = nextWaiterID
        nextWaiterID += 1
        let result: Int? = await withCheckedContinuation { continuation in
            waiters.append(Waiter(id: id, model: model, excluded: excluded, order: order, continuation: continuation))
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(maxWaitSeconds))
                await self?.expire(id)
            }
        }
        guard let u = result else { throw .timedOut }
        return u
    }

    /// Gives up on a waiter (its time is over).
    private func expire(_ id: Int) {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: i).continuation.resume(returning: nil)
    }

    /// Hands upstream `u`'s free slot to the best waiter that can use it.
    private func handOff(_ u: Int) {
        guard inFlight[u] < upstreams[u].maxConcurrency, healthy[u] else { return }
        var best: Int?
        for (i, w) in waiters.enumerated() where w.model == upstreams[u].model && !w.excluded.contains(u) {
            if best.map({ OrderingPolicy.precedes(w.order, waiters[$0].order, rule: ordering) }) ?? true { best = i }
        }
        guard let b = best else { return }
        let w = waiters.remove(at: b)
        inFlight[u] += 1
        served[u] += 1
        w.continuation.resume(returning: u)
    }

    /// Requests waiting for a slot.
    var queueLength: Int { waiters.count }

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

    /// Gives a slot back (to the best waiter, if any).
    func release(_ i: Int) {
        inFlight[i] = max(0, inFlight[i] - 1)
        handOff(i)
    }

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

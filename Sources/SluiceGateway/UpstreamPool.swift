import SluiceCore

/// The gateway's view of its upstreams: in-flight requests, health, the engines' own load signals, each engine's GPU
/// time shared among its requests, and the router (the same ``Router`` code the simulator runs) that picks one for
/// each request. An actor: requests on every connection share it.
actor UpstreamPool {
    let upstreams: [GatewayConfig.Upstream]
    private var inFlight: [Int]
    private var healthy: [Bool]
    private var engineLoad: [EngineLoad?]
    private var router: any Router
    /// Requests served per upstream.
    private(set) var served: [Int]
    private var meters: [GPUTimeShareMeter]
    /// Running means per upstream: GPU-seconds per output token, and output tokens per request.
    private var gpuSecondsPerToken: [Double?]
    private var meanCompletionTokens: [Double?]
    private let defaultExpectedOutputTokens: Int
    private struct Waiter {
        var id: Int
        var model: String
        var excluded: Set<Int>
        var order: QueuedRequest
        var expectedOutputTokens: Int?
        var continuation: CheckedContinuation<Lease?, Never>
    }
    private var waiters: [Waiter] = []
    private var nextWaiterID = 0
    private let ordering: OrderingPolicy.Rule
    private let maxQueueLength: Int

    /// Weight of the newest observation in the running means.
    static let meanWeight = 0.1
    /// GPU-seconds per output token assumed for a budget's worst case before any answer was seen (a sequence
    /// decoding alone at 20 tokens/s: conservative for every current GPU).
    static let coldGPUSecondsPerToken = 0.05

    /// A slot taken on an upstream, with what is needed to charge for it.
    struct Lease: Sendable {
        /// The upstream.
        var upstream: Int
        /// Its GPU meter's mark when the request started.
        var mark: Double
        /// Predicted cost, USD (`nil`: nothing known yet).
        var predictedCostUSD: Double?
    }

    init(_ config: GatewayConfig) throws(SluiceError) {
        upstreams = config.upstreams
        let n = config.upstreams.count
        inFlight = Array(repeating: 0, count: n)
        healthy = Array(repeating: true, count: n)
        engineLoad = Array(repeating: nil, count: n)
        served = inFlight
        meters = Array(repeating: GPUTimeShareMeter(), count: n)
        gpuSecondsPerToken = Array(repeating: nil, count: n)
        meanCompletionTokens = Array(repeating: nil, count: n)
        defaultExpectedOutputTokens = config.defaultExpectedOutputTokens
        router = try RouterRegistry.make(named: config.router, seed: 0)
        ordering = OrderingPolicy.Rule(rawValue: config.ordering) ?? .fcfs
        maxQueueLength = config.maxQueueLength
    }

    /// Why a request got no upstream.
    enum Refusal: Error { case queueFull, timedOut }

    /// An upstream for the request, waiting (ordered by the configured rule) while every candidate is at capacity.
    /// - Returns: the lease, or `nil` when no healthy upstream of the model is left to try.
    /// - Throws: ``Refusal`` when the queue is full or the wait exceeds `maxWaitSeconds`.
    func acquireWaiting(
        model: String, request: RequestInfo, order: QueuedRequest, targets: SLOTargets, expectedOutputTokens: Int?, excluded: Set<Int>,
        maxWaitSeconds: Double
    ) async throws(Refusal) -> Lease? {
        if let lease = acquire(model: model, request: request, targets: targets, expectedOutputTokens: expectedOutputTokens, excluded: excluded) {
            return lease
        }
        // Nothing free: is anything left that could ever take it?
        guard upstreams.indices.contains(where: { upstreams[$0].model == model && healthy[$0] && !excluded.contains($0) }) else { return nil }
        guard waiters.count < maxQueueLength else { throw .queueFull }
        let id = nextWaiterID
        nextWaiterID += 1
        let result: Lease? = await withCheckedContinuation { continuation in
            waiters.append(Waiter(
                id: id, model: model, excluded: excluded, order: order, expectedOutputTokens: expectedOutputTokens, continuation: continuation))
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(maxWaitSeconds))
                await self?.expire(id)
            }
        }
        guard let lease = result else { throw .timedOut }
        return lease
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
        w.continuation.resume(returning: take(u, promptTokens: w.order.promptTokens, expectedOutputTokens: w.expectedOutputTokens))
    }

    /// Takes a slot on `u` and starts charging GPU time to it.
    private func take(_ u: Int, promptTokens: Int, expectedOutputTokens: Int?) -> Lease {
        inFlight[u] += 1
        served[u] += 1
        let mark = meters[u].start(nowSeconds: GatewayClock.monotonicSeconds())
        return Lease(upstream: u, mark: mark, predictedCostUSD: predictedCost(u, promptTokens: promptTokens, expectedOutputTokens: expectedOutputTokens))
    }

    /// Output tokens expected of a request on `u`: the client's hint, else the running mean, else the default.
    private func expectedOutput(_ u: Int, hint: Int?) -> Double {
        hint.map(Double.init) ?? meanCompletionTokens[u] ?? Double(defaultExpectedOutputTokens)
    }

    /// Predicted cost on `u`, USD: per-token prices for an API; the running GPU-seconds per token × price otherwise.
    private func predictedCost(_ u: Int, promptTokens: Int, expectedOutputTokens: Int?) -> Double? {
        let output = expectedOutput(u, hint: expectedOutputTokens)
        if upstreams[u].isTokenPriced { return upstreams[u].tokenCharge(promptTokens: promptTokens, completionTokens: Int(output.rounded())) }
        guard let rate = gpuSecondsPerToken[u] else { return nil }
        return rate * output * upstreams[u].pricePerHourUSD / 3600
    }

    /// The most a request of `model` with `promptTokens` and up to `maxOutputTokens` can cost on any of its upstreams,
    /// USD (what a USD budget reserves).
    func worstCaseCost(model: String, promptTokens: Int, maxOutputTokens: Int) -> Double {
        var worst = 0.0
        for u in upstreams.indices where upstreams[u].model == model {
            let cost = upstreams[u].isTokenPriced
                ? upstreams[u].tokenCharge(promptTokens: promptTokens, completionTokens: maxOutputTokens)
                : max(gpuSecondsPerToken[u] ?? 0, Self.coldGPUSecondsPerToken) * Double(maxOutputTokens) * upstreams[u].pricePerHourUSD / 3600
            worst = max(worst, cost)
        }
        return worst
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
    func acquire(model: String, request: RequestInfo, targets: SLOTargets = SLOTargets(), expectedOutputTokens: Int? = nil, excluded: Set<Int>) -> Lease? {
        let candidates = upstreams.indices.filter {
            upstreams[$0].model == model && healthy[$0] && !excluded.contains($0) && inFlight[$0] < upstreams[$0].maxConcurrency
        }
        guard !candidates.isEmpty else { return nil }
        let view = CandidateView(
            candidates: candidates, inFlight: inFlight, engineLoad: engineLoad, upstreams: upstreams, targets: targets,
            expectedOutputTokens: expectedOutputTokens)
        let pick = router.route(request, fleet: view)
        let chosen = candidates[min(max(pick, 0), candidates.count - 1)]
        return take(chosen, promptTokens: request.promptTokens, expectedOutputTokens: expectedOutputTokens)
    }

    /// Requests in flight on upstream `i`.
    func inFlight(_ i: Int) -> Int { inFlight[i] }

    /// Gives a slot back (to the best waiter, if any) and ends the request's GPU charge.
    /// - Returns: the request's GPU-seconds share.
    @discardableResult
    func release(_ lease: Lease, completionTokens: Int = 0) -> Double {
        let u = lease.upstream
        inFlight[u] = max(0, inFlight[u] - 1)
        let gpuSeconds = meters[u].finish(mark: lease.mark, nowSeconds: GatewayClock.monotonicSeconds())
        if completionTokens > 0 {
            let w = Self.meanWeight
            let rate = gpuSeconds / Double(completionTokens)
            gpuSecondsPerToken[u] = gpuSecondsPerToken[u].map { (1 - w) * $0 + w * rate } ?? rate
            meanCompletionTokens[u] = meanCompletionTokens[u].map { (1 - w) * $0 + w * Double(completionTokens) } ?? Double(completionTokens)
        }
        handOff(u)
        return gpuSeconds
    }

    /// Marks an upstream down (a failed connection or health check) or up; coming up hands its free slots out.
    func setHealthy(_ i: Int, _ up: Bool) {
        let wasDown = !healthy[i]
        healthy[i] = up
        if up && wasDown {
            for _ in 0..<max(0, upstreams[i].maxConcurrency - inFlight[i]) where !waiters.isEmpty { handOff(i) }
        }
    }

    /// Records an engine's own load signal.
    func setEngineLoad(_ i: Int, _ load: EngineLoad?) { engineLoad[i] = load }

    /// Whether upstream `i` is healthy.
    func isHealthy(_ i: Int) -> Bool { healthy[i] }

    /// Whether some upstream is healthy.
    var anyHealthy: Bool { healthy.contains(true) }

    /// In-flight requests per upstream.
    var load: [Int] { inFlight }
}

/// The candidates of one request as a router sees them: a candidate's outstanding requests are the larger of the
/// gateway's own in-flight count and what the engine reports holding (other gateways' requests included).
private struct CandidateView: FleetView {
    let candidates: [Int]
    let inFlight: [Int]
    let engineLoad: [EngineLoad?]
    let upstreams: [GatewayConfig.Upstream]
    let targets: SLOTargets
    let expectedOutputTokens: Int?
    var replicaCount: Int { candidates.count }
    func sloTargets(_ request: RequestInfo) -> SLOTargets { targets }
    func predictedOutputTokens(_ request: RequestInfo) -> Double? { expectedOutputTokens.map(Double.init) }
    func outstandingRequests(replica: Int) -> Int {
        let u = candidates[replica]
        return max(inFlight[u], engineLoad[u]?.outstanding ?? 0)
    }
    func outstandingTokens(replica: Int) -> Int { outstandingRequests(replica: replica) }
    func pricePerHourUSD(replica: Int) -> Double { upstreams[candidates[replica]].pricePerHourUSD }
}

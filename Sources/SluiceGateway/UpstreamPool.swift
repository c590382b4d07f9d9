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
    /// The waiting room (``WaitQueue``, the decisions), the waiting requests' continuations and client checks by
    /// waiter id, and whether the queue's one timer task runs.
    private var queue: WaitQueue
    private var continuations: [Int: CheckedContinuation<Lease?, Never>] = [:]
    private var clientChecks: [Int: @Sendable () -> Bool] = [:]
    private var timerRunning = false
    /// Step-time models (catalog GPU and model): the priors of the learned speeds, and the KV capacity.
    private let performance: [UpstreamPerformance?]
    /// Each upstream's speed as observed (``OnlineStepTimeLearner``), and the latency predictor over it once warm (the
    /// catalog's before that; none for an upstream without a GPU until it has been observed): what `cost-aware`,
    /// `sa-slo`, SLO admission and predicted cost use.
    private var learners: [OnlineStepTimeLearner]
    private var predictors: [LatencyPredictor?]
    private var meanPromptTokens: [Double?]
    /// One request-level policy per upstream when the ordering is `sa-slo` (it orders that upstream's waiters and caps
    /// its concurrency whenever a slot frees).
    private var requestPolicies: [(any RequestQueuePolicy)?]

    /// Tokens each upstream holds or must still process: Σ over its requests in flight of prompt estimate + output
    /// limit (what `least-work` and `prefix-affinity` compare).
    private var outstandingTokens: [Int]
    /// Prompt prefixes and sessions seen, by upstream.
    private var memory: RoutingMemory

    /// What routing knows of a request besides its size: its prompt's prefix blocks, its session, its output limit.
    struct RoutingHints: Sendable {
        var prefixHashes: [UInt64] = []
        var session: String?
        var maxTokens = 0
    }

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
        /// Tokens it added to the upstream's outstanding tokens.
        var tokens = 0
        /// Predicted cost, USD (`nil`: nothing known yet).
        var predictedCostUSD: Double?
        /// Requests in flight on the upstream once this one was admitted.
        var inFlight: Int
    }

    private let metrics: GatewayMetrics?

    init(_ config: GatewayConfig, metrics: GatewayMetrics? = nil) throws(SluiceError) {
        self.metrics = metrics
        upstreams = config.upstreams
        let n = config.upstreams.count
        inFlight = Array(repeating: 0, count: n)
        outstandingTokens = inFlight
        memory = RoutingMemory(upstreams: n)
        healthy = Array(repeating: true, count: n)
        engineLoad = Array(repeating: nil, count: n)
        served = inFlight
        meters = Array(repeating: GPUTimeShareMeter(), count: n)
        gpuSecondsPerToken = Array(repeating: nil, count: n)
        meanCompletionTokens = Array(repeating: nil, count: n)
        defaultExpectedOutputTokens = config.defaultExpectedOutputTokens
        router = try RouterRegistry.make(named: config.router, seed: 0)
        // An unknown ordering is an error, not FCFS (sa-slo has its own policy; the queue's rule is then unused).
        guard let rule = OrderingPolicy.Rule(rawValue: config.ordering) ?? (config.ordering == "sa-slo" ? .fcfs : nil) else {
            throw .invalidValue(field: "ordering", value: config.ordering, allowed: RequestPolicyRegistry.names.joined(separator: ", "))
        }
        queue = WaitQueue(ordering: rule)
        performance = try UpstreamPerformance.resolve(config)
        learners = performance.map { OnlineStepTimeLearner(prior: $0?.predictor.stepModel) }
        predictors = performance.map { $0?.predictor }
        meanPromptTokens = Array(repeating: nil, count: n)
        if config.ordering == "sa-slo" {
            let entry = try RequestPolicyRegistry.entry(named: "sa-slo")
            requestPolicies = try (0..<n).map { i throws(SluiceError) in try entry.instantiate(seed: UInt64(i), options: SchedulerOptions()) }
        } else {
            requestPolicies = Array(repeating: nil, count: n)
        }
    }

    /// What upstream `u` holds now, as SluiceCore's request-level policies see an instance: its requests (the larger of
    /// the gateway's count and the engine's own), half a mean output still to go for each, the prompts of those the
    /// engine reports queued still to compute.
    private func instanceLoad(_ u: Int, now: Double) -> InstanceLoad {
        let live = max(inFlight[u], engineLoad[u]?.outstanding ?? 0)
        let output = meanCompletionTokens[u] ?? Double(defaultExpectedOutputTokens)
        let prompt = meanPromptTokens[u] ?? 0
        var load = InstanceLoad(
            nowSeconds: now, liveRequests: live, liveRemainingTokens: Double(live) * output / 2,
            livePendingPrefillTokens: Double(engineLoad[u]?.waiting ?? 0) * prompt, maxConcurrency: upstreams[u].maxConcurrency,
            kvCapacityTokens: performance[u]?.kvCapacityTokens)
        load.livePromptTokens = Double(live) * prompt
        load.liveOutputTokens = Double(live) * output
        return load
    }

    /// Why a request got no upstream.
    enum Refusal: Error { case queueFull, timedOut }

    /// An upstream for the request, waiting (ordered by the configured rule) while every candidate is at capacity.
    /// - Returns: the lease, or `nil` when no healthy upstream of the model is left to try.
    /// - Throws: ``Refusal`` when the queue is full or the wait exceeds `maxWaitSeconds`.
    func acquireWaiting(
        model: String, request: RequestInfo, order: QueuedRequest, targets: SLOTargets, expectedOutputTokens: Int?, excluded: Set<Int>,
        band: GatewayConfig.PriorityBand, maxQueueLength: Int, maxWaitSeconds: Double, hints: RoutingHints = RoutingHints(),
        clientConnected: @escaping @Sendable () -> Bool = { true }
    ) async throws(Refusal) -> Lease? {
        if let lease = acquire(
            model: model, request: request, targets: targets, expectedOutputTokens: expectedOutputTokens, excluded: excluded, hints: hints) {
            return lease
        }
        // Nothing free: is anything left that could ever take it?
        guard upstreams.indices.contains(where: { upstreams[$0].model == model && healthy[$0] && !excluded.contains($0) }) else { return nil }
        let now = GatewayClock.monotonicSeconds()
        guard let id = queue.enqueue(
            model: model, excluded: excluded, order: order, expectedOutputTokens: expectedOutputTokens, band: band, hints: hints,
            maxLength: maxQueueLength, maxWaitSeconds: maxWaitSeconds, now: now)
        else { throw .queueFull }
        metrics?.queueLength(band: band.rawValue, count: queue.countByBand[band, default: 0])
        let result: Lease? = await withCheckedContinuation { continuation in
            continuations[id] = continuation
            clientChecks[id] = clientConnected
            if !timerRunning {
                timerRunning = true
                Task { await self.runTimer() }
            }
        }
        guard let lease = result else { throw .timedOut }
        return lease
    }

    /// Seconds between checks that waiting requests' clients are still connected.
    static let clientCheckSeconds = 0.1

    /// The queue's one timer: while anybody waits, wakes at the earliest deadline or every ``clientCheckSeconds`` and
    /// lets out the waiters whose time is over or whose client hung up (so a client that went away does not hold a
    /// place a live one could take).
    private func runTimer() async {
        while let deadline = queue.earliestDeadlineSeconds {
            let now = GatewayClock.monotonicSeconds()
            try? await Task.sleep(for: .seconds(max(0, min(deadline - now, Self.clientCheckSeconds))))
            for e in queue.expire(now: GatewayClock.monotonicSeconds()) { resume(e, with: nil) }
            for (id, connected) in clientChecks where !connected() {
                if let e = queue.cancel(id) { resume(e, with: nil) }
            }
        }
        timerRunning = false
    }

    /// Tells a waiter it has `lease` (or that its wait is over, `nil`).
    private func resume(_ e: WaitQueue.Entry, with lease: Lease?) {
        clientChecks.removeValue(forKey: e.id)
        metrics?.queueLength(band: e.band.rawValue, count: queue.countByBand[e.band, default: 0])
        continuations.removeValue(forKey: e.id)?.resume(returning: lease)
    }

    /// Hands upstream `u`'s free slot to the best waiter that can use it (``WaitQueue/next(for:model:choose:)``; with
    /// `sa-slo`, the policy orders the waiters this upstream can take and caps its concurrency).
    private func handOff(_ u: Int) {
        guard inFlight[u] < upstreams[u].maxConcurrency, healthy[u], queue.count > 0 else { return }
        var entry: WaitQueue.Entry?
        if var policy = requestPolicies[u], let predictor = predictors[u] {
            let load = instanceLoad(u, now: GatewayClock.monotonicSeconds())
            let running = inFlight[u]
            entry = queue.next(for: u, model: upstreams[u].model) { candidates in
                let cap = policy.decide(&candidates, load: load, predictor: predictor)
                return running < cap ? candidates.first?.handle : nil
            }
            requestPolicies[u] = policy
        } else {
            entry = queue.next(for: u, model: upstreams[u].model)
        }
        guard let e = entry else { return }
        resume(e, with: take(u, promptTokens: e.order.promptTokens, expectedOutputTokens: e.expectedOutputTokens, hints: e.hints))
    }

    /// Takes a slot on `u` and starts charging GPU time to it.
    private func take(_ u: Int, promptTokens: Int, expectedOutputTokens: Int?, hints: RoutingHints) -> Lease {
        inFlight[u] += 1
        served[u] += 1
        let tokens = promptTokens + hints.maxTokens
        outstandingTokens[u] += tokens
        memory.record(u, hashes: hints.prefixHashes, session: hints.session)
        let mark = meters[u].start(nowSeconds: GatewayClock.monotonicSeconds())
        return Lease(
            upstream: u, mark: mark, tokens: tokens,
            predictedCostUSD: predictedCost(u, promptTokens: promptTokens, expectedOutputTokens: expectedOutputTokens), inFlight: inFlight[u])
    }

    /// Output tokens expected of a request on `u`: the client's hint, else the running mean, else the default.
    private func expectedOutput(_ u: Int, hint: Int?) -> Double {
        hint.map(Double.init) ?? meanCompletionTokens[u] ?? Double(defaultExpectedOutputTokens)
    }

    /// Predicted cost on `u`, USD: per-token prices for an API; otherwise the request's predicted share of the engine's
    /// time at the load it starts under (its prefill, plus `1/n` of each decode step at `n` requests running) from the
    /// learned speed once it has observations, else the running GPU-seconds per token.
    private func predictedCost(_ u: Int, promptTokens: Int, expectedOutputTokens: Int?) -> Double? {
        let output = expectedOutput(u, hint: expectedOutputTokens)
        if upstreams[u].isTokenPriced { return upstreams[u].tokenCharge(promptTokens: promptTokens, completionTokens: Int(output.rounded())) }
        let price = upstreams[u].pricePerHourUSD / 3600
        if learners[u].observations >= learners[u].warmUpObservations {
            return learners[u].gpuSecondsShare(promptTokens: promptTokens, outputTokens: output, concurrency: inFlight[u]) * price
        }
        guard let rate = gpuSecondsPerToken[u] else { return nil }
        return rate * output * price
    }

    /// The most a request of `model` with `promptTokens` and up to `maxOutputTokens` can cost on each of its healthy
    /// upstreams, USD (what a USD budget reserves: the dearest, or with `downgrade` the cheapest).
    func worstCaseCosts(model: String, promptTokens: Int, maxOutputTokens: Int) -> [(upstream: Int, usd: Double)] {
        upstreams.indices.filter { upstreams[$0].model == model && healthy[$0] }.map { u in
            let cost = upstreams[u].isTokenPriced
                ? upstreams[u].tokenCharge(promptTokens: promptTokens, completionTokens: maxOutputTokens)
                : worstCaseGPUSeconds(u, promptTokens: promptTokens, maxOutputTokens: maxOutputTokens) * upstreams[u].pricePerHourUSD / 3600
            return (u, cost)
        }
    }

    /// The most GPU time a request can be charged on `u`: its prefill and every decode step alone on the engine (a
    /// request's share of a step is at most the whole step), from the upstream's step-time model (its calibrated prior,
    /// then what it learned) with ``worstCaseSpeedMargin``; else the running GPU-seconds per token with the same margin;
    /// else the cold-start rate. A request that still costs more is charged in full when it settles.
    private func worstCaseGPUSeconds(_ u: Int, promptTokens: Int, maxOutputTokens: Int) -> Double {
        if learners[u].isWarm {
            let alone = learners[u].gpuSecondsShare(promptTokens: promptTokens, outputTokens: Double(maxOutputTokens), concurrency: 1)
            return alone * Self.worstCaseSpeedMargin
        }
        if let rate = gpuSecondsPerToken[u] { return rate * Double(maxOutputTokens) * Self.worstCaseSpeedMargin }
        return Self.coldGPUSecondsPerToken * Double(maxOutputTokens)
    }

    /// How much slower than its step-time model an upstream may run before a USD reservation falls short.
    static let worstCaseSpeedMargin = 2.0

    /// Requests waiting for a slot.
    var queueLength: Int { queue.count }

    /// Whether some healthy upstream of `model` is predicted to meet `targets` for the request, from its step-time
    /// model, with the requests already waiting for the model counted ahead of it (`true` when no upstream of the model
    /// has a step-time model: nothing to judge by).
    func canMeet(model: String, request: RequestInfo, targets: SLOTargets, expectedOutputTokens: Int?) -> Bool {
        let now = GatewayClock.monotonicSeconds()
        let waiting = queue.waiting(model: model)
        var judged = false
        for u in upstreams.indices where upstreams[u].model == model && healthy[u] {
            guard let predictor = predictors[u] else { continue }
            judged = true
            var load = instanceLoad(u, now: now)
            load.liveRequests += waiting
            load.liveRemainingTokens += Double(waiting) * (meanCompletionTokens[u] ?? Double(defaultExpectedOutputTokens))
            let q = QueuedRequest(
                requestID: 0, handle: 0, arrivalSeconds: now, promptTokens: request.promptTokens,
                predictedOutputTokens: expectedOutput(u, hint: expectedOutputTokens), sloClass: 0, targets: targets)
            if SLOFeasibility(q, load: load, predictor: predictor, targets: targets).feasible { return true }
        }
        return !judged
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
    func acquire(
        model: String, request: RequestInfo, targets: SLOTargets = SLOTargets(), expectedOutputTokens: Int? = nil, excluded: Set<Int>,
        hints: RoutingHints = RoutingHints()
    ) -> Lease? {
        let candidates = upstreams.indices.filter {
            upstreams[$0].model == model && healthy[$0] && !excluded.contains($0) && inFlight[$0] < upstreams[$0].maxConcurrency
        }
        guard !candidates.isEmpty else { return nil }
        // Session affinity: the upstream the session used last, while it can take the request.
        if let session = hints.session, let u = memory.upstream(ofSession: session), candidates.contains(u) {
            return take(u, promptTokens: request.promptTokens, expectedOutputTokens: expectedOutputTokens, hints: hints)
        }
        let now = GatewayClock.monotonicSeconds()
        var info = request
        info.arrivalSeconds = now
        let view = CandidateView(
            candidates: candidates, inFlight: inFlight, engineLoad: engineLoad, upstreams: upstreams, targets: targets,
            expectedOutputTokens: expectedOutputTokens, loads: candidates.map { predictors[$0] == nil ? nil : instanceLoad($0, now: now) },
            predictors: candidates.map { predictors[$0] }, outstandingTokens: outstandingTokens,
            cachedPrefixTokens: candidates.map { memory.cachedBlocks($0, hints.prefixHashes) * PromptPrefix.blockTokens })
        let pick = router.route(info, fleet: view)
        let chosen = candidates[min(max(pick, 0), candidates.count - 1)]
        return take(chosen, promptTokens: request.promptTokens, expectedOutputTokens: expectedOutputTokens, hints: hints)
    }

    /// Requests in flight on upstream `i`.
    func inFlight(_ i: Int) -> Int { inFlight[i] }

    /// Gives a slot back (to the best waiter, if any) and ends the request's GPU charge.
    /// - Returns: the request's GPU-seconds share, and the requests left in flight on the upstream.
    @discardableResult
    func release(_ lease: Lease, promptTokens: Int = 0, completionTokens: Int = 0, timing: ObservedTiming? = nil) -> (gpuSeconds: Double, inFlight: Int) {
        let u = lease.upstream
        if let timing { learn(u, lease: lease, promptTokens: promptTokens, completionTokens: completionTokens, timing: timing) }
        inFlight[u] = max(0, inFlight[u] - 1)
        outstandingTokens[u] = max(0, outstandingTokens[u] - lease.tokens)
        let gpuSeconds = meters[u].finish(mark: lease.mark, nowSeconds: GatewayClock.monotonicSeconds())
        if completionTokens > 0 {
            let w = Self.meanWeight
            let rate = gpuSeconds / Double(completionTokens)
            gpuSecondsPerToken[u] = gpuSecondsPerToken[u].map { (1 - w) * $0 + w * rate } ?? rate
            meanCompletionTokens[u] = meanCompletionTokens[u].map { (1 - w) * $0 + w * Double(completionTokens) } ?? Double(completionTokens)
            meanPromptTokens[u] = meanPromptTokens[u].map { (1 - w) * $0 + w * Double(promptTokens) } ?? Double(promptTokens)
        }
        handOff(u)
        return (gpuSeconds, inFlight[u])
    }

    /// What the gateway saw of a streamed answer: when it sent the request upstream, and its first and last tokens.
    struct ObservedTiming: Sendable {
        var dispatchedSeconds: Double
        var firstTokenSeconds: Double
        var lastTokenSeconds: Double
    }

    /// Feeds one answer to the upstream's speed model: its TPOT at the concurrency it ran under (the mean of the
    /// requests in flight when it started and when it ended) and its time to first token from dispatch.
    private func learn(_ u: Int, lease: Lease, promptTokens: Int, completionTokens: Int, timing: ObservedTiming) {
        let tpot = completionTokens > 1 ? (timing.lastTokenSeconds - timing.firstTokenSeconds) / Double(completionTokens - 1) : nil
        let concurrency = Int((Double(lease.inFlight + inFlight[u]) / 2).rounded())
        learners[u].observe(
            concurrency: max(concurrency, 1), tpotSeconds: tpot, promptTokens: promptTokens,
            prefillSeconds: timing.firstTokenSeconds - timing.dispatchedSeconds)
        if learners[u].isWarm { predictors[u] = LatencyPredictor(stepModel: learners[u].model) }
        metrics?.learnedSpeed(
            upstream: upstreams[u].name, decodeSeconds: learners[u].decodeStepSeconds(concurrency: 1),
            prefill1kSeconds: learners[u].prefillSeconds(promptTokens: Self.reportedPromptTokens), observations: learners[u].observations)
    }

    /// Prompt length of the learned prefill time in the metrics.
    static let reportedPromptTokens = 1024

    /// The learned speed of upstream `u` (for reports and tests).
    func learnedSpeed(_ u: Int) -> OnlineStepTimeLearner { learners[u] }

    /// Marks an upstream down (a failed connection or health check) or up; coming up hands its free slots out.
    func setHealthy(_ i: Int, _ up: Bool) {
        let wasDown = !healthy[i]
        healthy[i] = up
        if up && wasDown {
            for _ in 0..<max(0, upstreams[i].maxConcurrency - inFlight[i]) where queue.count > 0 { handOff(i) }
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

public import SluiceCore
import DequeModule
import HeapModule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one simulated replica runs.
public struct ReplicaSpec: Sendable {
    /// The deployment (model, GPU, TP, engine limits).
    public var deployment: Deployment
    /// The scheduler's registered name.
    public var scheduler: String
    /// The step-time model; `nil` builds a default-parameter roofline for the deployment.
    public var stepModel: (any StepTimeModel)?
    /// Overrides of the scheduler's parameters.
    public var schedulerOptions: SchedulerOptions
    /// The pool the replica belongs to (`nil`: its deployment's label); an autoscaler sizes each pool.
    public var pool: String?
    /// How long the replica takes to start from cold.
    public var coldStart = ColdStartModel()
    /// Whether it is warm at time 0 (with an autoscaler; without one every replica is warm throughout).
    public var initiallyWarm = true
    /// Spot capacity (`nil`: on-demand).
    public var spot: SpotTerms?

    /// Creates a replica spec.
    public init(deployment: Deployment, scheduler: String, stepModel: (any StepTimeModel)? = nil, schedulerOptions: SchedulerOptions = SchedulerOptions()) {
        self.deployment = deployment
        self.scheduler = scheduler
        self.stepModel = stepModel
        self.schedulerOptions = schedulerOptions
    }
}

/// One simulation: a fleet of replicas, a router and the SLO classes; ``run(_:outcomes:progress:)`` replays
/// a request stream through it.
///
/// The event loop keeps one total order: events are keyed by (time, kind, sequence number), an iteration end
/// sorting before an arrival at the same instant; arrivals are pulled from the source one at a time, so memory
/// is bounded by live requests. The same inputs and seed give the same outputs, bit for bit.
public struct Simulation: Sendable {
    /// The replicas.
    public var replicas: [ReplicaSpec]
    /// The router's registered name.
    public var router: String
    /// The SLO classes requests are judged against.
    public var sloClasses: SLOClassTable
    /// Seed for every random choice in the run (the router's, the noisy predictor's).
    public var seed: UInt64
    /// Output-length predictor for schedulers that use one (`online`, `oracle`, `noisy-oracle`).
    public var predictor: String = "online"
    /// Mean absolute error of the `noisy-oracle` predictor, tokens.
    public var predictorMeanAbsoluteErrorTokens: Double = 0
    /// Request-level scheduler ordering a queue in front of each engine (``RequestPolicyRegistry``); `nil`: none.
    public var requestScheduler: String?
    /// Overrides of the request-level scheduler's parameters (`--request-option`).
    public var requestSchedulerOptions = SchedulerOptions()
    /// Measure the wall-clock time of every request-level decision (the result's ``SimulationResult/requestDecisionTimes``).
    public var timeRequestDecisions = false
    /// Autoscaler sizing each pool (``AutoscalerRegistry``); `nil`: a static fleet, every replica warm throughout.
    public var autoscaler: String?
    /// Overrides of the autoscaler's parameters.
    public var autoscalerOptions = SchedulerOptions()
    /// Replicas each pool keeps provisioned whatever its autoscaler says.
    public var minReplicas = 0
    /// Budgets by tenant (a request's tenant is its `tenant`, else its SLO class's name).
    public var budgets: [String: TenantBudget] = [:]
    /// Physical GPUs by type name: replicas are then placed in GPU memory regions (several may share a GPU, and
    /// fragmentation can refuse a cold start), each GPU is billed while it hosts a replica, and replicas sharing a GPU
    /// slow each other down. `nil`: every replica has its GPUs to itself.
    public var gpuInventory: [String: Int]?

    /// Creates a simulation.
    public init(replicas: [ReplicaSpec], router: String = "round-robin", sloClasses: SLOClassTable, seed: UInt64 = 0) {
        self.replicas = replicas
        self.router = router
        self.sloClasses = sloClasses
        self.seed = seed
    }

    /// Progress reported while running: requests arrived so far and simulated seconds.
    public typealias Progress = (_ arrived: Int, _ simulatedSeconds: Double) -> Void

    /// Events between progress callbacks.
    public static let progressInterval = 1 << 16

    /// Runs the requests of `source` to completion.
    /// - Parameters:
    ///   - source: requests in arrival order.
    ///   - outcomes: receives each request's outcome as it ends.
    ///   - progress: called every ``progressInterval`` events.
    /// - Returns: the run's result.
    /// - Throws: ``SluiceError`` for a bad configuration, malformed input or a failing sink.
    public func run(
        _ source: inout some RequestSource, outcomes: inout some RequestOutcomeSink, progress: Progress? = nil
    ) throws(SluiceError) -> SimulationResult {
        let wallStart = monotonicSeconds()
        guard !replicas.isEmpty else { throw .invalidValue(field: "replicas", value: "0", allowed: "at least 1 replica") }
        var fleet: [Replica] = []
        var sharedPredictor: SharedPredictor?
        for (i, spec) in replicas.enumerated() {
            let entry = try SchedulerRegistry.entry(named: spec.scheduler)
            let budget = spec.deployment.limits.maxBatchedTokens ?? entry.defaultMaxBatchedTokens ?? Int.max
            guard budget > 0 else { throw .invalidValue(field: "chunk-size", value: "\(budget)", allowed: "a positive token count") }
            let model = spec.stepModel ?? RooflineStepTimeModel(deployment: spec.deployment)
            let scheduler = try entry.instantiate(SchedulerContext(deployment: spec.deployment, stepModel: model, options: spec.schedulerOptions))
            fleet.append(try Replica(index: i, deployment: spec.deployment, scheduler: scheduler, maxBatchedTokens: budget, stepModel: model,
                tbtTargetsByClass: sloClasses.classes.map(\.targets.tbtSeconds)))
            if entry.usesPredictor {
                if sharedPredictor == nil {
                    sharedPredictor = SharedPredictor(
                        try PredictorRegistry.make(named: predictor, meanAbsoluteErrorTokens: predictorMeanAbsoluteErrorTokens, seed: seed),
                        seed: seed)
                }
                fleet[i].predictor = sharedPredictor
                fleet[i].repredictEveryTokens = try entry.repredictEvery(spec.schedulerOptions)
            }
        }
        if let requestScheduler {
            let entry = try RequestPolicyRegistry.entry(named: requestScheduler)
            for (i, replica) in fleet.enumerated() {
                replica.requestPolicy = try entry.instantiate(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15, options: requestSchedulerOptions)
                if timeRequestDecisions { replica.decisionTimes = LatencyHistogram() }
                if entry.usesPredictor && replica.predictor == nil {
                    if sharedPredictor == nil {
                        sharedPredictor = SharedPredictor(
                            try PredictorRegistry.make(named: predictor, meanAbsoluteErrorTokens: predictorMeanAbsoluteErrorTokens, seed: seed),
                            seed: seed)
                    }
                    replica.predictor = sharedPredictor
                }
            }
        }
        var router = try RouterRegistry.make(named: router, seed: seed)
        // A latency-aware router predicts output lengths with the fleet's predictor (learning from every completion).
        if router is CostAwareRouter && sharedPredictor == nil {
            sharedPredictor = SharedPredictor(
                try PredictorRegistry.make(named: predictor, meanAbsoluteErrorTokens: predictorMeanAbsoluteErrorTokens, seed: seed), seed: seed)
            for r in fleet where r.predictor == nil { r.predictor = sharedPredictor }
        }
        let routerPredictor = router is CostAwareRouter ? sharedPredictor : nil
        var inventory: GPUInventory?
        if let gpuInventory {
            var counts: [(spec: GPUSpec, count: Int)] = []
            for (name, count) in gpuInventory.sorted(by: { $0.key < $1.key }) {
                guard let spec = replicas.first(where: { $0.deployment.gpu.name == name })?.deployment.gpu, count >= 0 else {
                    throw .invalidValue(field: "gpu inventory", value: "\(name)=\(count)", allowed: "a GPU type the fleet's replicas use, with a count >= 0")
                }
                counts.append((spec, count))
            }
            inventory = GPUInventory(counts)
        }
        let elastic = try ElasticFleet(
            specs: replicas, autoscaler: autoscaler, options: autoscalerOptions, minReplicas: minReplicas, seed: seed, inventory: inventory)
        var metrics = ServingMetrics(classCount: sloClasses.count)
        var events = Heap<IterationEnd>()
        var sequence: UInt64 = 0
        var eventCount = 0
        var arrived = 0
        var truncated = 0
        var lastEventSeconds = 0.0
        var sinkError: SluiceError?
        let classes = sloClasses

        func finish(_ o: RequestOutcome) {
            var o = o
            if o.status == .completed {
                o.sloMet = classes[o.sloClass].targets.isMet(
                    ttftSeconds: o.ttftSeconds, maxGapSeconds: o.maxTBTSeconds, tpotSeconds: o.tpotSeconds, e2eSeconds: o.e2eSeconds)
            }
            metrics.recordOutcome(o)
            if !reservations.isEmpty { settle(o) }
            if elastic.isElastic { elastic.recordCompletion(o) }
            do throws(SluiceError) { try outcomes.record(o) } catch { if sinkError == nil { sinkError = error } }
        }
        var ledger = BudgetLedger(budgets: budgets)
        let pricing = fleet.map { TokenPricing(deployment: $0.deployment, stepModel: $0.stepModel, pricePerHourUSD: $0.pricePerHourUSD) }
        var reservations: [Int: (tenant: String, period: Int, usd: Double, tokens: Double, replica: Int)] = [:]
        func settle(_ o: RequestOutcome) {
            guard let r = reservations.removeValue(forKey: o.requestID) else { return }
            let used = o.status == .completed ? pricing[r.replica].charge(promptTokens: o.promptTokens, outputTokens: o.outputTokens) : 0
            let tokens = o.status == .completed ? Double(o.promptTokens + o.outputTokens) : 0
            ledger.settle(tenant: r.tenant, period: r.period, reservedUSD: r.usd, reservedTokens: r.tokens, usd: used, tokens: tokens)
        }
        /// Reserves the request's worst case on `replica` for its tenant. - Returns: whether the budget allows it.
        func reserve(_ request: Request, tenant: String, on replica: Replica, now: Double) -> Bool {
            let output = max(1, min(replica.deployment.limits.maxOutputTokens, replica.maxSequenceTokens - request.promptTokens))
            let usd = pricing[replica.index].charge(promptTokens: request.promptTokens, outputTokens: output)
            let tokens = Double(request.promptTokens + output)
            guard ledger.reserve(tenant: tenant, usd: usd, tokens: tokens, now: now) else { return false }
            reservations[request.id] = (tenant, ledger.period(tenant: tenant, now: now), usd, tokens, replica.index)
            return true
        }
        var stalled: SluiceError?
        func start(_ replica: Replica, at now: Double) {
            while true {
                if var end = replica.startIteration(now: now) {
                    if elastic.inventory != nil {
                        // Replicas sharing a GPU time-slice it: a busy co-tenant stretches this iteration.
                        let busy = elastic.coTenants(of: replica.index).reduce(0) { $0 + (fleet[$1].isBusy ? 1 : 0) }
                        if busy > 0 { end = now + (end - now) * Double(1 + busy) }
                    }
                    replica.inFlightSequence = sequence
                    events.insert(IterationEnd(seconds: end, sequence: sequence, replica: Int32(replica.index)))
                    sequence &+= 1
                    return
                }
                if let wake = replica.scheduler.nextDecisionSeconds(replica.engine), wake > now {
                    // The scheduler holds its requests on purpose until `wake` (or the next arrival).
                    if replica.wakeAtSeconds != wake {
                        replica.wakeAtSeconds = wake
                        events.insert(IterationEnd(seconds: wake, sequence: sequence, replica: Int32(replica.index), kind: .wakeUp))
                        sequence &+= 1
                    }
                    return
                }
                if !replica.engine.running.isEmpty && stalled == nil {
                    // A scheduler that leaves admitted requests unserved with nothing in flight would hang the run.
                    stalled = .invalidValue(
                        field: "scheduler \(replica.scheduler.name)", value: "an empty batch with \(replica.engine.running.count) running requests",
                        allowed: "a scheduler that always makes progress (this is a bug in the scheduler)")
                }
                guard let slot = replica.takeUnschedulableHead() else { return }
                finish(replica.reject(slot: slot, reason: "could not be scheduled on an idle replica"))
            }
        }
        func schedule(_ kind: IterationEnd.Kind, at seconds: Double, index: Int) {
            events.insert(IterationEnd(seconds: seconds, sequence: sequence, replica: Int32(index), kind: kind))
            sequence &+= 1
        }
        /// Routes a request among the warm replicas and hands it to the chosen one.
        func dispatch(_ request: Request, now: Double) throws(SluiceError) {
            let view = FleetSnapshot(
                replicas: fleet, routable: elastic.candidates(for: request), classes: classes, predictor: routerPredictor, nowSeconds: now,
                prefixHashes: request.prefixBlockHashes)
            let r = router.route(request.info, fleet: view)
            guard r >= 0 && r < view.replicaCount else {
                throw .invalidValue(field: "router result", value: "\(r)", allowed: "0..<\(view.replicaCount)")
            }
            var replica = fleet[view.routable[r]]
            let tenant = request.tenant ?? classes[request.sloClass].name
            if let budget = budgets[tenant], replica.rejection(for: request) == nil {
                var admitted = reserve(request, tenant: tenant, on: replica, now: now)
                if !admitted && budget.overflow == .downgrade {
                    // The cheapest warm replica (by its price per output token), least loaded among equals.
                    let cheapest = view.routable.min { a, b in
                        (pricing[a].usdPerOutputToken, fleet[a].engine.liveCount) < (pricing[b].usdPerOutputToken, fleet[b].engine.liveCount)
                    }
                    if let c = cheapest, c != replica.index, fleet[c].rejection(for: request) == nil {
                        admitted = reserve(request, tenant: tenant, on: fleet[c], now: now)
                        if admitted {
                            replica = fleet[c]
                            ledger.count(tenant: tenant, rejected: false)
                        }
                    }
                }
                if !admitted {
                    ledger.count(tenant: tenant, rejected: true)
                    var o = RequestOutcome(
                        requestID: request.id, replica: replica.index, sloClass: request.sloClass, status: .rejected,
                        arrivalSeconds: request.arrivalSeconds, promptTokens: request.promptTokens, outputTokens: 0)
                    o.rejectReason = "tenant \(tenant) is over its budget"
                    finish(o)
                    return
                }
            }
            if elastic.isElastic { elastic.recordArrival(pool: elastic.poolOfReplica[replica.index], now: now, promptTokens: request.promptTokens) }
            if let reason = replica.rejection(for: request) {
                var o = RequestOutcome(
                    requestID: request.id, replica: replica.index, sloClass: request.sloClass, status: .rejected,
                    arrivalSeconds: request.arrivalSeconds, promptTokens: request.promptTokens, outputTokens: 0)
                o.rejectReason = reason
                finish(o)
            } else {
                replica.submit(request, targets: classes[request.sloClass].targets)
                replica.releaseQueued(now: now)
                if !replica.isBusy { start(replica, at: now) }
            }
        }
        /// Sends waiting requests to warm replicas, in arrival order.
        func flushPending(now: Double) throws(SluiceError) {
            guard !elastic.pending.isEmpty, !elastic.routable.isEmpty else { return }
            var waiting = Deque<Request>()
            while let request = elastic.pending.popFirst() {
                if elastic.candidates(for: request).isEmpty { waiting.append(request) } else { try dispatch(request, now: now) }
            }
            elastic.pending = waiting
        }
        /// Runs a pool's autoscaler; starts loads; keeps the epochs going while there is anything to do.
        func runEpoch(pool: Int, now: Double, reschedule: Bool) {
            for (replica, warmAt) in elastic.epoch(pool: pool, now: now, replicas: fleet) { schedule(.loadDone, at: warmAt, index: replica) }
            if reschedule, let a = elastic.pools[pool].autoscaler {
                let busy = fleet.contains { $0.engine.liveCount > 0 || !$0.requestQueue.isEmpty }
                // After the last arrival, epochs stop once the fleet is idle and settled.
                if nextArrival != nil || busy || !elastic.pending.isEmpty || elastic.hasTransitions {
                    schedule(.epoch, at: now + a.epochSeconds, index: pool)
                }
            }
        }

        var nextArrival = try source.next()
        var spotRNG = SplitMix64.stream(seed: seed, label: 0x5B07)
        func nextInterruption(after now: Double, replica: Int) {
            guard let rate = replicas[replica].spot?.interruptionsPerHour, rate > 0 else { return }
            schedule(.interruption, at: now - log(1 - spotRNG.nextUnit()) * 3600 / rate, index: replica)
        }
        /// A spot reclaim: the replica's requests are dispatched again (or fail if streaming) and a replacement loads.
        func interrupt(_ index: Int, now: Double) throws(SluiceError) {
            nextInterruption(after: now, replica: index)
            guard elastic.state[index] != .cold else { return }
            let (requeue, interrupted) = fleet[index].evacuate(now: now)
            for o in interrupted { finish(o) }
            if let warmAt = elastic.replace(replica: index, now: now) { schedule(.loadDone, at: warmAt, index: index) }
            for request in requeue {
                if let r = reservations.removeValue(forKey: request.id) {
                    ledger.settle(tenant: r.tenant, period: r.period, reservedUSD: r.usd, reservedTokens: r.tokens, usd: 0, tokens: 0)
                }
                elastic.pending.append(request)
            }
            try flushPending(now: now)
        }
        for (i, spec) in replicas.enumerated() where spec.spot != nil {
            fleet[i].pricePerHourUSD = spec.deployment.gpu.effectiveSpotPricePerHourUSD * Double(spec.deployment.tensorParallel)
            nextInterruption(after: 0, replica: i)
        }
        elastic.replicaPrices = fleet.map(\.pricePerHourUSD)
        for p in elastic.pools.indices {
            if let a = elastic.pools[p].autoscaler { schedule(.epoch, at: a.epochSeconds, index: p) }
        }
        while true {
            if let next = nextArrival, events.min.map({ next.arrivalSeconds < $0.seconds }) ?? true {
                // Arrival.
                let request = next
                guard request.sloClass >= 0 && request.sloClass < classes.count else {
                    throw .invalidValue(field: "sloClass", value: "\(request.sloClass)", allowed: "0..<\(classes.count)")
                }
                let now = max(request.arrivalSeconds, lastEventSeconds)
                lastEventSeconds = now
                arrived += 1
                metrics.recordArrival(sloClass: request.sloClass)
                if let model = request.model, !elastic.serves(model) {
                    var o = RequestOutcome(
                        requestID: request.id, replica: -1, sloClass: request.sloClass, status: .rejected,
                        arrivalSeconds: request.arrivalSeconds, promptTokens: request.promptTokens, outputTokens: 0)
                    o.rejectReason = "no replica serves model \(model)"
                    finish(o)
                } else if elastic.candidates(for: request).isEmpty {
                    // No warm replica: the request waits for one; an idle pool is woken at once (the activator).
                    elastic.pending.append(request)
                    let pool = elastic.pendingPool(for: request)
                    elastic.recordArrival(pool: pool, now: now, promptTokens: request.promptTokens)
                    if !elastic.isLoading(pool: pool) {
                        runEpoch(pool: pool, now: now, reschedule: false)
                        try flushPending(now: now)
                    }
                } else {
                    try dispatch(request, now: now)
                }
                nextArrival = try source.next()
            } else if let event = events.popMin() {
                if event.kind == .epoch {
                    lastEventSeconds = event.seconds
                    runEpoch(pool: Int(event.replica), now: event.seconds, reschedule: true)
                    try flushPending(now: event.seconds)
                    eventCount += 1
                    continue
                }
                if event.kind == .interruption {
                    // After the last request the run is over: a later reclaim changes nothing and bills nothing.
                    let busy = fleet.contains { $0.engine.liveCount > 0 || !$0.requestQueue.isEmpty }
                    if nextArrival != nil || busy || !elastic.pending.isEmpty {
                        lastEventSeconds = event.seconds
                        try interrupt(Int(event.replica), now: event.seconds)
                    }
                    eventCount += 1
                    continue
                }
                if event.kind == .loadDone {
                    lastEventSeconds = event.seconds
                    if elastic.loadDone(replica: Int(event.replica), now: event.seconds) { try flushPending(now: event.seconds) }
                    eventCount += 1
                    continue
                }
                let replica = fleet[Int(event.replica)]
                if event.kind == .wakeUp {
                    // A scheduler's timed decision; stale when it asked for another time since. When the replica is
                    // busy the decision happens anyway at the end of its iteration.
                    if replica.wakeAtSeconds == event.seconds {
                        replica.wakeAtSeconds = nil
                        if !replica.isBusy {
                            lastEventSeconds = event.seconds
                            replica.releaseQueued(now: event.seconds)
                            start(replica, at: event.seconds)
                        }
                    }
                } else if event.sequence != replica.inFlightSequence {
                    // The iteration of a reclaimed spot instance: nothing to finish.
                } else {
                    lastEventSeconds = event.seconds
                    replica.finishIteration(now: event.seconds, metrics: &metrics)
                    if !replica.completedOutcomes.isEmpty { for o in replica.completedOutcomes { finish(o) } }
                    replica.releaseQueued(now: event.seconds)
                    start(replica, at: event.seconds)
                    if elastic.isElastic { elastic.afterIteration(replica: replica, now: event.seconds) }
                }
            } else {
                break
            }
            eventCount += 1
            if let progress, eventCount % Self.progressInterval == 0 { progress(arrived, lastEventSeconds) }
            if let sinkError { throw sinkError }
            if let stalled { throw stalled }
        }
        if let sinkError { throw sinkError }
        if !elastic.pending.isEmpty {
            throw .invalidValue(field: "autoscaler", value: "\(elastic.pending.count) requests never found a warm replica",
                                allowed: "an autoscaler that provisions a replica when requests wait")
        }
        elastic.finishBilling(at: lastEventSeconds)
        var cacheLookedUp = 0
        var cacheHit = 0
        for r in fleet {
            if let c = r.prefixCache {
                cacheLookedUp += c.lookedUpTokens
                cacheHit += c.hitTokens
            }
        }
        truncated = fleet.reduce(0) { $0 + $1.truncatedOutputs }
        for r in fleet { r.timeline.finish(at: lastEventSeconds) }
        var result = SimulationResult(
            replicas: fleet.map { ReplicaReport(label: $0.deployment.label, scheduler: $0.scheduler.name, pricePerHourUSD: $0.pricePerHourUSD,
                                                gpus: $0.deployment.tensorParallel, busySeconds: $0.busySeconds, iterations: $0.iterations,
                                                kvBlocks: $0.engine.kv.totalBlocks, kvBlocksFreeAtEnd: $0.engine.kv.freeBlocks,
                                                liveAtEnd: $0.engine.liveCount, preemptions: $0.engine.preemptionCount,
                                                billedSeconds: elastic.billedSeconds[$0.index],
                                                maxBatchedTokens: $0.engine.maxBatchedTokens, largestBatchTokens: $0.largestBatchTokens,
                                                largestRunningSequences: $0.largestBatchSequences, timeline: $0.timeline) },
            router: router.name, sloClasses: classes, metrics: metrics, simulatedSeconds: lastEventSeconds,
            wallSeconds: monotonicSeconds() - wallStart, events: eventCount, truncatedOutputs: truncated,
            prediction: sharedPredictor.map {
                PredictionReport(predictor: $0.name, requests: $0.accuracy.count, meanAbsoluteErrorTokens: $0.accuracy.meanAbsoluteErrorTokens,
                                 rankCorrelation: $0.accuracy.rankCorrelation)
            })
        if cacheLookedUp > 0 { result.prefixCacheHitRatio = Double(cacheHit) / Double(cacheLookedUp) }
        result.tenants = ledger.accounts.filter { budgets[$0.key] != nil }.mapValues { a in
            TenantReport(spentUSD: a.totalUSD, tokens: a.totalTokens, rejectedForBudget: a.rejected, downgraded: a.downgraded, peakBudgetShare: a.peakShare)
        }
        result.coldStarts = elastic.coldStarts
        result.inventoryCostUSD = elastic.inventoryCostUSD
        result.inventoryGPUHours = elastic.inventoryGPUHours
        result.placementFailures = elastic.placementFailures
        result.fragmentationFailures = elastic.fragmentationFailures
        if let requestScheduler {
            result.requestScheduler = requestScheduler.lowercased()
            var errors = LatencyPredictionErrors()
            for r in fleet { errors.add(r.latencyErrors) }
            if errors.count > 0 {
                let n = Double(errors.count)
                result.latencyPrediction = LatencyPredictionReport(
                    requests: errors.count, ttftMeanAbsoluteErrorSeconds: errors.ttftAbsolute / n, ttftMeanErrorSeconds: errors.ttftSigned / n,
                    e2eMeanAbsoluteErrorSeconds: errors.e2eAbsolute / n, e2eMeanErrorSeconds: errors.e2eSigned / n,
                    e2eRelativeError: errors.e2eMeasured > 0 ? errors.e2eAbsolute / errors.e2eMeasured : 0)
            }
            if timeRequestDecisions {
                var times = LatencyHistogram()
                for r in fleet { if let t = r.decisionTimes { times.add(t) } }
                result.requestDecisionTimes = times
            }
        }
        return result
    }
}

/// A timed event (arrivals stream in beside the heap): the end of a replica's iteration, a scheduler's timed wake-up,
/// a replica finishing its cold start, or a pool's autoscaling epoch (`replica` is then the pool's index).
private struct IterationEnd: Comparable {
    enum Kind: UInt8 { case iteration, wakeUp, loadDone, epoch, interruption }
    var seconds: Double
    var sequence: UInt64
    var replica: Int32
    var kind = Kind.iteration

    static func < (a: IterationEnd, b: IterationEnd) -> Bool {
        a.seconds < b.seconds || (a.seconds == b.seconds && a.sequence < b.sequence)
    }
}

/// The fleet as a router sees it: the warm replicas, renumbered from 0.
private struct FleetSnapshot: FleetView {
    let replicas: [Replica]
    let routable: [Int]
    let classes: SLOClassTable
    let predictor: SharedPredictor?
    let nowSeconds: Double
    let prefixHashes: [UInt64]
    var replicaCount: Int { routable.count }
    func cachedPrefixTokens(replica: Int, request: RequestInfo) -> Int {
        guard !prefixHashes.isEmpty, let cache = replicas[routable[replica]].prefixCache else { return 0 }
        return cache.peekPrefixTokens(prefixHashes, promptTokens: request.promptTokens)
    }
    func outstandingRequests(replica: Int) -> Int { replicas[routable[replica]].engine.liveCount }
    func outstandingTokens(replica: Int) -> Int { replicas[routable[replica]].outstandingTokens }
    func pricePerHourUSD(replica: Int) -> Double { replicas[routable[replica]].pricePerHourUSD }
    func latencyPredictor(replica: Int) -> LatencyPredictor? { replicas[routable[replica]].latencyPredictor }
    func sloTargets(_ request: RequestInfo) -> SLOTargets { classes[request.sloClass].targets }
    func instanceLoad(replica: Int) -> InstanceLoad? {
        let r = replicas[routable[replica]]
        var load = r.currentLoad(now: nowSeconds)
        for q in r.requestQueue {  // the replica's own request queue is work ahead too
            load.liveRemainingTokens += q.predictedOutputTokens
            load.liveRequests += 1
        }
        return load
    }
    func predictedOutputTokens(_ request: RequestInfo) -> Double? {
        guard let predictor, !predictor.isOracle else { return nil }
        return predictor.predict(PredictionQuery(
            requestID: request.id, promptTokens: request.promptTokens, generatedTokens: 0, sloClass: request.sloClass, tenantKey: 0,
            trueOutputTokens: nil))
    }
}

/// Seconds on a monotonic clock (for wall-time measurement only; never inside the simulated world).
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

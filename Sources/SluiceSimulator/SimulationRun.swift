import DequeModule
import HeapModule
import SluiceCore
import SluiceEngineModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of a ``Simulation``: the fleet's live state and one handler per event kind (arrival, iteration end,
/// wake-up, load done, epoch, interruption).
///
/// Order: events are keyed by (time, sequence number); an event at the same instant as an arrival goes first, and
/// arrivals are pulled from the source one at a time, so memory is bounded by live requests. Replicas that become
/// ready to start an iteration are started only once every arrival at that instant has been dispatched, so requests
/// that arrive together share their first step (as vLLM's engine loop batches everything waiting when a step starts).
/// The same inputs and seed give the same outputs, bit for bit. The loop allocates nothing per event.
///
/// Not generic: the source and the sink are existentials (one dynamic call per arrival and per outcome), so that every
/// stored property has a fixed offset and the handlers compile to direct field accesses (a generic class measured
/// about 2 % more instructions).
final class SimulationRun {
    let config: Simulation
    let classes: SLOClassTable
    var source: any RequestSource
    var sink: any RequestOutcomeSink
    let progress: Simulation.Progress?

    var fleet: [Replica] = []
    var sharedPredictor: SharedPredictor?
    var router: any Router
    var routerPredictor: SharedPredictor?
    let elastic: ElasticFleet
    var metrics: ServingMetrics
    var events = Heap<SimulationEvent>()
    var sequence: UInt64 = 0
    var eventCount = 0
    var arrived = 0
    var lastEventSeconds = 0.0
    var sinkError: SluiceError?
    var stalled: SluiceError?

    // Budgets (SimulationRun+Budget.swift).
    var ledger: BudgetLedger
    var pricing: [TokenPricing] = []
    var reservations: [Int: BudgetReservation] = [:]

    // Arrivals: the open-loop source's next request, or the closed loop's scheduled sends.
    var nextArrival: Request?
    var clients: ClientSendQueue?
    var spotRNG: SplitMix64

    /// Replicas waiting to start an iteration once the arrivals of this instant are in (no replica twice).
    var startQueue: [Int] = []
    var queuedToStart: [Bool] = []

    init(_ config: Simulation, source: any RequestSource, sink: any RequestOutcomeSink, progress: Simulation.Progress?) throws(SluiceError) {
        self.config = config
        self.classes = config.sloClasses
        self.source = source
        self.sink = sink
        self.progress = progress
        guard !config.replicas.isEmpty else { throw .invalidValue(field: "replicas", value: "0", allowed: "at least 1 replica") }
        metrics = ServingMetrics(classCount: config.sloClasses.count)
        ledger = BudgetLedger(budgets: config.budgets)
        spotRNG = SplitMix64.stream(seed: config.seed, label: 0x5B07)
        router = try RouterRegistry.make(named: config.router, seed: config.seed)
        var inventory: GPUInventory?
        if let gpuInventory = config.gpuInventory {
            var counts: [(spec: GPUSpec, count: Int)] = []
            for (name, count) in gpuInventory.sorted(by: { $0.key < $1.key }) {
                guard let spec = config.replicas.first(where: { $0.deployment.gpu.name == name })?.deployment.gpu, count >= 0 else {
                    throw .invalidValue(field: "gpu inventory", value: "\(name)=\(count)", allowed: "a GPU type the fleet's replicas use, with a count >= 0")
                }
                counts.append((spec, count))
            }
            inventory = GPUInventory(counts)
        }
        elastic = try ElasticFleet(
            specs: config.replicas, autoscaler: config.autoscaler, options: config.autoscalerOptions, minReplicas: config.minReplicas,
            seed: config.seed, inventory: inventory)
        try buildFleet()
        pricing = fleet.map { TokenPricing(deployment: $0.deployment, stepModel: $0.stepModel, pricePerHourUSD: $0.pricePerHourUSD) }
        startQueue.reserveCapacity(fleet.count)
        queuedToStart = Array(repeating: false, count: fleet.count)
        if let load = config.closedLoop {
            clients = ClientSendQueue(load: load, seed: config.seed)
            try clients!.sendFromIdleClients(&self.source, at: 0)
        } else {
            nextArrival = try self.source.next()
        }
    }

    private func makePredictor() throws(SluiceError) -> SharedPredictor {
        SharedPredictor(
            try PredictorRegistry.make(named: config.predictor, meanAbsoluteErrorTokens: config.predictorMeanAbsoluteErrorTokens, seed: config.seed),
            seed: config.seed)
    }

    /// Builds the replicas, their schedulers, request queues and the predictor they share.
    private func buildFleet() throws(SluiceError) {
        for (i, spec) in config.replicas.enumerated() {
            let entry = try SchedulerRegistry.entry(named: spec.scheduler)
            let budget = spec.deployment.limits.maxBatchedTokens ?? entry.defaultMaxBatchedTokens ?? Int.max
            guard budget > 0 else { throw .invalidValue(field: "chunk-size", value: "\(budget)", allowed: "a positive token count") }
            let model = spec.stepModel ?? RooflineStepTimeModel(deployment: spec.deployment)
            let scheduler = try entry.instantiate(SchedulerContext(deployment: spec.deployment, stepModel: model, options: spec.schedulerOptions))
            let replica = try Replica(
                index: i, deployment: spec.deployment, scheduler: scheduler, maxBatchedTokens: budget, stepModel: model,
                tbtTargetsByClass: classes.classes.map(\.targets.tbtSeconds))
            replica.prefixCache = PrefixCache(tokensPerHash: config.prefixBlockTokens)
            fleet.append(replica)
            if entry.usesPredictor {
                if sharedPredictor == nil { sharedPredictor = try makePredictor() }
                replica.predictor = sharedPredictor
                replica.repredictEveryTokens = try entry.repredictEvery(spec.schedulerOptions)
            }
        }
        if let requestScheduler = config.requestScheduler {
            let entry = try RequestPolicyRegistry.entry(named: requestScheduler)
            for (i, replica) in fleet.enumerated() {
                replica.requestPolicy = try entry.instantiate(
                    seed: config.seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15, options: config.requestSchedulerOptions)
                if config.timeRequestDecisions { replica.decisionTimes = LatencyHistogram() }
                if entry.usesPredictor && replica.predictor == nil {
                    if sharedPredictor == nil { sharedPredictor = try makePredictor() }
                    replica.predictor = sharedPredictor
                }
            }
        }
        // A latency-aware router predicts output lengths with the fleet's predictor (learning from every completion).
        if router is CostAwareRouter && sharedPredictor == nil {
            sharedPredictor = try makePredictor()
            for r in fleet where r.predictor == nil { r.predictor = sharedPredictor }
        }
        routerPredictor = router is CostAwareRouter ? sharedPredictor : nil
        for (i, spec) in config.replicas.enumerated() where spec.spot != nil {
            fleet[i].pricePerHourUSD = spec.deployment.gpu.effectiveSpotPricePerHourUSD * Double(spec.deployment.tensorParallel)
        }
    }

    // MARK: - The loop

    /// Time of the next arrival, if any.
    private var nextArrivalSeconds: Double? {
        if let clients { return clients.nextSeconds }
        return nextArrival?.arrivalSeconds
    }

    /// Runs every event to the end.
    func execute() throws(SluiceError) {
        for (i, spec) in config.replicas.enumerated() where spec.spot != nil { nextInterruption(after: 0, replica: i) }
        elastic.replicaPrices = fleet.map(\.pricePerHourUSD)
        for p in elastic.pools.indices {
            if let a = elastic.pools[p].autoscaler { schedule(.epoch, at: a.epochSeconds, index: p) }
        }
        while true {
            if let next = nextArrivalSeconds, events.min.map({ next < $0.seconds }) ?? true {
                let request: Request
                if clients != nil { request = clients!.popNext()! } else {
                    request = nextArrival!
                    nextArrival = try source.next()
                }
                try arrive(request)
            } else if let event = events.popMin() {
                switch event.kind {
                case .epoch: try epoch(event)
                case .interruption: try interruption(event)
                case .loadDone: try loadDone(event)
                case .wakeUp: wakeUp(event)
                case .iteration: endIteration(event)
                }
            } else {
                break
            }
            // Replicas start once every arrival of this instant has been dispatched.
            if !startQueue.isEmpty, nextArrivalSeconds.map({ $0 > lastEventSeconds }) ?? true { startQueued() }
            eventCount += 1
            if let progress, eventCount % Simulation.progressInterval == 0 { progress(arrived, lastEventSeconds) }
            if let sinkError { throw sinkError }
            if let stalled { throw stalled }
        }
        if let sinkError { throw sinkError }
        if !elastic.pending.isEmpty {
            throw .invalidValue(field: "autoscaler", value: "\(elastic.pending.count) requests never found a warm replica",
                                allowed: "an autoscaler that provisions a replica when requests wait")
        }
        elastic.finishBilling(at: lastEventSeconds)
        for r in fleet { r.timeline.finish(at: lastEventSeconds) }
    }

    // MARK: - Handlers, one per event kind

    /// A request arrives: it is refused (no replica serves its model), waits for a warm replica, or is dispatched.
    func arrive(_ request: Request) throws(SluiceError) {
        guard request.sloClass >= 0 && request.sloClass < classes.count else {
            throw .invalidValue(field: "sloClass", value: "\(request.sloClass)", allowed: "0..<\(classes.count)")
        }
        let now = max(request.arrivalSeconds, lastEventSeconds)
        lastEventSeconds = now
        arrived += 1
        metrics.recordArrival(sloClass: request.sloClass)
        if let model = request.model, !elastic.serves(model) {
            finish(refusal(request, replica: -1, reason: "no replica serves model \(model)"))
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
    }

    /// A replica's iteration ends: tokens are applied, finished requests leave, the replica goes again.
    func endIteration(_ event: SimulationEvent) {
        let replica = fleet[Int(event.replica)]
        // The iteration of a reclaimed spot instance: nothing to finish.
        guard event.sequence == replica.inFlightSequence else { return }
        lastEventSeconds = event.seconds
        replica.finishIteration(now: event.seconds, metrics: &metrics)
        if !replica.completedOutcomes.isEmpty { for o in replica.completedOutcomes { finish(o) } }
        replica.releaseQueued(now: event.seconds)
        requestStart(replica)
        if elastic.isElastic { elastic.afterIteration(replica: replica, now: event.seconds) }
    }

    /// A scheduler's timed decision; stale when it asked for another time since. When the replica is busy the decision
    /// happens anyway at the end of its iteration.
    func wakeUp(_ event: SimulationEvent) {
        let replica = fleet[Int(event.replica)]
        guard replica.wakeAtSeconds == event.seconds else { return }
        replica.wakeAtSeconds = nil
        guard !replica.isBusy else { return }
        lastEventSeconds = event.seconds
        replica.releaseQueued(now: event.seconds)
        requestStart(replica)
    }

    /// A replica finished its cold start: waiting requests may go to it.
    func loadDone(_ event: SimulationEvent) throws(SluiceError) {
        lastEventSeconds = event.seconds
        if elastic.loadDone(replica: Int(event.replica), now: event.seconds) { try flushPending(now: event.seconds) }
    }

    /// A pool's autoscaling epoch.
    func epoch(_ event: SimulationEvent) throws(SluiceError) {
        lastEventSeconds = event.seconds
        runEpoch(pool: Int(event.replica), now: event.seconds, reschedule: true)
        try flushPending(now: event.seconds)
    }

    /// A spot reclaim. After the last request the run is over: a later reclaim changes nothing and bills nothing.
    func interruption(_ event: SimulationEvent) throws(SluiceError) {
        guard nextArrivalSeconds != nil || fleetIsBusy || !elastic.pending.isEmpty else { return }
        lastEventSeconds = event.seconds
        try interrupt(Int(event.replica), now: event.seconds)
    }

    var fleetIsBusy: Bool { fleet.contains { $0.engine.liveCount > 0 || !$0.requestQueue.isEmpty } }

    // MARK: - Starting iterations

    /// Starts an idle replica's next iteration at the current instant, or, when another request arrives at this same
    /// instant, once it is in (so requests that arrive together share the step). The common case costs one comparison.
    func requestStart(_ replica: Replica) {
        guard !replica.isBusy else { return }
        guard let next = nextArrivalSeconds, next <= lastEventSeconds else {
            start(replica, at: lastEventSeconds)
            return
        }
        guard !queuedToStart[replica.index] else { return }
        queuedToStart[replica.index] = true
        startQueue.append(replica.index)
    }

    private func startQueued() {
        for i in startQueue {
            queuedToStart[i] = false
            let replica = fleet[i]
            if !replica.isBusy { start(replica, at: lastEventSeconds) }
        }
        startQueue.removeAll(keepingCapacity: true)
    }

    /// Starts the replica's next iteration, or a timed wake-up when its scheduler holds requests on purpose.
    func start(_ replica: Replica, at now: Double) {
        while true {
            if var end = replica.startIteration(now: now) {
                if elastic.inventory != nil {
                    // Replicas sharing a GPU time-slice it: a busy co-tenant stretches this iteration.
                    let busy = elastic.coTenants(of: replica.index).reduce(0) { $0 + (fleet[$1].isBusy ? 1 : 0) }
                    if busy > 0 { end = now + (end - now) * Double(1 + busy) }
                }
                replica.inFlightSequence = sequence
                events.insert(SimulationEvent(seconds: end, sequence: sequence, replica: Int32(replica.index)))
                sequence &+= 1
                return
            }
            if let wake = replica.scheduler.nextDecisionSeconds(replica.engine), wake > now {
                // The scheduler holds its requests on purpose until `wake` (or the next arrival).
                if replica.wakeAtSeconds != wake {
                    replica.wakeAtSeconds = wake
                    schedule(.wakeUp, at: wake, index: replica.index)
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

    func schedule(_ kind: SimulationEvent.Kind, at seconds: Double, index: Int) {
        events.insert(SimulationEvent(seconds: seconds, sequence: sequence, replica: Int32(index), kind: kind))
        sequence &+= 1
    }
}

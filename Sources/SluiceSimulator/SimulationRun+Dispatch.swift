import DequeModule
import SluiceCore
import SluiceEngineModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tenant's reservation for one request in flight: what was held, in which budget period, on which replica.
struct BudgetReservation {
    var tenant: String
    var period: Int
    var usd: Double
    var tokens: Double
    var replica: Int
}

extension SimulationRun {
    /// Records a request's end: its SLO verdict, metrics, budget settlement, the autoscaler's statistics, the sink and,
    /// in a closed loop, its client's next request.
    func finish(_ outcome: RequestOutcome) {
        var o = outcome
        if o.status == .completed {
            o.sloMet = classes[o.sloClass].targets.isMet(
                ttftSeconds: o.ttftSeconds, maxGapSeconds: o.maxTBTSeconds, tpotSeconds: o.tpotSeconds, e2eSeconds: o.e2eSeconds)
        }
        metrics.recordOutcome(o)
        if !reservations.isEmpty { settle(o) }
        if elastic.isElastic { elastic.recordCompletion(o) }
        do throws(SluiceError) { try sink.record(o) } catch { if sinkError == nil { sinkError = error } }
        if clients != nil {
            // The client has its answer when the last token reaches it (later than the step's end with an output lag).
            let answered = o.status == .completed ? max(lastEventSeconds, o.arrivalSeconds + o.e2eSeconds) : lastEventSeconds
            do throws(SluiceError) { try clients!.requestEnded(&source, at: answered) } catch { if sinkError == nil { sinkError = error } }
        }
    }

    /// The outcome of a request refused at `replica` (-1: before routing) for `reason`.
    func refusal(_ request: Request, replica: Int, reason: String) -> RequestOutcome {
        var o = RequestOutcome(
            requestID: request.id, replica: replica, sloClass: request.sloClass, status: .rejected,
            arrivalSeconds: request.arrivalSeconds, promptTokens: request.promptTokens, outputTokens: 0)
        o.rejectReason = reason
        return o
    }

    // MARK: - Budgets

    /// Settles a finished request's reservation against what it used.
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
        reservations[request.id] = BudgetReservation(
            tenant: tenant, period: ledger.period(tenant: tenant, now: now), usd: usd, tokens: tokens, replica: replica.index)
        return true
    }

    /// Admits `request` against its tenant's budget on `replica`, downgrading to the cheapest warm replica when the
    /// budget says so. - Returns: the replica that takes it, or `nil` when the budget refuses it (already finished).
    private func admitUnderBudget(_ request: Request, on chosen: Replica, view: FleetSnapshot, now: Double) -> Replica? {
        let tenant = request.tenant ?? classes[request.sloClass].name
        guard let budget = config.budgets[tenant], chosen.rejection(for: request) == nil else { return chosen }
        var replica = chosen
        var admitted = false
        let candidates = view.routable.map {
            BudgetAdmission.Candidate(index: $0, usdPerOutputToken: pricing[$0].usdPerOutputToken, load: fleet[$0].engine.liveCount)
        }
        let first = BudgetAdmission.Candidate(
            index: chosen.index, usdPerOutputToken: pricing[chosen.index].usdPerOutputToken, load: chosen.engine.liveCount)
        for (i, c) in BudgetAdmission.attempts(chosen: first, candidates: candidates, overflow: budget.overflow).enumerated() {
            guard i == 0 || fleet[c.index].rejection(for: request) == nil else { continue }
            if reserve(request, tenant: tenant, on: fleet[c.index], now: now) {
                replica = fleet[c.index]
                admitted = true
                if i > 0 { ledger.count(tenant: tenant, rejected: false) }
                break
            }
        }
        guard admitted else {
            ledger.count(tenant: tenant, rejected: true)
            finish(refusal(request, replica: replica.index, reason: "tenant \(tenant) is over its budget"))
            return nil
        }
        return replica
    }

    // MARK: - Routing

    /// Routes a request among the warm replicas and hands it to the chosen one.
    func dispatch(_ request: Request, now: Double) throws(SluiceError) {
        let view = FleetSnapshot(
            replicas: fleet, routable: elastic.candidates(for: request), classes: classes, predictor: routerPredictor, nowSeconds: now,
            prefixHashes: request.prefixBlockHashes)
        let r = router.route(request.info, fleet: view)
        guard r >= 0 && r < view.replicaCount else {
            throw .invalidValue(field: "router result", value: "\(r)", allowed: "0..<\(view.replicaCount)")
        }
        guard let replica = admitUnderBudget(request, on: fleet[view.routable[r]], view: view, now: now) else { return }
        if elastic.isElastic { elastic.recordArrival(pool: elastic.poolOfReplica[replica.index], now: now, promptTokens: request.promptTokens) }
        if let reason = replica.rejection(for: request) {
            finish(refusal(request, replica: replica.index, reason: reason))
        } else {
            replica.submit(request, targets: classes[request.sloClass].targets)
            replica.releaseQueued(now: now)
            requestStart(replica)
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

    // MARK: - Scaling and spot capacity

    /// Runs a pool's autoscaler; starts loads; keeps the epochs going while there is anything to do.
    func runEpoch(pool: Int, now: Double, reschedule: Bool) {
        for (replica, warmAt) in elastic.epoch(pool: pool, now: now, replicas: fleet) { schedule(.loadDone, at: warmAt, index: replica) }
        if reschedule, let a = elastic.pools[pool].autoscaler {
            // After the last arrival, epochs stop once the fleet is idle and settled.
            if nextArrival != nil || clients?.nextSeconds != nil || fleetIsBusy || !elastic.pending.isEmpty || elastic.hasTransitions {
                schedule(.epoch, at: now + a.epochSeconds, index: pool)
            }
        }
    }

    /// Schedules the replica's next spot reclaim (exponential inter-arrival at its interruption rate).
    func nextInterruption(after now: Double, replica: Int) {
        guard let rate = config.replicas[replica].spot?.interruptionsPerHour, rate > 0 else { return }
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
}

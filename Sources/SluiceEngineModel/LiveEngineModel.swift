public import SluiceCore

/// The simulator's engine model for a host that runs it against a real clock (`sluice engine`): the very replica the
/// simulator steps (iteration scheduler, paged KV cache, chunked prefill, preemption, calibrated step-time model), told
/// the wall time instead of simulated time. The host admits requests, asks for an iteration, sleeps its modelled
/// duration, finishes it and delivers the tokens each request gained.
///
/// Not thread-safe: one owner (an actor) drives it. Invariant: every admitted request ends exactly once, finished
/// (in ``emitted``) or rejected (in ``rejected``).
public final class LiveEngineModel {
    package let replica: Replica
    private var metrics = ServingMetrics(classCount: 1)
    private var scheduledSlots: [EngineState.Slot] = []
    private var generatedBefore: [Int] = []
    /// Requests to drop once the iteration in flight ends (a slot in a running batch cannot be freed mid-iteration).
    private var pendingAborts: [Int] = []

    /// A token gained by a request in the last finished iteration.
    public struct TokenEvent: Sendable, Hashable {
        /// The host's request id.
        public var requestID: Int
        /// Output tokens so far (this one included).
        public var generatedTokens: Int
        /// Whether this was its last token.
        public var finished: Bool
    }

    /// Tokens to deliver now: those gained in the last finished iteration, or with an output lag
    /// (``EngineLimits/outputLagSteps``) in the one before it (storage reused).
    public private(set) var emitted: [TokenEvent] = []
    /// With an output lag: tokens gained in the last finished iteration, delivered when the next one ends (or by
    /// ``flushHeldBack()`` when no next iteration comes).
    private var heldBack: [TokenEvent] = []
    /// Whether tokens wait for the next iteration's end (output lag).
    public var hasHeldBackTokens: Bool { !heldBack.isEmpty }
    /// Requests the engine gave up on in the last call, with why.
    public private(set) var rejected: [(requestID: Int, reason: String)] = []

    /// Creates the engine of `spec` (its deployment, scheduler and step-time model).
    /// - Throws: ``SluiceError`` for an unknown scheduler or a model that does not fit.
    public init(spec: ReplicaSpec) throws(SluiceError) {
        let entry = try SchedulerRegistry.entry(named: spec.scheduler)
        let budget = spec.deployment.limits.maxBatchedTokens ?? entry.defaultMaxBatchedTokens ?? Int.max
        let model = spec.stepModel ?? RooflineStepTimeModel(deployment: spec.deployment)
        let scheduler = try entry.instantiate(SchedulerContext(deployment: spec.deployment, stepModel: model, options: spec.schedulerOptions))
        replica = try Replica(index: 0, deployment: spec.deployment, scheduler: scheduler, maxBatchedTokens: budget, stepModel: model, tbtTargetsByClass: [nil])
        // No shared predictor: length-predicting schedulers fall back to their defaults (the host knows no lengths).
        replica.prefixCache = nil
    }

    /// Admits a request at `nowSeconds`. - Returns: why it can never run here, or `nil` when queued.
    public func admit(requestID: Int, promptTokens: Int, outputTokens: Int, nowSeconds: Double) -> String? {
        let request = Request(id: requestID, arrivalSeconds: nowSeconds, promptTokens: max(1, promptTokens), outputTokens: max(1, outputTokens))
        if let reason = replica.rejection(for: request) { return reason }
        _ = replica.enqueue(request)
        return nil
    }

    /// Output tokens the engine will produce for a request (its cap and the model length may truncate).
    public func cappedOutputTokens(promptTokens: Int, outputTokens: Int) -> Int {
        max(1, min(outputTokens, replica.deployment.limits.maxOutputTokens, replica.maxSequenceTokens - max(1, promptTokens)))
    }

    /// Starts the next iteration at `nowSeconds`. - Returns: when it ends (`nil`: nothing to run now; see
    /// ``nextDecisionSeconds``). A request that can never be scheduled is moved to ``rejected``.
    public func startIteration(nowSeconds: Double) -> Double? {
        rejected.removeAll(keepingCapacity: true)
        guard replica.engine.liveCount > 0 else { return nil }
        guard let end = replica.startIteration(now: nowSeconds) else {
            if replica.scheduler.nextDecisionSeconds(replica.engine) == nil, let slot = replica.takeUnschedulableHead() {
                let o = replica.reject(slot: slot, reason: "the engine cannot schedule it")
                rejected.append((o.requestID, "the engine cannot schedule it"))
            }
            return nil
        }
        scheduledSlots.removeAll(keepingCapacity: true)
        generatedBefore.removeAll(keepingCapacity: true)
        for slot in replica.plan.slots {
            scheduledSlots.append(slot)
            generatedBefore.append(replica.engine.sequences[Int(slot)].generatedTokens)
        }
        return end
    }

    /// Drops a request (its client went away, as vLLM aborts a request on disconnect): its KV blocks are freed and it
    /// emits nothing more. Takes effect at once when the engine is idle, else when the iteration in flight ends.
    public func abort(requestID: Int) {
        pendingAborts.append(requestID)
        if !replica.isBusy { applyAborts() }
    }

    private func applyAborts() {
        guard !pendingAborts.isEmpty else { return }
        for id in pendingAborts {
            if let r = replica.engine.running.firstIndex(where: { replica.engine.sequences[Int($0)].requestID == id }) {
                let slot = replica.engine.running.remove(at: r)
                replica.outstandingTokens -= replica.engine.sequences[Int(slot)].totalTokens
                replica.engine.release(slot)
            } else if let w = replica.engine.waiting.firstIndex(where: { replica.engine.sequences[Int($0)].requestID == id }) {
                let slot = replica.engine.waiting.remove(at: w)
                replica.outstandingTokens -= replica.engine.sequences[Int(slot)].totalTokens
                replica.engine.release(slot)
            }
        }
        pendingAborts.removeAll(keepingCapacity: true)
    }

    /// When the scheduler wants to decide again although nothing arrives (booking-limit gates), if ever.
    public var nextDecisionSeconds: Double? { replica.scheduler.nextDecisionSeconds(replica.engine) }

    /// Finishes the iteration in flight at `nowSeconds` and fills ``emitted``.
    public func finishIteration(nowSeconds: Double) {
        // With an output lag this iteration delivers what the previous one sampled and holds back its own.
        let lagged = replica.outputLagSteps > 0
        if lagged {
            swap(&emitted, &heldBack)
            heldBack.removeAll(keepingCapacity: true)
        } else {
            emitted.removeAll(keepingCapacity: true)
        }
        replica.finishIteration(now: nowSeconds, metrics: &metrics)
        for (i, slot) in scheduledSlots.enumerated() {
            let s = replica.engine.sequences[Int(slot)]
            guard s.generatedTokens > generatedBefore[i] else { continue }
            let event = TokenEvent(
                requestID: s.requestID, generatedTokens: s.generatedTokens, finished: s.generatedTokens >= replica.trueOutputTokens[Int(slot)])
            if lagged { heldBack.append(event) } else { emitted.append(event) }
        }
        applyAborts()
    }

    /// Delivers the held-back tokens (output lag) when no iteration follows to carry them.
    public func flushHeldBack() {
        swap(&emitted, &heldBack)
        heldBack.removeAll(keepingCapacity: true)
    }

    /// Whether an iteration is in flight.
    public var isBusy: Bool { replica.isBusy }
    /// Requests running.
    public var runningCount: Int { replica.engine.running.count }
    /// Requests waiting inside the engine.
    public var waitingCount: Int { replica.engine.waiting.count }
    /// KV cache in use, 0...1.
    public var kvUsage: Double { replica.engine.kv.utilization }
    /// KV block size and count (vLLM's `cache_config_info`).
    public var kvBlockSizeTokens: Int { replica.engine.kv.blockSizeTokens }
    /// KV blocks in all.
    public var kvBlockCount: Int { replica.engine.kv.totalBlocks }
    /// Preemptions so far.
    public var preemptions: Int { replica.engine.preemptionCount }
    /// Iterations run.
    public var iterations: Int { replica.iterationsRun }
}

/// One owner at a time: the host actor creates and drives it.
@available(*, unavailable)
extension LiveEngineModel: Sendable {}

package import SluiceCore

/// One simulated engine replica: an ``EngineState`` driven by an ``IterationScheduler`` and timed by a
/// ``StepTimeModel``, plus what only the engine model may know (each request's true output length).
///
/// Per iteration: the scheduler fills the reused ``BatchPlan``; the step model prices it in O(1); when the
/// iteration ends, ``finishIteration(now:metrics:)`` advances every scheduled sequence in one pass over
/// the plan (no dictionary, no allocation) and releases finished requests.
package final class Replica {
    package let index: Int
    package let deployment: Deployment
    package var engine: EngineState
    package var scheduler: any IterationScheduler
    package let stepModel: any StepTimeModel
    package var plan = BatchPlan()
    /// True output length of the request in each slot (the engine needs it to stop; policies never see it).
    package var trueOutputTokens: [Int] = []
    /// An iteration is in flight.
    package var isBusy = false
    /// Sequence number of the iteration-end event in flight (events with another number are stale).
    package var inFlightSequence: UInt64 = .max
    /// Price of the replica, USD per hour (on-demand, or spot).
    package var pricePerHourUSD: Double
    /// Tenant of the request in each slot.
    package var tenantBySlot: [String?] = []
    /// The time the scheduler asked to decide again while holding requests (`nil`: none pending).
    package var wakeAtSeconds: Double?
    package private(set) var iterationStartSeconds = 0.0
    package private(set) var busySeconds = 0.0
    /// Busy time and KV use over the run, for reports.
    package var timeline: UtilisationTimeline
    package private(set) var iterations = 0
    package var iterationsRun: Int { iterations }
    /// Largest token count and sequence count of any batch (checked against the limits by tests and reports).
    package private(set) var largestBatchTokens = 0
    package private(set) var largestBatchSequences = 0
    /// Σ prompt + generated tokens of live requests (the `least-work` router's load).
    package var outstandingTokens = 0
    /// Longest request (prompt + output) this replica can ever hold: the model length, at most the KV capacity.
    package let maxSequenceTokens: Int

    /// TBT target of each SLO class (for SLO-aware schedulers).
    private let tbtTargetsByClass: [Double?]

    // Request-level scheduling (`Replica+RequestQueue.swift`): the queue in front of the engine and what it predicted.
    package var requestPolicy: (any RequestQueuePolicy)?
    package var latencyPredictor: LatencyPredictor
    package var requestQueue: [QueuedRequest] = []
    package var queuedRequests: [Request] = []  // by handle
    package var freeHandles: [Int] = []
    package var requestQueueChanged = false
    package var concurrencyCap = Int.max
    package var predictedFirstTokenBySlot: [Double] = []
    package var predictedFinishBySlot: [Double] = []
    package var latencyErrors = LatencyPredictionErrors()
    package var decisionTimes: LatencyHistogram?
    /// Outputs truncated to the engine's limits so far.
    package var truncatedOutputs = 0
    /// Automatic prefix caching (`nil`: off); requests without `hash_ids` never hit it.
    package var prefixCache: PrefixCache? = PrefixCache()
    /// Prompt block hashes of the request in each slot (empty arrays cost nothing).
    package var prefixHashesBySlot: [[UInt64]] = []
    /// Steps between a token's sampling and its delivery to the client (``EngineLimits/outputLagSteps``).
    package let outputLagSteps: Int
    /// Duration of the iteration that ended last, seconds (stands for the next one's when delivery lags a step).
    private var lastIterationSeconds = 0.0
    /// With an output lag: sequences whose first token was sampled and reaches the client when the next iteration
    /// ends, with their request ids (a slot freed and reused in between is skipped).
    private var pendingFirstTokens: [(slot: EngineState.Slot, requestID: Int)] = []

    package init(index: Int, deployment: Deployment, scheduler: any IterationScheduler, maxBatchedTokens: Int,
         stepModel: any StepTimeModel, tbtTargetsByClass: [Double?]) throws(SluiceError) {
        self.tbtTargetsByClass = tbtTargetsByClass
        self.index = index
        self.deployment = deployment
        self.scheduler = scheduler
        self.stepModel = stepModel
        pricePerHourUSD = deployment.pricePerHourUSD
        let limits = deployment.limits
        let lag = min(max(limits.outputLagSteps, 0), 1)  // only 0 and 1 are modelled
        outputLagSteps = lag
        latencyPredictor = LatencyPredictor(stepModel: stepModel, outputLagSteps: lag)
        let blocks = try deployment.kvBlockCapacity()
        timeline = UtilisationTimeline(kvBlocks: blocks)
        let kv = KVBlockPool(totalBlocks: blocks, blockSizeTokens: limits.blockSizeTokens, watermarkFraction: limits.watermarkFraction)
        maxSequenceTokens = min(deployment.maxModelLenTokens, blocks * limits.blockSizeTokens)
        engine = EngineState(
            kv: kv, maxRunningSequences: limits.maxRunningSequences, maxBatchedTokens: maxBatchedTokens,
            maxOutputTokens: limits.maxOutputTokens, maxModelLenTokens: maxSequenceTokens)
    }

    /// Why `request` can never run here, or `nil` if it can.
    package func rejection(for request: Request) -> String? {
        if request.promptTokens + 1 > maxSequenceTokens {
            return "prompt of \(request.promptTokens) tokens exceeds the replica's maximum sequence of \(maxSequenceTokens) tokens"
        }
        let tokens = scheduler.minimumTokensToRun(promptTokens: request.promptTokens, engine: engine)
        let needed = engine.kv.blocks(forTokens: tokens)
        let available = engine.kv.totalBlocks - engine.kv.watermarkBlocks
        if needed > available {
            return "needs \(needed) KV blocks to run but the replica has \(available) above the watermark"
        }
        return nil
    }

    /// Queues an admissible request; its output is truncated to what the engine allows.
    /// - Returns: the output tokens it will produce.
    /// The fleet's output-length predictor, when the scheduler uses one (shared by all replicas, so it learns from
    /// every completion), and how often to re-predict during decoding.
    package var predictor: SharedPredictor?
    package var repredictEveryTokens: Int?

    package func enqueue(_ request: Request) -> Int {
        let output = max(1, min(request.outputTokens, deployment.limits.maxOutputTokens, maxSequenceTokens - request.promptTokens))
        let slot = Int(engine.enqueue(request, tbtTargetSeconds: tbtTargetsByClass[request.sloClass]))
        if slot == trueOutputTokens.count {
            trueOutputTokens.append(output)
            prefixHashesBySlot.append(request.prefixBlockHashes)
            tenantBySlot.append(request.tenant)
        } else {
            trueOutputTokens[slot] = output
            prefixHashesBySlot[slot] = request.prefixBlockHashes
            tenantBySlot[slot] = request.tenant
        }
        if !request.prefixBlockHashes.isEmpty, prefixCache != nil {
            // Cached prompt blocks count as computed: their prefill is skipped (their KV is still allocated on admission).
            prefixCache!.evict(toCapacityTokens: engine.kv.freeBlocks * engine.kv.blockSizeTokens)
            engine.sequences[slot].computedTokens = prefixCache!.cachedPrefixTokens(request.prefixBlockHashes, promptTokens: request.promptTokens)
        }
        outstandingTokens += request.promptTokens
        if let predictor {
            let query = engine.sequences[slot].predictionQuery(trueOutputTokens: predictor.isOracle ? output : nil)
            let p = predictor.predict(query)
            engine.sequences[slot].predictedOutputTokens = p
            engine.sequences[slot].initialPredictedOutputTokens = p
        }
        return output
    }

    /// Asks the scheduler for the next batch at `now`. - Returns: the iteration's end time, or `nil` when idle.
    package func startIteration(now: Double) -> Double? {
        engine.nowSeconds = now
        for _ in 0..<2 {
            plan.reset()
            scheduler.schedule(&engine, into: &plan)
            if !plan.isEmpty { break }
            // vLLM admits nothing in a step that preempted; try once more before declaring the replica idle.
            if engine.waiting.isEmpty || !engine.running.isEmpty { break }
        }
        guard !plan.isEmpty else { return nil }
        largestBatchTokens = max(largestBatchTokens, plan.shape.totalTokens)
        largestBatchSequences = max(largestBatchSequences, engine.running.count)
        isBusy = true
        iterationStartSeconds = now
        return now + stepModel.stepSeconds(plan.shape)
    }

    /// The head of the waiting queue when the replica is empty yet cannot schedule anything (a bug guard:
    /// admission checks make this unreachable); the caller rejects it so the run cannot hang.
    package func takeUnschedulableHead() -> EngineState.Slot? {
        guard plan.isEmpty, engine.running.isEmpty, let slot = engine.waiting.first else { return nil }
        engine.waiting.removeFirst()
        return slot
    }

    /// Applies the finished iteration at `now`: computed tokens, sampled tokens, finished requests.
    /// Requests that completed in the last finished iteration (storage reused across iterations).
    package private(set) var completedOutcomes: [RequestOutcome] = []

    package func finishIteration(now: Double, metrics: inout ServingMetrics) {
        if !completedOutcomes.isEmpty { completedOutcomes.removeAll(keepingCapacity: true) }
        let duration = now - iterationStartSeconds
        busySeconds += duration
        timeline.addIteration(from: iterationStartSeconds, to: now, usedBlocks: engine.kv.totalBlocks - engine.kv.freeBlocks)
        iterations += 1
        isBusy = false
        deliverPendingFirstTokens(now: now, metrics: &metrics)
        var finished = 0
        for slot in plan.slots {
            let i = Int(slot)
            engine.sequences[i].computedTokens += engine.sequences[i].scheduledTokens
            engine.sequences[i].scheduledTokens = 0
            guard engine.sequences[i].computedTokens == engine.sequences[i].totalTokens else { continue }
            // Every token is computed: the step sampled a new one.
            engine.sequences[i].generatedTokens += 1
            outstandingTokens += 1
            let cls = engine.sequences[i].sloClass
            if engine.sequences[i].firstTokenSeconds == nil && !firstTokenPending(slot) {
                let generated = engine.sequences[i].generatedTokens
                // With an output lag the client gets token 1 when the replica's next iteration ends (whether or not this
                // sequence is in it), or one step's time later when token 1 is also the last.
                if outputLagSteps == 0 || generated >= trueOutputTokens[i] {
                    let delivered = now + (outputLagSteps > 0 ? duration : 0)
                    engine.sequences[i].firstTokenSeconds = delivered
                    metrics.recordFirstToken(sloClass: cls, seconds: delivered - engine.sequences[i].arrivalSeconds)
                } else {
                    pendingFirstTokens.append((slot, engine.sequences[i].requestID))
                }
                // vLLM's automatic prefix caching registers a block's hash as soon as its KV is computed: the prompt's
                // full blocks are reusable from the end of its prefill, not from the request's completion.
                if !prefixHashesBySlot[i].isEmpty, prefixCache != nil {
                    prefixCache!.insert(
                        prefixHashesBySlot[i], promptTokens: engine.sequences[i].promptTokens,
                        capacityTokens: engine.kv.freeBlocks * engine.kv.blockSizeTokens + engine.sequences[i].kvBlocks * engine.kv.blockSizeTokens)
                }
            } else {
                // Gaps between sampled tokens; with an output lag each is the gap between deliveries one step later.
                let gap = now - engine.sequences[i].lastTokenSeconds
                metrics.recordGap(sloClass: cls, seconds: gap)
                if gap > engine.sequences[i].maxGapSeconds { engine.sequences[i].maxGapSeconds = gap }
            }
            engine.sequences[i].lastTokenSeconds = now
            if engine.sequences[i].generatedTokens >= trueOutputTokens[i] {
                finished += 1
            } else if let every = repredictEveryTokens, let predictor, engine.sequences[i].generatedTokens % every == 0 {
                let query = engine.sequences[i].predictionQuery(trueOutputTokens: predictor.isOracle ? trueOutputTokens[i] : nil)
                engine.sequences[i].predictedOutputTokens = predictor.predict(query)
            }
        }
        lastIterationSeconds = duration
        if finished > 0 { releaseFinished(now: now) }
        // Lend the plan to the scheduler through a local: passing the stored property would copy it.
        var lent = BatchPlan()
        swap(&lent, &plan)
        scheduler.didFinishIteration(&engine, plan: lent, durationSeconds: duration)
        swap(&lent, &plan)
    }

    /// Whether `slot`'s first token was sampled and awaits delivery (output lag).
    private func firstTokenPending(_ slot: EngineState.Slot) -> Bool {
        !pendingFirstTokens.isEmpty && pendingFirstTokens.contains { $0.slot == slot && $0.requestID == engine.sequences[Int(slot)].requestID }
    }

    /// Delivers the first tokens sampled by the previous iteration: they reach the client as this one ends.
    private func deliverPendingFirstTokens(now: Double, metrics: inout ServingMetrics) {
        guard !pendingFirstTokens.isEmpty else { return }
        for (slot, requestID) in pendingFirstTokens {
            let i = Int(slot)
            guard i < engine.sequences.count, engine.sequences[i].requestID == requestID, engine.sequences[i].firstTokenSeconds == nil else { continue }
            engine.sequences[i].firstTokenSeconds = now
            metrics.recordFirstToken(sloClass: engine.sequences[i].sloClass, seconds: now - engine.sequences[i].arrivalSeconds)
        }
        pendingFirstTokens.removeAll(keepingCapacity: true)
    }

    private func releaseFinished(now: Double) {
        var kept = 0
        for r in 0..<engine.running.count {
            let slot = engine.running[r]
            let i = Int(slot)
            if engine.sequences[i].generatedTokens >= trueOutputTokens[i] {
                // With an output lag the last token reaches the client one step after it was sampled (the step that just
                // ended stands for the next one).
                let delivered = now + (outputLagSteps > 0 ? lastIterationSeconds : 0)
                completedOutcomes.append(outcome(slot: slot, now: delivered))
                recordLatencyError(slot: slot, now: delivered)
                if let predictor {
                    let s = engine.sequences[i]
                    predictor.observe(s.predictionQuery(trueOutputTokens: nil), initialPrediction: s.initialPredictedOutputTokens, actual: s.generatedTokens)
                }
                outstandingTokens -= engine.sequences[i].totalTokens
                engine.release(slot)
                if !prefixHashesBySlot[i].isEmpty, prefixCache != nil {
                    prefixCache!.insert(
                        prefixHashesBySlot[i], promptTokens: engine.sequences[i].promptTokens,
                        capacityTokens: engine.kv.freeBlocks * engine.kv.blockSizeTokens)
                }
            } else {
                engine.running[kept] = slot
                kept += 1
            }
        }
        engine.running.removeLast(engine.running.count - kept)
    }

    /// Removes a waiting request that can never run and frees its slot. - Returns: its outcome.
    package func reject(slot: EngineState.Slot, reason: String) -> RequestOutcome {
        var o = outcome(slot: slot, now: engine.nowSeconds)
        o.status = .rejected
        o.rejectReason = reason
        o.sloMet = false
        outstandingTokens -= engine.sequences[Int(slot)].totalTokens
        engine.release(slot)
        return o
    }

    package func outcome(slot: EngineState.Slot, now: Double) -> RequestOutcome {
        let s = engine.sequences[Int(slot)]
        var o = RequestOutcome(
            requestID: s.requestID, replica: index, sloClass: s.sloClass, status: .completed,
            arrivalSeconds: s.arrivalSeconds, promptTokens: s.promptTokens, outputTokens: s.generatedTokens)
        let first = s.firstTokenSeconds ?? now
        o.ttftSeconds = first - s.arrivalSeconds
        o.e2eSeconds = now - s.arrivalSeconds
        o.tpotSeconds = s.generatedTokens > 1 ? (now - first) / Double(s.generatedTokens - 1) : 0
        o.queueingSeconds = (s.firstScheduledSeconds ?? now) - s.arrivalSeconds
        o.maxTBTSeconds = s.maxGapSeconds
        o.preemptions = s.preemptions
        return o
    }
}

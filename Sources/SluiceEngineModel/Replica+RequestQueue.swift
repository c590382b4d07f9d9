package import DequeModule
package import SluiceCore

/// Accumulated error of a ``LatencyPredictor`` against measured latencies (predicted minus measured, seconds).
package struct LatencyPredictionErrors: Sendable {
    package var count = 0
    package var ttftAbsolute = 0.0
    package var ttftSigned = 0.0
    package var e2eAbsolute = 0.0
    package var e2eSigned = 0.0
    package var e2eMeasured = 0.0

    package init() {}

    package mutating func add(_ other: LatencyPredictionErrors) {
        count += other.count
        ttftAbsolute += other.ttftAbsolute
        ttftSigned += other.ttftSigned
        e2eAbsolute += other.e2eAbsolute
        e2eSigned += other.e2eSigned
        e2eMeasured += other.e2eMeasured
    }
}

/// The request-level queue of a replica (Huang et al., arXiv 2504.14966: per-instance queues behind round-robin
/// dispatch). Without a policy, requests go straight into the engine. With one, they wait here; the policy orders
/// the queue when it changes, and requests are released from its front while the engine holds fewer than the
/// policy's concurrency cap and has nothing of its own waiting (beyond ``engineWaitingAllowance``): the engine's
/// queue is first come first served, so the order is decided here, and a request leaves only when it can run.
extension Replica {
    /// Takes an admissible request: into the queue when a policy is set, else into the engine.
    package func submit(_ request: Request, targets: SLOTargets) {
        guard requestPolicy != nil else {
            admitToEngine(request, predictedFirstToken: .nan, predictedFinish: .nan)
            return
        }
        let handle: Int
        if let h = freeHandles.popLast() {
            handle = h
            queuedRequests[h] = request
        } else {
            handle = queuedRequests.count
            queuedRequests.append(request)
        }
        var predicted = 1.0
        if let predictor {
            let query = PredictionQuery(
                requestID: request.id, promptTokens: request.promptTokens, generatedTokens: 0, sloClass: request.sloClass,
                tenantKey: request.tenant.map(SequenceState.stableHash) ?? 0,
                trueOutputTokens: predictor.isOracle ? cappedOutput(request) : nil)
            predicted = predictor.predict(query)
        }
        requestQueue.append(QueuedRequest(
            requestID: request.id, handle: handle, arrivalSeconds: request.arrivalSeconds, promptTokens: request.promptTokens,
            predictedOutputTokens: predicted, sloClass: request.sloClass, targets: targets))
        requestQueueChanged = true
    }

    /// Reorders the queue if it changed, then releases requests into the engine up to the concurrency cap.
    package func releaseQueued(now: Double) {
        guard !requestQueue.isEmpty else { return }
        if requestQueueChanged, var policy = requestPolicy {
            requestQueueChanged = false
            let load = currentLoad(now: now)
            let started = decisionTimes == nil ? 0 : monotonicSeconds()
            concurrencyCap = max(1, policy.decide(&requestQueue, load: load, predictor: latencyPredictor))
            if decisionTimes != nil { decisionTimes?.record(monotonicSeconds() - started) }
            requestPolicy = policy
        }
        var released = 0
        while released < requestQueue.count && engine.liveCount < concurrencyCap && engine.waiting.count < Self.engineWaitingAllowance {
            let q = requestQueue[released]
            admitToEngine(queuedRequests[q.handle], predictedFirstToken: q.predictedFirstTokenSeconds, predictedFinish: q.predictedFinishSeconds)
            freeHandles.append(q.handle)
            released += 1
        }
        if released > 0 { requestQueue.removeFirst(released) }
    }

    /// Requests released ahead into the engine's own waiting queue, so it never idles for want of work between decisions.
    package static let engineWaitingAllowance = 1

    /// What the policy (or a latency-aware router) may know of the engine now.
    package func currentLoad(now: Double) -> InstanceLoad {
        var load = InstanceLoad(
            nowSeconds: now, liveRequests: engine.liveCount, liveRemainingTokens: 0, livePendingPrefillTokens: 0,
            maxConcurrency: engine.maxRunningSequences, kvCapacityTokens: (engine.kv.totalBlocks - engine.kv.watermarkBlocks) * engine.kv.blockSizeTokens)
        for slot in engine.running { accumulate(slot, &load) }
        for slot in engine.waiting { accumulate(slot, &load) }
        return load
    }

    private func accumulate(_ slot: EngineState.Slot, _ load: inout InstanceLoad) {
        let s = engine.sequences[Int(slot)]
        let output = max(1, s.predictedOutputTokens)
        load.liveRemainingTokens += max(1, output - Double(s.generatedTokens))
        if s.remainingTokens > 1 { load.livePendingPrefillTokens += Double(s.remainingTokens) }
        load.livePromptTokens += Double(s.promptTokens)
        load.liveOutputTokens += output
    }

    private func cappedOutput(_ request: Request) -> Int {
        max(1, min(request.outputTokens, deployment.limits.maxOutputTokens, maxSequenceTokens - request.promptTokens))
    }

    private func admitToEngine(_ request: Request, predictedFirstToken: Double, predictedFinish: Double) {
        if enqueue(request) < request.outputTokens { truncatedOutputs += 1 }
        guard let slot = engine.waiting.last.map(Int.init) else { return }
        while predictedFinishBySlot.count <= slot {
            predictedFirstTokenBySlot.append(.nan)
            predictedFinishBySlot.append(.nan)
        }
        predictedFirstTokenBySlot[slot] = predictedFirstToken
        predictedFinishBySlot[slot] = predictedFinish
    }

    /// Compares a finished request's predicted times with the measured ones.
    package func recordLatencyError(slot: EngineState.Slot, now: Double) {
        let i = Int(slot)
        guard i < predictedFinishBySlot.count, !predictedFinishBySlot[i].isNaN else { return }
        let s = engine.sequences[i]
        let ttftError = predictedFirstTokenBySlot[i] - (s.firstTokenSeconds ?? now)
        let e2eError = predictedFinishBySlot[i] - now
        latencyErrors.count += 1
        latencyErrors.ttftAbsolute += abs(ttftError)
        latencyErrors.ttftSigned += ttftError
        latencyErrors.e2eAbsolute += abs(e2eError)
        latencyErrors.e2eSigned += e2eError
        latencyErrors.e2eMeasured += now - s.arrivalSeconds
        predictedFinishBySlot[i] = .nan
    }
}

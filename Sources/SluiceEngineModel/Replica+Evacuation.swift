package import DequeModule
package import SluiceCore

/// Spot reclaim: the instance disappears with everything on it.
extension Replica {
    /// Takes every request off the replica. Requests that had not streamed a token come back to be dispatched again
    /// (a gateway retries them transparently); requests that had streamed tokens end as rejected outcomes (their
    /// client saw the stream break). The engine is emptied and any iteration in flight is abandoned.
    package func evacuate(now: Double) -> (requeue: [Request], interrupted: [RequestOutcome]) {
        var requeue: [Request] = []
        var interrupted: [RequestOutcome] = []
        let slots = Array(engine.running) + Array(engine.waiting)
        for slot in slots {
            let i = Int(slot)
            let s = engine.sequences[i]
            if s.generatedTokens == 0 {
                requeue.append(Request(
                    id: s.requestID, arrivalSeconds: s.arrivalSeconds, promptTokens: s.promptTokens, outputTokens: trueOutputTokens[i],
                    tenant: tenantBySlot[i], sloClass: s.sloClass, priority: s.priority, prefixBlockHashes: prefixHashesBySlot[i],
                    model: deployment.model.name))
            } else {
                var o = outcome(slot: slot, now: now)
                o.status = .rejected
                o.sloMet = false
                o.rejectReason = "spot instance reclaimed after streaming \(s.generatedTokens) tokens"
                interrupted.append(o)
            }
            engine.release(slot)
        }
        engine.running.removeAll(keepingCapacity: true)
        engine.waiting.removeAll(keepingCapacity: true)
        for q in requestQueue {
            requeue.append(queuedRequests[q.handle])
            freeHandles.append(q.handle)
        }
        requestQueue.removeAll(keepingCapacity: true)
        outstandingTokens = 0
        plan.reset()
        isBusy = false
        inFlightSequence = .max
        wakeAtSeconds = nil
        return (requeue, interrupted)
    }
}

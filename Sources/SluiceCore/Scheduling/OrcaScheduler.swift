/// Orca's iteration-level scheduling (Yu et al., OSDI'22), as Vidur models it (`orca_replica_scheduler.py`).
///
/// Every iteration runs all admitted requests (a decode token each, or a new request's whole prompt: no
/// chunking). A request is admitted, first come first served, only if KV blocks for its worst case (prompt
/// plus the output cap, at most the model length) can be reserved, so a running request never runs out of
/// memory and nothing is ever preempted. The cost is memory: reservations cap the batch.
public struct OrcaScheduler: IterationScheduler {
    /// `orca`.
    public var name: String { "orca" }

    /// Creates the scheduler.
    public init() {}

    /// The worst-case reservation.
    public func minimumTokensToRun(promptTokens: Int, engine: EngineState) -> Int {
        engine.worstCaseTokens(promptTokens: promptTokens)
    }

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        var budget = engine.maxBatchedTokens
        for slot in engine.running where budget > 0 {
            let tokens = min(engine.sequences[Int(slot)].remainingTokens, budget)
            engine.schedule(slot, tokens: tokens, in: &plan)
            budget -= tokens
        }
        let watermark = engine.kv.watermarkBlocks
        while budget > 0, engine.running.count < engine.maxRunningSequences, let slot = engine.waiting.first {
            let seq = engine.sequences[Int(slot)]
            let reservation = engine.worstCaseTokens(promptTokens: seq.promptTokens)
            guard engine.growKV(slot, toTokens: reservation, keepingFree: watermark) else { break }
            engine.admitFirstWaiting()
            let tokens = min(seq.remainingTokens, budget)
            engine.schedule(slot, tokens: tokens, in: &plan)
            budget -= tokens
        }
    }
}

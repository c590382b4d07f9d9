/// vLLM v1's default scheduler (vllm-project/vllm `vllm/v1/core/sched/scheduler.py`, as of v0.8–0.11).
///
/// One token budget per iteration (`max_num_batched_tokens`). Running requests are served first, in admission
/// order: a decode takes one token, an unfinished (chunked) prefill takes as many as the budget leaves.
/// KV blocks are taken incrementally, for the tokens scheduled now; when none are free the newest running
/// request is preempted by recompute (freed and put at the front of the waiting queue), possibly the request
/// being scheduled itself. Only when nothing was preempted are waiting requests admitted, first come first
/// served, each with a prefill chunk of what budget is left, while blocks (above the watermark) and the
/// sequence cap allow.
public struct VLLMScheduler: IterationScheduler {
    /// vLLM v1's `max_num_batched_tokens` default for online serving.
    public static let defaultMaxBatchedTokens = 2048

    /// `vllm`.
    public var name: String { "vllm" }

    /// Creates the scheduler.
    public init() {}

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        var budget = engine.maxBatchedTokens
        var preempted = false
        var i = 0
        running: while i < engine.running.count && budget > 0 {
            let slot = engine.running[i]
            let seq = engine.sequences[Int(slot)]
            let tokens = min(seq.remainingTokens, budget)
            while !engine.growKV(slot, toTokens: seq.computedTokens + tokens) {
                guard let victim = engine.running.last else { break running }
                engine.preempt(victim, plan: &plan)
                preempted = true
                if victim == slot { break running }
            }
            engine.schedule(slot, tokens: tokens, in: &plan)
            budget -= tokens
            i += 1
        }
        if preempted { return }
        let watermark = engine.kv.watermarkBlocks
        while budget > 0, engine.running.count < engine.maxRunningSequences, let slot = engine.waiting.first {
            let seq = engine.sequences[Int(slot)]
            let tokens = min(seq.remainingTokens, budget)
            guard engine.growKV(slot, toTokens: seq.computedTokens + tokens, keepingFree: watermark) else { break }
            engine.admitFirstWaiting()
            engine.schedule(slot, tokens: tokens, in: &plan)
            budget -= tokens
        }
    }
}

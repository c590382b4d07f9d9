/// Request-level (static) batching, as FasterTransformer serves and Vidur's `faster_transformer` scheduler
/// models it.
///
/// When the engine is empty, it admits waiting requests first come first served, reserving worst-case KV for
/// each, up to the sequence cap; that batch then runs to completion (all prompts in the first iteration, then one
/// decode per unfinished request per iteration). Requests that arrive meanwhile wait for the whole batch to
/// finish, however short they are: the head-of-line blocking that iteration-level scheduling removed.
public struct StaticBatchScheduler: IterationScheduler {
    /// `static`.
    public var name: String { "static" }

    /// Creates the scheduler.
    public init() {}

    /// The worst-case reservation.
    public func minimumTokensToRun(promptTokens: Int, engine: EngineState) -> Int {
        engine.worstCaseTokens(promptTokens: promptTokens)
    }

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        if engine.running.isEmpty {
            while engine.running.count < engine.maxRunningSequences, let slot = engine.waiting.first {
                let reservation = engine.worstCaseTokens(promptTokens: engine.sequences[Int(slot)].promptTokens)
                guard engine.growKV(slot, toTokens: reservation) else { break }
                engine.admitFirstWaiting()
            }
        }
        for slot in engine.running {
            engine.schedule(slot, tokens: engine.sequences[Int(slot)].remainingTokens, in: &plan)
        }
    }
}

/// An engine-iteration scheduler: before every iteration it decides which sequences run and how many tokens
/// each computes, admitting, deferring and preempting through ``EngineState``.
///
/// A scheduler is written once and runs unchanged wherever an ``EngineState`` is maintained (the simulator's
/// replicas, or a gateway that owns iteration scheduling). It must not read true output lengths (it cannot: the
/// engine state has none), must respect `maxBatchedTokens` and `maxRunningSequences`, and must allocate nothing
/// per call in steady state.
public protocol IterationScheduler: Sendable {
    /// The scheduler's registered name (`vllm`, `sarathi`, ...).
    var name: String { get }

    /// Fills `plan` (already reset) with the next iteration's work. `engine.nowSeconds` is the current time.
    mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan)

    /// Told after each iteration how long it took (SLAI-style policies keep running means).
    mutating func didFinishIteration(_ engine: inout EngineState, plan: BatchPlan, durationSeconds: Double)

    /// Tokens of KV a request with this prompt needs before it can ever run; a request needing more blocks than
    /// the cache minus the watermark is rejected on arrival.
    func minimumTokensToRun(promptTokens: Int, engine: EngineState) -> Int

    /// When ``schedule(_:into:)`` left the plan empty although requests are live: the time at which the scheduler
    /// wants to decide again even if nothing arrives (a booking-limit gate that times out). `nil`: only when
    /// something arrives; a scheduler that returns `nil` with admitted requests unserved is a bug.
    func nextDecisionSeconds(_ engine: EngineState) -> Double?
}

extension IterationScheduler {
    /// Default: nothing to learn from iteration times.
    public mutating func didFinishIteration(_ engine: inout EngineState, plan: BatchPlan, durationSeconds: Double) {}

    /// Default: the prompt plus the first sampled token.
    public func minimumTokensToRun(promptTokens: Int, engine: EngineState) -> Int { promptTokens + 1 }

    /// Default: a scheduler with live requests always schedules something.
    public func nextDecisionSeconds(_ engine: EngineState) -> Double? { nil }
}

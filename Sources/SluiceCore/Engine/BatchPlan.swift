/// The decision of an ``IterationScheduler`` for one iteration: which sequences run and the batch's shape.
///
/// The tokens of each slot are in its ``SequenceState/scheduledTokens``. A plan's storage is reused from
/// iteration to iteration (``reset()`` keeps capacity), so building a plan allocates nothing in steady state.
/// Invariants: no slot twice; `shape` equals the sums over `slots`.
public struct BatchPlan: Sendable {
    /// The scheduled slots in scheduling order.
    public var slots: [EngineState.Slot] = []
    /// The batch's shape, for the step-time model.
    public var shape = BatchShape()

    /// An empty plan.
    public init() {}

    /// Empties the plan, keeping its storage.
    @inlinable
    public mutating func reset() {
        slots.removeAll(keepingCapacity: true)
        shape = BatchShape()
    }

    /// Whether nothing is scheduled.
    @inlinable public var isEmpty: Bool { slots.isEmpty }
}

/// Predicts how long one engine iteration takes.
///
/// Implementations are pure and cheap: the simulator calls ``stepSeconds(_:)`` once per iteration
/// (millions of times per run), so it must be O(1) in the batch size and allocate nothing.
public protocol StepTimeModel: Sendable {
    /// Duration of one iteration that processes `batch`, in seconds. Must be positive for a non-empty batch.
    func stepSeconds(_ batch: BatchShape) -> Double
}

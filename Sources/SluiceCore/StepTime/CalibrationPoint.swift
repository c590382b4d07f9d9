/// One measured step time to calibrate a ``StepTimeModel`` against (SIMULATION.md §2.7, advice 3).
///
/// A row of measurements often stands for several iterations whose *mean* time was recorded: the chunks of one
/// chunked prefill (SLAI's chunk sweep, `data/profiles/slai-mistral7b-rtx6000ada.csv`), or repeated decode steps.
/// The point therefore holds every batch the mean was taken over; a model's prediction for the point is the mean of
/// its step times over ``shapes``.
///
/// Invariants: ``shapes`` is non-empty and holds no empty batch; ``measuredSeconds`` is positive and finite
/// (``RooflineCalibrator/fit(_:)`` checks both).
public struct CalibrationPoint: Sendable, Hashable {
    /// The batches whose step times were averaged into ``measuredSeconds``.
    public var shapes: [BatchShape]
    /// The measured mean step time over ``shapes``, seconds.
    public var measuredSeconds: Double
    /// Where the point comes from, for reports (`"file.csv:3"`, `"chunk 256"`).
    public var label: String

    /// Creates a point measured as the mean over several batches.
    /// - Parameters:
    ///   - shapes: the batches the mean was taken over (one per iteration).
    ///   - measuredSeconds: the measured mean iteration time, seconds.
    ///   - label: where the point comes from.
    public init(shapes: [BatchShape], measuredSeconds: Double, label: String = "") {
        self.shapes = shapes
        self.measuredSeconds = measuredSeconds
        self.label = label
    }

    /// Creates a point for a single measured batch.
    /// - Parameters:
    ///   - shape: the batch that was timed.
    ///   - measuredSeconds: its measured step time, seconds.
    ///   - label: where the point comes from.
    public init(shape: BatchShape, measuredSeconds: Double, label: String = "") {
        self.init(shapes: [shape], measuredSeconds: measuredSeconds, label: label)
    }

    /// The mean step time `model` predicts over ``shapes``, seconds.
    /// - Complexity: O(``shapes``.count) model evaluations.
    public func predictedSeconds(by model: some StepTimeModel) -> Double {
        guard !shapes.isEmpty else { return 0 }
        var total = 0.0
        for shape in shapes { total += model.stepSeconds(shape) }
        return total / Double(shapes.count)
    }

    /// Mean number of sequences per batch (the multiplier of the per-sequence overhead).
    var meanSequences: Double {
        guard !shapes.isEmpty else { return 0 }
        return Double(shapes.reduce(0) { $0 + $1.sequences }) / Double(shapes.count)
    }
}

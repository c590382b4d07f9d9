/// What ``RooflineCalibrator/fit(_:)`` found: the parameters, how well they reproduce each point, and which of
/// them the data could not pin down.
///
/// Errors are absolute percentage errors, `APE = 100·|predicted − measured| / measured`, the quantity the fit
/// minimises in squares (SIMULATION.md §2.7, advice 3; Vidur reports MAPE the same way).
public struct CalibrationResult: Sendable, Hashable {
    /// The fitted parameters (the fixed ones keep their initial values).
    public var parameters: RooflineParameters
    /// Names of the parameters that were fitted, in the order given to the calibrator.
    public var fittedParameterNames: [String]
    /// The points, in input order.
    public var points: [CalibrationPoint]
    /// Predicted mean step time of each point, seconds (same order as ``points``).
    public var predictedSeconds: [Double]
    /// Σ ((predicted − measured) / measured)²: the objective at ``parameters``.
    public var sumSquaredRelativeError: Double
    /// Fitted parameters that ended on a bound of their range (an efficiency at 0.05 or 1, an overhead at 0,
    /// `gemmOverlapLoss` at 0 or 1): the data wants the model to go further than it physically can.
    public var parametersAtBounds: [String]
    /// Fitted parameters the data hardly constrains: their effect on the residuals is (nearly) zero or a linear
    /// combination of the effects of parameters listed before them, so their value is arbitrary. Hold them fixed.
    public var weaklyDeterminedParameters: [String]
    /// Objective evaluations the fit used.
    public var evaluations: Int

    /// Creates a result (the calibrator does this; public for tests and file round trips).
    public init(
        parameters: RooflineParameters, fittedParameterNames: [String], points: [CalibrationPoint],
        predictedSeconds: [Double], sumSquaredRelativeError: Double, parametersAtBounds: [String] = [],
        weaklyDeterminedParameters: [String] = [], evaluations: Int = 0
    ) {
        self.parameters = parameters
        self.fittedParameterNames = fittedParameterNames
        self.points = points
        self.predictedSeconds = predictedSeconds
        self.sumSquaredRelativeError = sumSquaredRelativeError
        self.parametersAtBounds = parametersAtBounds
        self.weaklyDeterminedParameters = weaklyDeterminedParameters
        self.evaluations = evaluations
    }

    /// Absolute percentage error of each point, percent (same order as ``points``).
    public var absolutePercentageErrors: [Double] {
        zip(points, predictedSeconds).map { point, predicted in
            100 * abs(predicted - point.measuredSeconds) / point.measuredSeconds
        }
    }

    /// Median of ``absolutePercentageErrors`` (mean of the middle two for an even count), percent.
    public var medianAbsolutePercentageError: Double {
        let sorted = absolutePercentageErrors.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Largest of ``absolutePercentageErrors``, percent.
    public var maxAbsolutePercentageError: Double {
        absolutePercentageErrors.max() ?? 0
    }
}

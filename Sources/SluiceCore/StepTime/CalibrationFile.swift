/// A fitted set of ``RooflineParameters`` for one (model, GPU, TP), as stored on disk (JSON, written by
/// `sluice calibrate`, bundled under `SluiceCatalog/Resources/calibrations/`).
///
/// The content is deterministic for given data: no timestamps, only the data file's name (not its path), values
/// rounded by the calibrator (``RooflineCalibrator/Options-swift.struct/significantDigits``). Reading and writing
/// live in `SluiceSimulator` (`CalibrationFile+IO.swift`); the schema is this type's `Codable` form:
/// ```json
/// { "formatVersion": 1, "model": "mistral-7b", "gpu": "rtx-6000-ada", "tensorParallel": 1,
///   "parameters": { "computeEfficiency": 0.64, ... }, "fittedParameters": ["computeEfficiency", ...],
///   "statistics": { "points": 7, "medianAPEPercent": 2.8, "maxAPEPercent": 5.9 },
///   "sourceData": "slai-mistral7b-rtx6000ada.csv", "description": "...", "points": [...],
///   "modelSpec": {...}, "gpuSpec": {...} }
/// ```
public struct CalibrationFile: Sendable, Hashable, Codable {
    /// Schema version this type writes.
    public static let currentFormatVersion = 1

    /// How well the parameters reproduce the data.
    public struct Statistics: Sendable, Hashable, Codable {
        /// Number of calibration points.
        public var points: Int
        /// Median absolute percentage error over the points, percent.
        public var medianAPEPercent: Double
        /// Largest absolute percentage error, percent.
        public var maxAPEPercent: Double

        /// Creates statistics.
        public init(points: Int, medianAPEPercent: Double, maxAPEPercent: Double) {
            self.points = points
            self.medianAPEPercent = medianAPEPercent
            self.maxAPEPercent = maxAPEPercent
        }
    }

    /// One calibration point as the fit saw it.
    public struct Point: Sendable, Hashable, Codable {
        /// Where the point comes from (`file.csv:3 chunk 64`).
        public var label: String
        /// Measured mean step time, milliseconds.
        public var measuredMs: Double
        /// Predicted mean step time with ``CalibrationFile/parameters``, milliseconds.
        public var predictedMs: Double

        /// Creates a point record.
        public init(label: String, measuredMs: Double, predictedMs: Double) {
            self.label = label
            self.measuredMs = measuredMs
            self.predictedMs = predictedMs
        }
    }

    /// Schema version (``currentFormatVersion`` when written by this version).
    public var formatVersion: Int
    /// Catalog name of the model (`mistral-7b`).
    public var model: String
    /// Catalog name of the GPU (`rtx-6000-ada`).
    public var gpu: String
    /// Tensor-parallel degree of the measurements.
    public var tensorParallel: Int
    /// The calibrated parameters (fitted ones plus the fixed values they were fitted with).
    public var parameters: RooflineParameters
    /// Names of the fitted parameters; the others were held at their values in ``parameters``.
    public var fittedParameters: [String]
    /// Fit quality.
    public var statistics: Statistics
    /// File name (no directory) of the measured data.
    public var sourceData: String
    /// What was measured and how it was fitted, for people; no timestamps.
    public var description: String
    /// Per-point measured and predicted times.
    public var points: [Point]?
    /// The model figures the fit assumed (the parameters are only meaningful with them).
    public var modelSpec: ModelSpec?
    /// The GPU figures the fit assumed.
    public var gpuSpec: GPUSpec?
    /// The engine the measurements describe (`vllm`, `sglang`, `trtllm`; `nil`: not recorded).
    public var engine: String?
    /// Weight and KV precision of the measurements (`bf16`, `fp8`; `nil`: the model spec's).
    public var dtype: String?
    /// Where the measurements come from: one line per source, with its licence.
    public var sources: [String]?
    /// Leave-one-configuration-out error of the fit (each configuration predicted by a fit without it), the figure
    /// to trust; ``statistics`` is in-sample.
    public var heldOut: HeldOutStatistics?

    /// Leave-one-configuration-out errors, fractions (0.05 = 5 %).
    public struct HeldOutStatistics: Sendable, Hashable, Codable {
        /// Configurations (groups of points) left out in turn.
        public var configurations: Int
        /// Median absolute percentage error of the step time over every held-out point.
        public var stepMedianAPE: Double
        /// 90th percentile of the same.
        public var stepP90APE: Double
        /// Median APE over decode-only points (the TPOT the fit implies), when any.
        public var decodeMedianAPE: Double?
        /// Median APE over points with a prefill (the TTFT the fit implies), when any.
        public var prefillMedianAPE: Double?
        /// End-to-end held-out errors (`sluice calibrate --from-validate`: each configuration group simulated with a fit
        /// made without it, against its measured mean TTFT, TPOT and E2E).
        public var ttftMedianAPE: Double?
        public var tpotMedianAPE: Double?
        public var e2eMedianAPE: Double?

        /// Creates held-out statistics.
        public init(configurations: Int, stepMedianAPE: Double, stepP90APE: Double, decodeMedianAPE: Double? = nil, prefillMedianAPE: Double? = nil) {
            self.configurations = configurations
            self.stepMedianAPE = stepMedianAPE
            self.stepP90APE = stepP90APE
            self.decodeMedianAPE = decodeMedianAPE
            self.prefillMedianAPE = prefillMedianAPE
        }

        /// `step median APE 4.1 % (decode 3.2 %, prefill 6.0 %) over 12 configurations`.
        public var summary: String {
            func pct(_ x: Double) -> String { String(Double((x * 1000).rounded()) / 10) + " %" }
            var parts: [String] = []
            if let d = decodeMedianAPE { parts.append("decode \(pct(d))") }
            if let p = prefillMedianAPE { parts.append("prefill \(pct(p))") }
            var text = "step median APE \(pct(stepMedianAPE))" + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
            if let t = ttftMedianAPE, let p = tpotMedianAPE, let e = e2eMedianAPE {
                text += "; end to end TTFT \(pct(t)), TPOT \(pct(p)), E2E \(pct(e))"
            }
            return text + " over \(configurations) configurations left out"
        }
    }

    /// Creates a file from its fields.
    public init(
        model: String, gpu: String, tensorParallel: Int, parameters: RooflineParameters, fittedParameters: [String],
        statistics: Statistics, sourceData: String, description: String, points: [Point]? = nil,
        modelSpec: ModelSpec? = nil, gpuSpec: GPUSpec? = nil
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.model = model
        self.gpu = gpu
        self.tensorParallel = tensorParallel
        self.parameters = parameters
        self.fittedParameters = fittedParameters
        self.statistics = statistics
        self.sourceData = sourceData
        self.description = description
        self.points = points
        self.modelSpec = modelSpec
        self.gpuSpec = gpuSpec
    }

    /// Creates the file for a fit of `deployment`.
    /// - Parameters:
    ///   - result: what ``RooflineCalibrator/fit(_:)`` returned.
    ///   - deployment: the measured deployment (names, TP and the specs are recorded).
    ///   - sourceData: the data file's name (pass the last path component, not a full path).
    ///   - description: what was measured, for people.
    public init(result: CalibrationResult, deployment: Deployment, sourceData: String, description: String) {
        self.init(
            model: deployment.model.name, gpu: deployment.gpu.name, tensorParallel: deployment.tensorParallel,
            parameters: result.parameters, fittedParameters: result.fittedParameterNames,
            statistics: Statistics(
                points: result.points.count,
                medianAPEPercent: RooflineCalibrator.round(
                    result.medianAbsolutePercentageError, significantDigits: Self.statisticsDigits),
                maxAPEPercent: RooflineCalibrator.round(
                    result.maxAbsolutePercentageError, significantDigits: Self.statisticsDigits)),
            sourceData: sourceData, description: description,
            points: zip(result.points, result.predictedSeconds).map { point, predicted in
                Point(
                    label: point.label,
                    measuredMs: RooflineCalibrator.round(
                        point.measuredSeconds * Self.millisecondsPerSecond, significantDigits: Self.measuredDigits),
                    predictedMs: RooflineCalibrator.round(
                        predicted * Self.millisecondsPerSecond, significantDigits: Self.statisticsDigits))
            },
            modelSpec: deployment.model, gpuSpec: deployment.gpu)
    }

    /// Lookup key, `model@gpu` in lower case (TP is matched separately).
    public var key: String { "\(model.lowercased())@\(gpu.lowercased())" }

    /// Significant digits of the recorded statistics and predictions.
    static let statisticsDigits = 4
    /// Significant digits of the recorded measurements (enough to undo the ms → s → ms round trip's last-bit noise).
    static let measuredDigits = 9
    static let millisecondsPerSecond = 1000.0
}

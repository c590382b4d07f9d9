#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fits chosen ``RooflineParameters`` of a ``RooflineStepTimeModel`` to measured step times
/// (SIMULATION.md §2.7, advice 3: "calibrate η and τ per (engine, GPU) by least squares").
///
/// The fit minimises the sum of squared *relative* errors, `Σ ((predicted − measured) / measured)²`, so a 20 ms
/// and a 200 ms step count alike. Parameters stay in bounds through a change of variables (see
/// ``CalibratedParameter``): efficiencies in (``minimumEfficiency``, 1], overheads ≥ 0, `gemmOverlapLoss` in [0, 1].
/// The search is deterministic: a coarse grid over the fitted parameters (3 levels each up to 7 parameters,
/// 2 beyond) picks the best ``Options-swift.struct/starts`` starting points, plus the initial parameters; each is
/// refined by Nelder–Mead (``NelderMead``), restarted from its own optimum until it stops improving.
///
/// Pick only the parameters the data can inform: a chunk sweep of one prompt (batch of 1) cannot separate
/// `stepOverheadSeconds` from `perSequenceOverheadSeconds`, nor (at TP 1) fit the all-reduce terms. The result
/// names such ``CalibrationResult/weaklyDeterminedParameters``.
public struct RooflineCalibrator: Sendable {
    /// Lower bound of every efficiency (a kernel at 5 % of peak is a modelling error, not a measurement).
    public static let minimumEfficiency = 0.05

    /// The parameters fitted when the caller does not choose (SIMULATION.md §2.7: the GEMM, weight-streaming and
    /// attention efficiencies, the step and per-sequence overheads, and the GEMM overlap loss).
    public static let defaultFittedParameters = [
        "computeEfficiency", "weightStreamEfficiency", "attentionEfficiency", "stepOverheadSeconds",
        "perSequenceOverheadSeconds", "gemmOverlapLoss",
    ]

    /// Search settings. The defaults fit a few hundred points in well under a second (release build).
    public struct Options: Sendable, Hashable {
        /// Best grid points refined by Nelder–Mead (the initial parameters are always refined too).
        public var starts: Int
        /// Objective evaluations per fitted parameter allowed to one Nelder–Mead run.
        public var evaluationsPerParameter: Int
        /// Nelder–Mead restarts from a run's optimum (stops early once a restart no longer improves).
        public var restarts: Int
        /// Convergence: spread of the objective over the simplex.
        public var functionTolerance: Double
        /// Convergence: simplex size in the transformed variables.
        public var pointTolerance: Double
        /// Significant digits the fitted values are rounded to (so calibration files are stable across
        /// platforms); `nil` keeps full precision. Statistics describe the rounded values.
        public var significantDigits: Int?
        /// A fitted parameter whose residual-sensitivity vector lies within this sine of the span of the others'
        /// (or has no effect at all) is reported as weakly determined.
        public var identifiabilityThreshold: Double

        /// Creates options; the defaults suit up to the ten parameters of ``RooflineParameters``.
        public init(
            starts: Int = 4, evaluationsPerParameter: Int = 600, restarts: Int = 3, functionTolerance: Double = 1e-14,
            pointTolerance: Double = 1e-9, significantDigits: Int? = 6, identifiabilityThreshold: Double = 1e-3
        ) {
            self.starts = starts
            self.evaluationsPerParameter = evaluationsPerParameter
            self.restarts = restarts
            self.functionTolerance = functionTolerance
            self.pointTolerance = pointTolerance
            self.significantDigits = significantDigits
            self.identifiabilityThreshold = identifiabilityThreshold
        }
    }

    /// The deployment whose step times were measured (model, GPU, TP).
    public let deployment: Deployment
    /// Names of the parameters to fit, from ``RooflineParameters/names``.
    public let fittedParameterNames: [String]
    /// Starting values; parameters not fitted keep these.
    public let initial: RooflineParameters
    /// Search settings.
    public let options: Options

    /// Creates a calibrator.
    /// - Parameters:
    ///   - deployment: the measured deployment.
    ///   - fitting: parameter names to fit (default ``defaultFittedParameters``).
    ///   - initial: starting values, and the values of the parameters not fitted.
    ///   - options: search settings.
    /// - Throws: ``SluiceError`` for an unknown or repeated name, or an empty list.
    public init(
        deployment: Deployment, fitting: [String] = RooflineCalibrator.defaultFittedParameters,
        initial: RooflineParameters = RooflineParameters(), options: Options = Options()
    ) throws(SluiceError) {
        guard !fitting.isEmpty else {
            throw .invalidValue(
                field: "fitted parameters", value: "",
                allowed: "one or more of \(RooflineParameters.names.joined(separator: ", "))")
        }
        var seen = Set<String>()
        for name in fitting {
            guard RooflineParameters.names.contains(name) else {
                throw .unknownName(kind: "roofline parameter", name: name, valid: RooflineParameters.names)
            }
            guard seen.insert(name).inserted else {
                throw .invalidValue(field: "fitted parameters", value: name, allowed: "each name once")
            }
        }
        self.deployment = deployment
        self.fittedParameterNames = fitting
        self.initial = initial
        self.options = options
    }

    /// Fits the chosen parameters to `points`.
    /// - Returns: the parameters, per-point predictions and fit diagnostics.
    /// - Throws: ``SluiceError`` when there are no points, a point has no batches or an empty batch, or a measured
    ///   time is not positive and finite.
    public func fit(_ points: [CalibrationPoint]) throws(SluiceError) -> CalibrationResult {
        try Self.validate(points)
        let fitted = calibratedParameters(for: points)
        var evaluations = 0
        let score = { (values: [Double]) -> Double in
            evaluations += 1
            return self.objective(self.parameters(values, fitted), points)
        }

        let values = search(fitted, score)
        let parameters = parameters(values, fitted)
        var result = evaluate(parameters, on: points)
        result.evaluations = evaluations
        result.parametersAtBounds = zip(fitted, values)
            .filter { $0.isAtBound($1, tolerance: Self.boundTolerance) }
            .map(\.0.name)
        result.weaklyDeterminedParameters = weaklyDetermined(parameters, fitted, points)
        return result
    }

    /// The best values of `fitted` for `score` (values in natural units): grid starts, then Nelder–Mead with restarts
    /// on the bounded transforms, rounded to ``Options/significantDigits`` within the bounds.
    func search(_ fitted: [CalibratedParameter], _ score: ([Double]) -> Double) -> [Double] {
        let transformed = { (u: [Double]) -> Double in score(zip(fitted, u).map { $0.value($1) }) }
        var starts = [fitted.map { initial.values[$0.index] }]
        starts += gridStarts(fitted, score)
        let searcher = NelderMead(
            maxEvaluations: options.evaluationsPerParameter * fitted.count,
            functionTolerance: options.functionTolerance,
            pointTolerance: options.pointTolerance)
        let steps = [Double](repeating: CalibratedParameter.simplexStep, count: fitted.count)
        var best = NelderMead.Outcome(point: [], value: .infinity, evaluations: 0)
        for start in starts {
            var outcome = searcher.minimize(
                transformed, start: zip(fitted, start).map { $0.unconstrained($1) }, step: steps)
            for _ in 0..<options.restarts {
                let again = searcher.minimize(transformed, start: outcome.point, step: steps)
                let improved = again.value < outcome.value - options.functionTolerance
                if again.value < outcome.value { outcome = again }
                if !improved { break }
            }
            if best.point.isEmpty || outcome.value < best.value { best = outcome }
        }
        var values = zip(fitted, best.point).map { $0.value($1) }
        if let digits = options.significantDigits {
            values = zip(fitted, values).map { p, v in
                min(max(Self.round(v, significantDigits: digits), p.bounds.lowerBound), p.bounds.upperBound)
            }
        }
        return values
    }

    /// Predictions and objective of `parameters` on `points`, without fitting (diagnostics are left empty).
    public func evaluate(_ parameters: RooflineParameters, on points: [CalibrationPoint]) -> CalibrationResult {
        let model = RooflineStepTimeModel(deployment: deployment, parameters: parameters)
        return CalibrationResult(
            parameters: parameters, fittedParameterNames: fittedParameterNames, points: points,
            predictedSeconds: points.map { $0.predictedSeconds(by: model) },
            sumSquaredRelativeError: objective(parameters, points))
    }

    /// Relative distance from a bound under which a fitted value counts as sitting on it.
    static let boundTolerance = 1e-4

    /// The scale of ``RooflineParameters/decodeAttentionSaturationItems`` in the search (about an H100's 132 SMs / 2).
    static let typicalSaturationItems = 64.0

    /// The objective: Σ ((predicted − measured) / measured)².
    func objective(_ parameters: RooflineParameters, _ points: [CalibrationPoint]) -> Double {
        let model = RooflineStepTimeModel(deployment: deployment, parameters: parameters)
        var sum = 0.0
        for point in points {
            let relative = (point.predictedSeconds(by: model) - point.measuredSeconds) / point.measuredSeconds
            sum += relative * relative
        }
        return sum
    }

    /// ``initial`` with the fitted parameters set to `values`.
    func parameters(_ values: [Double], _ fitted: [CalibratedParameter]) -> RooflineParameters {
        var all = initial.values
        for (p, v) in zip(fitted, values) { all[p.index] = v }
        var result = initial
        result.values = all
        return result
    }

    /// The fitted parameters with their bounds; overhead scales come from the data: the median measured time
    /// divided by how often the overhead is paid per step (once; per sequence; per layer; twice per layer).
    func calibratedParameters(for points: [CalibrationPoint]) -> [CalibratedParameter] {
        let layers = Double(deployment.model.layers)
        let measured = Self.median(points.map(\.measuredSeconds))
        let sequences = max(Self.median(points.map(\.meanSequences)), 1)
        let multipliers = [
            "stepOverheadSeconds": 1, "perSequenceOverheadSeconds": sequences, "perLayerOverheadSeconds": layers,
            "allReduceLatencySeconds": 2 * layers,
            "allReducePerPeerLatencySeconds": 2 * layers * Double(max(deployment.tensorParallel - 1, 1)),
            // Not a time: a count of work items, searched around a typical GPU's streaming-multiprocessor count.
            "decodeAttentionSaturationItems": measured / Self.typicalSaturationItems,
        ]
        return fittedParameterNames.compactMap { name in
            guard let index = RooflineParameters.names.firstIndex(of: name),
                let kind = CalibratedParameter.kind(of: name)
            else { return nil }
            return CalibratedParameter(name: name, index: index, kind: kind, scale: measured / (multipliers[name] ?? 1))
        }
    }

    /// The best grid points (by objective, ties to the earlier point), as parameter values.
    func gridStarts(_ fitted: [CalibratedParameter], _ objective: ([Double]) -> Double) -> [[Double]] {
        let three = fitted.count <= Self.maxParametersForThreeLevels
        let levels = fitted.map { $0.levels(three: three) }
        let count = levels.reduce(1) { $0 * $1.count }
        var scored: [(value: Double, index: Int)] = []
        scored.reserveCapacity(count)
        for index in 0..<count {
            scored.append((objective(Self.gridPoint(index, levels)), index))
        }
        scored.sort { $0.value < $1.value || ($0.value == $1.value && $0.index < $1.index) }
        return scored.prefix(options.starts).map { Self.gridPoint($0.index, levels) }
    }

    /// Above this many fitted parameters the grid uses two levels each (3⁷ = 2,187 points; 2¹⁰ = 1,024).
    static let maxParametersForThreeLevels = 7

    /// The grid point with mixed-radix number `index`.
    static func gridPoint(_ index: Int, _ levels: [[Double]]) -> [Double] {
        var rest = index
        return levels.map { l in
            defer { rest /= l.count }
            return l[rest % l.count]
        }
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// `x` rounded to `significantDigits` significant decimal digits.
    static func round(_ x: Double, significantDigits: Int) -> Double {
        guard x != 0, x.isFinite else { return x }
        let exponent = Double(significantDigits) - 1 - floor(log10(abs(x)))
        let factor = pow(10, exponent)
        return (x * factor).rounded() / factor
    }

    static func validate(_ points: [CalibrationPoint]) throws(SluiceError) {
        guard !points.isEmpty else {
            throw .invalidValue(field: "calibration points", value: "none", allowed: "at least one measured step")
        }
        for (i, point) in points.enumerated() {
            let name = point.label.isEmpty ? "calibration point \(i + 1)" : point.label
            guard !point.shapes.isEmpty, !point.shapes.contains(where: \.isEmpty) else {
                throw .invalidValue(
                    field: "\(name) batches", value: "\(point.shapes.count)", allowed: "one or more non-empty batches")
            }
            guard point.measuredSeconds > 0, point.measuredSeconds.isFinite else {
                throw .invalidValue(
                    field: "\(name) measured time", value: "\(point.measuredSeconds)",
                    allowed: "a positive number of seconds")
            }
        }
    }
}

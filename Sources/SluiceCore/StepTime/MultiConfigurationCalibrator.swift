/// Fits one set of ``RooflineParameters`` to measured steps of several configurations (models, TP degrees,
/// precisions) on the same GPU, and reports the leave-one-configuration-out error: each configuration predicted by a
/// fit made without it.
///
/// The roofline's efficiencies and overheads are properties of the GPU, its kernels and the engine, not of one model,
/// so one parameter set fitted across configurations transfers to configurations it never saw (the held-out error
/// measures how well). The search is ``RooflineCalibrator``'s (grid starts, Nelder–Mead on bounded transforms),
/// on the sum of every configuration's squared relative errors.
public struct MultiConfigurationCalibrator: Sendable {
    /// One configuration's measurements.
    public struct Configuration: Sendable {
        /// A name for reports (`llama-3.1-70b-tp4-bf16`).
        public var name: String
        /// The measured deployment.
        public var deployment: Deployment
        /// Its measured steps.
        public var points: [CalibrationPoint]
        /// Its own values of the parameters not fitted (`nil`: the calibrator's `initial`), e.g. the kernel
        /// calibration of its GPU when only engine overheads are fitted across GPUs.
        public var base: RooflineParameters?

        /// Creates a configuration.
        public init(name: String, deployment: Deployment, points: [CalibrationPoint], base: RooflineParameters? = nil) {
            self.name = name
            self.deployment = deployment
            self.points = points
            self.base = base
        }
    }

    /// The fit and its errors.
    public struct Fit: Sendable {
        /// The parameters fitted on every configuration.
        public var parameters: RooflineParameters
        /// In-sample median absolute percentage error over every point, fraction.
        public var inSampleMedianAPE: Double
        /// Leave-one-configuration-out errors (`nil` with a single configuration).
        public var heldOut: CalibrationFile.HeldOutStatistics?
        /// Held-out median APE per configuration, by name, fraction.
        public var heldOutByConfiguration: [(name: String, medianAPE: Double)]
    }

    /// The configurations.
    public let configurations: [Configuration]
    /// Parameters fitted (the others keep `initial`'s values).
    public let fittedParameterNames: [String]
    /// Starting values and the values of the parameters not fitted.
    public let initial: RooflineParameters
    /// Search options.
    public let options: RooflineCalibrator.Options

    /// Creates the calibrator. - Throws: ``SluiceError`` for no configurations, unknown names or invalid points.
    public init(
        configurations: [Configuration], fitting: [String], initial: RooflineParameters = RooflineParameters(),
        options: RooflineCalibrator.Options = RooflineCalibrator.Options()
    ) throws(SluiceError) {
        guard !configurations.isEmpty else { throw .invalidValue(field: "calibration data", value: "none", allowed: "at least one configuration") }
        for c in configurations { try RooflineCalibrator.validate(c.points) }
        _ = try RooflineCalibrator(deployment: configurations[0].deployment, fitting: fitting, initial: initial, options: options)
        self.configurations = configurations
        fittedParameterNames = fitting
        self.initial = initial
        self.options = options
    }

    /// Fits on every configuration and, with two or more, on each leave-one-out subset.
    public func fit() throws(SluiceError) -> Fit {
        let allValues = try fittedValues(fittingOn: configurations)
        let all = withFittedValues(allValues, base: initial)
        let inSample = configurations.flatMap { c in apes(withFittedValues(allValues, base: c.base ?? initial), c) }
        guard configurations.count > 1 else {
            return Fit(parameters: all, inSampleMedianAPE: RooflineCalibrator.median(inSample), heldOut: nil, heldOutByConfiguration: [])
        }
        var heldOutAll: [Double] = []
        var decode: [Double] = []
        var prefill: [Double] = []
        var byConfiguration: [(String, Double)] = []
        for (i, c) in configurations.enumerated() {
            var rest = configurations
            rest.remove(at: i)
            let e = apes(withFittedValues(try fittedValues(fittingOn: rest), base: c.base ?? initial), c)
            heldOutAll += e
            for (point, ape) in zip(c.points, e) {
                if point.shapes.allSatisfy({ $0.prefillSequences == 0 }) { decode.append(ape) } else { prefill.append(ape) }
            }
            byConfiguration.append((c.name, RooflineCalibrator.median(e)))
        }
        let sorted = heldOutAll.sorted()
        let p90 = sorted[min(sorted.count - 1, Int((0.9 * Double(sorted.count - 1)).rounded()))]
        let heldOut = CalibrationFile.HeldOutStatistics(
            configurations: configurations.count, stepMedianAPE: RooflineCalibrator.median(heldOutAll), stepP90APE: p90,
            decodeMedianAPE: decode.isEmpty ? nil : RooflineCalibrator.median(decode),
            prefillMedianAPE: prefill.isEmpty ? nil : RooflineCalibrator.median(prefill))
        return Fit(parameters: all, inSampleMedianAPE: RooflineCalibrator.median(inSample), heldOut: heldOut, heldOutByConfiguration: byConfiguration)
    }

    /// Absolute percentage errors (fractions) of `parameters` on `c`'s points.
    public func apes(_ parameters: RooflineParameters, _ c: Configuration) -> [Double] {
        let model = RooflineStepTimeModel(deployment: c.deployment, parameters: parameters)
        return c.points.map { abs($0.predictedSeconds(by: model) - $0.measuredSeconds) / $0.measuredSeconds }
    }

    /// The fitted parameters' values (in ``fittedParameterNames`` order) that minimise the summed squared relative
    /// error over `subset`, each configuration keeping its own ``Configuration/base`` for the rest.
    public func fittedValues(fittingOn subset: [Configuration]) throws(SluiceError) -> [Double] {
        let calibrators = try subset.map { c throws(SluiceError) in
            try RooflineCalibrator(deployment: c.deployment, fitting: fittedParameterNames, initial: c.base ?? initial, options: options)
        }
        let reference = calibrators[0]
        let fitted = reference.calibratedParameters(for: subset.flatMap(\.points))
        let objective = { (values: [Double]) -> Double in
            var sum = 0.0
            for (c, cal) in zip(subset, calibrators) {
                sum += cal.objective(cal.parameters(values, fitted), c.points) / Double(c.points.count)
            }
            return sum
        }
        return reference.search(fitted, objective)
    }

    /// `base` with the fitted parameters set to `values` (in ``fittedParameterNames`` order).
    public func withFittedValues(_ values: [Double], base: RooflineParameters) -> RooflineParameters {
        var all = base.values
        for (name, v) in zip(fittedParameterNames, values) { all[RooflineParameters.names.firstIndex(of: name)!] = v }
        var p = base
        p.values = all
        return p
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One ``RooflineParameters`` value that ``RooflineCalibrator`` fits, with its bounds and the change of variables
/// that lets an unconstrained minimiser (``NelderMead``) respect them.
///
/// Bounds (SIMULATION.md §2.7): efficiencies in (``RooflineCalibrator/minimumEfficiency``, 1] as
/// `lo + (1 − lo)·sin²u`; overheads ≥ 0 as `scale·u²`; `gemmOverlapLoss` in [0, 1] as `sin²u`. The squares reach
/// their bounds exactly, so a fit can land on one (and ``RooflineCalibrator`` reports it).
struct CalibratedParameter: Sendable, Hashable {
    /// How a parameter is bounded.
    enum Kind: Sendable, Hashable {
        /// A fraction of a peak rate, in (0.05, 1].
        case efficiency
        /// A duration in seconds, ≥ 0.
        case overhead
        /// A share in [0, 1].
        case fraction
    }

    /// Name, one of ``RooflineParameters/names``.
    let name: String
    /// Position in ``RooflineParameters/values``.
    let index: Int
    /// How it is bounded.
    let kind: Kind
    /// Typical size of an overhead, seconds (`u = 1` maps to it); unused for the other kinds.
    let scale: Double

    /// Grid levels for the coarse search, as values (not transformed), three or two per parameter.
    static let gridLevels: [Kind: (three: [Double], two: [Double])] = [
        .efficiency: ([0.3, 0.6, 0.9], [0.4, 0.8]),
        .fraction: ([0.1, 0.5, 0.9], [0.2, 0.8]),
        .overhead: ([0, 0.05, 0.3], [0.02, 0.2]),  // × scale
    ]

    /// Initial simplex step in the transformed variable (radians for the sin² maps, √(value/scale) for overheads).
    static let simplexStep = 0.25

    /// The bounded kind of each parameter name.
    static func kind(of name: String) -> Kind? {
        switch name {
        case "computeEfficiency", "weightStreamEfficiency", "attentionEfficiency", "kvBandwidthEfficiency",
            "linkEfficiency":
            return .efficiency
        case "allReduceLatencySeconds", "stepOverheadSeconds", "perSequenceOverheadSeconds", "perLayerOverheadSeconds",
            "decodeAttentionSaturationItems", "allReducePerPeerLatencySeconds":
            return .overhead
        case "gemmOverlapLoss", "fp8AttentionShare":
            return .fraction
        default:
            return nil
        }
    }

    /// Lowest and highest allowed value.
    var bounds: ClosedRange<Double> {
        switch kind {
        case .efficiency: return RooflineCalibrator.minimumEfficiency...1
        case .overhead: return 0...Double.greatestFiniteMagnitude
        case .fraction: return 0...1
        }
    }

    /// The parameter value for the unconstrained variable `u`.
    func value(_ u: Double) -> Double {
        switch kind {
        case .efficiency:
            let lo = RooflineCalibrator.minimumEfficiency
            let s = sin(u)
            return lo + (1 - lo) * s * s
        case .overhead:
            return scale * u * u
        case .fraction:
            let s = sin(u)
            return s * s
        }
    }

    /// The unconstrained variable for `value` (clamped into the bounds first).
    func unconstrained(_ value: Double) -> Double {
        let v = min(max(value, bounds.lowerBound), bounds.upperBound)
        switch kind {
        case .efficiency:
            let lo = RooflineCalibrator.minimumEfficiency
            return asin(((v - lo) / (1 - lo)).squareRoot())
        case .overhead:
            return scale > 0 ? (v / scale).squareRoot() : 0
        case .fraction:
            return asin(v.squareRoot())
        }
    }

    /// The grid values to try for this parameter.
    func levels(three: Bool) -> [Double] {
        guard let pair = Self.gridLevels[kind] else { return [] }
        let raw = three ? pair.three : pair.two
        return kind == .overhead ? raw.map { $0 * scale } : raw
    }

    /// Whether `value` sits on a bound (within `tolerance`, relative to the parameter's range or scale).
    func isAtBound(_ value: Double, tolerance: Double) -> Bool {
        switch kind {
        case .efficiency, .fraction:
            let width = bounds.upperBound - bounds.lowerBound
            return abs(value - bounds.lowerBound) <= tolerance * width
                || abs(value - bounds.upperBound) <= tolerance * width
        case .overhead:
            return value <= tolerance * scale
        }
    }
}

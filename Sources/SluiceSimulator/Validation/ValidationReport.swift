public import SluiceCore

/// Error statistics of one metric over measured/simulated pairs, as fractions (0.05 = 5 %).
///
/// APE is |simulated − measured| / measured; the signed error is (simulated − measured) / measured (negative: the
/// simulator is too fast).
public struct ValidationErrors: Sendable, Hashable, Codable {
    public var medianAPE: Double
    public var p90APE: Double
    public var meanAPE: Double
    public var medianSignedError: Double

    /// Statistics of `pairs` (measured, simulated); pairs with a non-positive measurement are skipped.
    public init(_ pairs: [(measured: Double, simulated: Double)]) {
        let signed = pairs.filter { $0.measured > 0 && $0.simulated.isFinite }.map { ($0.simulated - $0.measured) / $0.measured }
        let absolute = signed.map(abs)
        medianAPE = Self.quantile(absolute, 0.5)
        p90APE = Self.quantile(absolute, 0.9)
        meanAPE = absolute.isEmpty ? 0 : absolute.reduce(0, +) / Double(absolute.count)
        medianSignedError = Self.quantile(signed, 0.5)
    }

    /// Linear-interpolated quantile (0 for an empty sample).
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        let x = q * Double(s.count - 1)
        let lo = Int(x.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (x - Double(lo))
    }
}

/// One measured result beside what the simulator made of it, seconds.
public struct ValidationPair: Sendable, Hashable, Codable {
    public var label: String
    public var group: String
    public var measuredTTFT: Double
    public var simulatedTTFT: Double
    public var measuredTPOT: Double
    public var simulatedTPOT: Double
    public var measuredE2E: Double
    public var simulatedE2E: Double

    public init(label: String, group: String, measuredTTFT: Double, simulatedTTFT: Double, measuredTPOT: Double, simulatedTPOT: Double,
                measuredE2E: Double, simulatedE2E: Double) {
        self.label = label
        self.group = group
        self.measuredTTFT = measuredTTFT
        self.simulatedTTFT = simulatedTTFT
        self.measuredTPOT = measuredTPOT
        self.simulatedTPOT = simulatedTPOT
        self.measuredE2E = measuredE2E
        self.simulatedE2E = simulatedE2E
    }
}

/// The errors of one configuration group (same model, GPU, TP, precision and engine), with medians of the measured
/// and simulated values side by side.
public struct ValidationGroup: Sendable, Hashable, Codable {
    public var name: String
    public var rows: Int
    public var ttft: ValidationErrors
    public var tpot: ValidationErrors
    public var e2e: ValidationErrors
    public var measuredMedianTTFTSeconds: Double
    public var simulatedMedianTTFTSeconds: Double
    public var measuredMedianTPOTSeconds: Double
    public var simulatedMedianTPOTSeconds: Double
    /// The step model and calibration the group ran on.
    public var stepModel: String
}

/// `sluice validate`'s result: overall errors per metric and the same per configuration group. Its JSON form is
/// `{"rows": N, "ttft": {...}, "tpot": {...}, "e2e": {...}, "groups": [...]}`.
public struct ValidationReport: Sendable, Hashable, Codable {
    public var rows: Int
    public var ttft: ValidationErrors
    public var tpot: ValidationErrors
    public var e2e: ValidationErrors
    public var groups: [ValidationGroup]
    /// Every pair, for plots and for finding the worst rows.
    public var pairs: [ValidationPair]

    /// Builds the report from pairs; `stepModels` names each group's step model.
    public init(pairs: [ValidationPair], stepModels: [String: String]) {
        self.pairs = pairs
        rows = pairs.count
        ttft = ValidationErrors(pairs.map { ($0.measuredTTFT, $0.simulatedTTFT) })
        tpot = ValidationErrors(pairs.map { ($0.measuredTPOT, $0.simulatedTPOT) })
        e2e = ValidationErrors(pairs.map { ($0.measuredE2E, $0.simulatedE2E) })
        var order: [String] = []
        for p in pairs where !order.contains(p.group) { order.append(p.group) }
        groups = order.map { name in
            let g = pairs.filter { $0.group == name }
            return ValidationGroup(
                name: name, rows: g.count,
                ttft: ValidationErrors(g.map { ($0.measuredTTFT, $0.simulatedTTFT) }),
                tpot: ValidationErrors(g.map { ($0.measuredTPOT, $0.simulatedTPOT) }),
                e2e: ValidationErrors(g.map { ($0.measuredE2E, $0.simulatedE2E) }),
                measuredMedianTTFTSeconds: ValidationErrors.quantile(g.map(\.measuredTTFT), 0.5),
                simulatedMedianTTFTSeconds: ValidationErrors.quantile(g.map(\.simulatedTTFT), 0.5),
                measuredMedianTPOTSeconds: ValidationErrors.quantile(g.map(\.measuredTPOT), 0.5),
                simulatedMedianTPOTSeconds: ValidationErrors.quantile(g.map(\.simulatedTPOT), 0.5),
                stepModel: stepModels[name] ?? "")
        }
    }
}

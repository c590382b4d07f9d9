/// What a replica's step-time model is and where its parameters come from, so that every summary can say whether a
/// run's latencies rest on a calibration or on datasheet defaults.
///
/// Invariant: `calibration == nil` exactly when the model runs on uncalibrated defaults.
public struct StepModelProvenance: Sendable, Hashable, Codable {
    /// The deployment it describes (`model@gpuxTP`; `nil` when not known).
    public var deployment: String?
    /// The model's kind (`roofline`, `table`).
    public var model: String
    /// The calibration in force: its file name or `model@gpu` key (`nil`: uncalibrated).
    public var calibration: String?
    /// How the calibration relates to the deployment: `exact` (same model, GPU and TP), or what was carried over
    /// (e.g. `same GPU, fitted on llama-3.1-8b`).
    public var match: String?
    /// The calibration's leave-one-configuration-out error as its file records it (e.g. `TPOT median APE 4.1 %`).
    public var heldOutError: String?

    /// Creates a provenance record.
    public init(deployment: String? = nil, model: String, calibration: String? = nil, match: String? = nil, heldOutError: String? = nil) {
        self.deployment = deployment
        self.model = model
        self.calibration = calibration
        self.match = match
        self.heldOutError = heldOutError
    }

    /// Datasheet defaults: no calibration applies.
    public static let uncalibratedRoofline = StepModelProvenance(model: "roofline")

    /// Whether no calibration applies.
    public var isUncalibrated: Bool { calibration == nil }

    /// One line for a summary: `roofline, calibrated by X (exact; held-out …)` or `roofline, UNCALIBRATED …`.
    public var summaryLine: String {
        let prefix = deployment.map { "\($0): " } ?? ""
        guard let calibration else {
            return prefix + "\(model), UNCALIBRATED (datasheet defaults: latencies may be off by 15-50 %; see `sluice calibrate`)"
        }
        var parts: [String] = []
        if let match { parts.append(match) }
        if let heldOutError { parts.append("held-out \(heldOutError)") }
        return prefix + "\(model), calibrated by \(calibration)" + (parts.isEmpty ? "" : " (\(parts.joined(separator: "; ")))")
    }
}

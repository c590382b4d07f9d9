/// The output-length predictors users pick by name (`--predictor NAME`).
public enum PredictorRegistry: Sendable {
    /// Names with one-line descriptions.
    public static let entries: [(name: String, summary: String)] = [
        ("online", "learns per SLO class, tenant and prompt-length bucket from completed requests (median of what it saw)"),
        ("oracle", "the true output length (upper bound)"),
        ("noisy-oracle", "the true length plus Laplace noise with --predictor-mae tokens of mean absolute error"),
    ]

    /// Registered names.
    public static var names: [String] { entries.map(\.name) }

    /// A fresh predictor. - Throws: ``SluiceError`` listing the valid names or for a negative MAE.
    public static func make(named name: String, meanAbsoluteErrorTokens: Double, seed: UInt64) throws(SluiceError) -> any OutputLengthPredictor {
        switch name.lowercased() {
        case "online": return OnlineQuantilePredictor()
        case "oracle": return OraclePredictor()
        case "noisy-oracle":
            guard meanAbsoluteErrorTokens >= 0 && meanAbsoluteErrorTokens.isFinite else {
                throw .invalidValue(field: "--predictor-mae", value: "\(meanAbsoluteErrorTokens)", allowed: "a non-negative number of tokens")
            }
            return NoisyOraclePredictor(meanAbsoluteErrorTokens: meanAbsoluteErrorTokens, seed: seed)
        default: throw .unknownName(kind: "predictor", name: name, valid: names)
        }
    }
}

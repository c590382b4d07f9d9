#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a predictor is told about a request: everything a real system knows, and the true length only when the
/// predictor is an explicit oracle (``OutputLengthPredictor/isOracle``).
public struct PredictionQuery: Sendable, Hashable {
    /// Request id.
    public var requestID: Int
    /// Prompt length, tokens.
    public var promptTokens: Int
    /// Tokens generated so far (re-predictions during decoding condition on it).
    public var generatedTokens: Int
    /// SLO class index.
    public var sloClass: Int
    /// A stable hash of the tenant (0 when unknown).
    public var tenantKey: UInt64
    /// The true output length: set only for oracle predictors.
    public var trueOutputTokens: Int?

    /// Creates a query.
    public init(requestID: Int, promptTokens: Int, generatedTokens: Int = 0, sloClass: Int = 0, tenantKey: UInt64 = 0, trueOutputTokens: Int? = nil) {
        self.requestID = requestID
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.sloClass = sloClass
        self.tenantKey = tenantKey
        self.trueOutputTokens = trueOutputTokens
    }
}

/// Predicts a request's total output length, for length-aware schedulers (ISRTF, learning-to-rank, TRAIL).
///
/// Invariants: predictions are at least `generatedTokens + 1` (a live request has at least one token to go) and
/// deterministic for a seed. Only predictors with `isOracle == true` receive the true length.
public protocol OutputLengthPredictor: Sendable {
    /// Registered name.
    var name: String { get }
    /// Whether the predictor must be given the true length (an oracle, for upper-bound experiments).
    var isOracle: Bool { get }
    /// Expected total output tokens of the request.
    mutating func predictOutputTokens(_ query: PredictionQuery) -> Double
    /// Learns from a finished request.
    mutating func observe(_ query: PredictionQuery, actualOutputTokens: Int)
}

extension OutputLengthPredictor {
    /// Default: nothing to learn.
    public mutating func observe(_ query: PredictionQuery, actualOutputTokens: Int) {}
}

/// The true length (an upper bound on what prediction can do).
public struct OraclePredictor: OutputLengthPredictor {
    /// Creates the oracle.
    public init() {}
    /// `oracle`.
    public var name: String { "oracle" }
    /// It is one.
    public var isOracle: Bool { true }
    /// The true length.
    public func predictOutputTokens(_ query: PredictionQuery) -> Double {
        Double(max(query.trueOutputTokens ?? query.generatedTokens + 1, query.generatedTokens + 1))
    }
}

/// The true length plus Laplace noise with a given mean absolute error (TRAIL's `ORACLE_MAE` experiments): a knob
/// for how good a predictor must be. The noise of a request is fixed by the seed and its id, so re-predictions agree.
public struct NoisyOraclePredictor: OutputLengthPredictor {
    /// Mean absolute error of the noise, tokens.
    public let meanAbsoluteErrorTokens: Double
    private let seed: UInt64

    /// Creates the predictor.
    public init(meanAbsoluteErrorTokens: Double, seed: UInt64) {
        self.meanAbsoluteErrorTokens = meanAbsoluteErrorTokens
        self.seed = seed
    }

    /// `noisy-oracle`.
    public var name: String { "noisy-oracle" }
    /// It needs the true length.
    public var isOracle: Bool { true }

    /// The true length plus Laplace(0, MAE) noise, at least one token beyond what is generated.
    public func predictOutputTokens(_ query: PredictionQuery) -> Double {
        var rng = SplitMix64.stream(seed: seed, label: UInt64(truncatingIfNeeded: query.requestID) &+ 0x6E6F_6973)
        let u = rng.nextUnit() - 0.5
        let magnitude = -meanAbsoluteErrorTokens * logOneMinus(2 * abs(u))
        let noise = u < 0 ? -magnitude : magnitude
        let truth = Double(query.trueOutputTokens ?? query.generatedTokens + 1)
        return max(truth + noise, Double(query.generatedTokens + 1))
    }
}

/// log(1 − x) for x in [0, 1), clamped away from −∞.
@inline(__always)
func logOneMinus(_ x: Double) -> Double { log(max(1 - x, 1e-12)) }

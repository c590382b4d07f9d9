#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Learns output lengths online from completed requests, per (SLO class, tenant, prompt-length bucket), and predicts a
/// quantile of the lengths seen, conditioned on what the request has already generated.
///
/// Each bucket keeps a histogram of output lengths on log-spaced bins (`binsPerOctave` per doubling), so memory is
/// constant per bucket. A prediction uses the most specific level with at least `minimumSamples` observations:
/// (class, tenant, prompt bucket), then (class, tenant), then all requests, then `priorOutputTokens`. Conditioning on
/// `generated` keeps only the mass above it, so re-predictions during decoding estimate the remaining length
/// (the iterative refinement of ELIS, without a language model).
public struct OnlineQuantilePredictor: OutputLengthPredictor {
    /// The quantile predicted (0.5 = median).
    public let quantile: Double
    /// Observations a level needs before it is trusted.
    public let minimumSamples: Int
    /// Prediction before any data, tokens.
    public let priorOutputTokens: Double
    /// Histogram resolution.
    public static let binsPerOctave = 4.0
    /// Bins per histogram (covers lengths up to 2^(bins/binsPerOctave)).
    public static let binCount = 96

    private var histograms: [UInt64: [UInt32]] = [:]
    private var totals: [UInt64: Int] = [:]

    /// Creates the predictor.
    public init(quantile: Double = 0.5, minimumSamples: Int = 20, priorOutputTokens: Double = 256) {
        self.quantile = quantile
        self.minimumSamples = minimumSamples
        self.priorOutputTokens = priorOutputTokens
    }

    /// `online`.
    public var name: String { "online" }
    /// Not an oracle.
    public var isOracle: Bool { false }

    /// The quantile of lengths above `generatedTokens` at the most specific trusted level.
    public mutating func predictOutputTokens(_ q: PredictionQuery) -> Double {
        for key in Self.keys(q) {
            guard let h = histograms[key], (totals[key] ?? 0) >= minimumSamples else { continue }
            if let v = Self.conditionalQuantile(h, above: q.generatedTokens, quantile: quantile) {
                return max(v, Double(q.generatedTokens + 1))
            }
        }
        return max(priorOutputTokens, Double(q.generatedTokens + 1))
    }

    /// Adds a finished request's length to every level.
    public mutating func observe(_ q: PredictionQuery, actualOutputTokens: Int) {
        let bin = Self.bin(of: actualOutputTokens)
        for key in Self.keys(q) {
            histograms[key, default: Array(repeating: 0, count: Self.binCount)][bin] += 1
            totals[key, default: 0] += 1
        }
    }

    /// Bucket keys from most to least specific.
    static func keys(_ q: PredictionQuery) -> [UInt64] {
        let promptBucket = UInt64(max(0, Int(log2(Double(max(q.promptTokens, 1))))))
        let cls = UInt64(truncatingIfNeeded: q.sloClass)
        let exact = (cls &* 0x9E37_79B9_7F4A_7C15) ^ (q.tenantKey &* 0xC2B2_AE3D_27D4_EB4F) ^ (promptBucket &+ 1) &* 0x1656_67B1_9E37_79F9
        let tenant = (cls &* 0x9E37_79B9_7F4A_7C15) ^ (q.tenantKey &* 0xC2B2_AE3D_27D4_EB4F) ^ 0x2545_F491_4F6C_DD1D
        return [exact, tenant, 0]
    }

    static func bin(of tokens: Int) -> Int {
        min(Int(log2(Double(max(tokens, 1))) * binsPerOctave), binCount - 1)
    }

    static func binUpperBound(_ b: Int) -> Double { pow(2, Double(b + 1) / binsPerOctave) }
    static func binMidpoint(_ b: Int) -> Double { pow(2, (Double(b) + 0.5) / binsPerOctave) }

    static func conditionalQuantile(_ h: [UInt32], above generated: Int, quantile: Double) -> Double? {
        let first = bin(of: generated + 1)
        var mass = 0
        for b in first..<h.count { mass += Int(h[b]) }
        guard mass > 0 else { return nil }
        let target = quantile * Double(mass)
        var running = 0
        for b in first..<h.count {
            running += Int(h[b])
            if Double(running) >= target { return binMidpoint(b) }
        }
        return binMidpoint(h.count - 1)
    }
}

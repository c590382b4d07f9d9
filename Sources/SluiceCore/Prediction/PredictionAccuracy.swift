/// How good a predictor was: mean absolute error of the prediction made at arrival, and Spearman's rank correlation
/// between predicted and true lengths over a uniform reservoir sample of finished requests (constant memory).
public struct PredictionAccuracy: Sendable {
    /// Requests scored.
    public private(set) var count = 0
    private var absoluteErrorSum = 0.0
    private var sample: [(predicted: Double, actual: Double)] = []
    private var rng: SplitMix64
    /// Pairs kept for the rank correlation.
    public static let reservoirSize = 4096

    /// Creates an empty record.
    public init(seed: UInt64) { rng = SplitMix64.stream(seed: seed, label: 0x6163_6375) }

    /// Scores one finished request.
    public mutating func record(predicted: Double, actual: Int) {
        count += 1
        absoluteErrorSum += abs(predicted - Double(actual))
        if sample.count < Self.reservoirSize {
            sample.append((predicted, Double(actual)))
        } else {
            let j = Int(rng.next() % UInt64(count))
            if j < Self.reservoirSize { sample[j] = (predicted, Double(actual)) }
        }
    }

    /// Mean absolute error, tokens.
    public var meanAbsoluteErrorTokens: Double { count == 0 ? 0 : absoluteErrorSum / Double(count) }

    /// Spearman's rank correlation of the sample (average ranks for ties); 0 with fewer than 2 pairs.
    public var rankCorrelation: Double {
        guard sample.count > 1 else { return 0 }
        func ranks(_ v: [Double]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = Array(repeating: 0.0, count: v.count)
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
                let avg = Double(i + j) / 2 + 1
                for k in i...j { r[order[k]] = avg }
                i = j + 1
            }
            return r
        }
        let a = ranks(sample.map(\.predicted))
        let b = ranks(sample.map(\.actual))
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n
        let mb = b.reduce(0, +) / n
        var cov = 0.0
        var va = 0.0
        var vb = 0.0
        for i in a.indices {
            cov += (a[i] - ma) * (b[i] - mb)
            va += (a[i] - ma) * (a[i] - ma)
            vb += (b[i] - mb) * (b[i] - mb)
        }
        return va > 0 && vb > 0 ? cov / (va * vb).squareRoot() : 0
    }
}

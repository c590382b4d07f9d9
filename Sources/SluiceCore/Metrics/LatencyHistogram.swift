import Histogram

/// A streaming latency distribution: exact count, mean and maximum, percentiles from an HdrHistogram
/// (microsecond resolution, three significant digits, so percentiles are within 0.1%).
///
/// Memory is constant in the number of samples. Runs of equal values (every decode of one iteration sees the
/// same gap) are folded into one `record(_:count:)` call, so recording costs O(1) amortised with no allocation.
public struct LatencyHistogram: Sendable {
    private var histogram: Histogram<UInt64>
    private var pendingMicros: UInt64 = 0
    private var pendingCount: UInt64 = 0
    /// Samples recorded.
    public private(set) var count: UInt64 = 0
    private var sumSeconds: Double = 0
    /// Largest sample, seconds (exact).
    public private(set) var maxSeconds: Double = 0

    /// Largest value tracked before the histogram grows: one day in microseconds.
    public static let initialHighestTrackableMicros: UInt64 = 86_400_000_000

    /// An empty distribution.
    public init() {
        histogram = Histogram(highestTrackableValue: Self.initialHighestTrackableMicros, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
    }

    /// Records `count` samples of `seconds` (negative values count as 0).
    public mutating func record(_ seconds: Double, count n: UInt64 = 1) {
        let s = max(seconds, 0)
        count += n
        sumSeconds += s * Double(n)
        if s > maxSeconds { maxSeconds = s }
        let micros = UInt64((s * 1e6).rounded())
        if micros == pendingMicros && pendingCount > 0 {
            pendingCount += n
        } else {
            flush()
            pendingMicros = micros
            pendingCount = n
        }
    }

    private mutating func flush() {
        if pendingCount > 0 { _ = histogram.record(pendingMicros, count: pendingCount) }
        pendingCount = 0
    }

    /// Merges another distribution into this one.
    public mutating func add(_ other: LatencyHistogram) {
        var o = other
        o.flush()
        flush()
        histogram.add(o.histogram)
        count += o.count
        sumSeconds += o.sumSeconds
        maxSeconds = max(maxSeconds, o.maxSeconds)
    }

    /// Mean, seconds (0 when empty).
    public var meanSeconds: Double { count == 0 ? 0 : sumSeconds / Double(count) }

    /// The summary (mean, p50, p90, p99, max) in seconds.
    public func summary() -> LatencySummary {
        var h = self
        h.flush()
        guard count > 0 else { return LatencySummary(count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0) }
        func p(_ q: Double) -> Double { min(Double(h.histogram.valueAtPercentile(q)) / 1e6, maxSeconds) }
        return LatencySummary(count: Int(count), mean: meanSeconds, p50: p(50), p90: p(90), p99: p(99), max: maxSeconds)
    }

    /// The values at percentiles `qs` (each 0...100), seconds (one flush for all).
    public func percentiles(_ qs: [Double]) -> [Double] {
        var h = self
        h.flush()
        return qs.map { count == 0 ? 0 : min(Double(h.histogram.valueAtPercentile($0)) / 1e6, maxSeconds) }
    }

    /// The value at percentile `q` (0...100), seconds.
    public func percentile(_ q: Double) -> Double {
        var h = self
        h.flush()
        return count == 0 ? 0 : min(Double(h.histogram.valueAtPercentile(q)) / 1e6, maxSeconds)
    }
}

/// The summary of a latency distribution, seconds.
public struct LatencySummary: Sendable, Hashable, Codable {
    /// Samples.
    public var count: Int
    /// Mean.
    public var mean: Double
    /// Median.
    public var p50: Double
    /// 90th percentile.
    public var p90: Double
    /// 99th percentile.
    public var p99: Double
    /// Maximum (exact).
    public var max: Double

    /// Creates a summary.
    public init(count: Int, mean: Double, p50: Double, p90: Double, p99: Double, max: Double) {
        self.count = count
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }

    /// The statistic called `name` (`mean`, `p50`, `p90`, `p99`, `max`), if known.
    public func value(_ name: String) -> Double? {
        switch name {
        case "mean": mean
        case "p50", "median": p50
        case "p90": p90
        case "p99": p99
        case "max": max
        default: nil
        }
    }
}

import Foundation

/// How an axis maps values to positions.
public enum AxisScale: Sendable, Hashable {
    /// Equal steps for equal differences.
    case linear
    /// Equal steps for equal ratios (base 10); for latencies that span decades. Values ≤ 0 are not drawn.
    case log
}

/// Tick positions and labels for an axis: "nice" numbers (1, 2, 2.5, 5 × 10ᵏ) for linear axes (Heckbert, "Nice numbers
/// for graph labels", Graphics Gems, 1990), powers of ten (with 2 and 5 between them when the range spans few decades)
/// for log axes.
///
/// Invariants: the ticks are increasing and cover the data range: `domain` starts at or below the smallest value and
/// ends at or above the largest; every tick lies in `domain`.
public struct AxisTicks: Sendable, Hashable {
    /// Ends of the axis (the data range widened to ticks).
    public var domain: ClosedRange<Double>
    /// Tick values, increasing.
    public var values: [Double]
    /// Tick labels, one per value.
    public var labels: [String]

    /// Ticks aimed at when none is given.
    public static let defaultTargetCount = 6

    /// Ticks as computed.
    init(domain: ClosedRange<Double>, values: [Double], labels: [String]) {
        self.domain = domain
        self.values = values
        self.labels = labels
    }

    /// Ticks for data from `low` to `high` on `scale`, about `targetCount` of them.
    public init(low: Double, high: Double, scale: AxisScale, targetCount: Int = AxisTicks.defaultTargetCount) {
        switch scale {
        case .linear: self = Self.linear(low: low, high: high, targetCount: max(2, targetCount))
        case .log: self = Self.logarithmic(low: low, high: high)
        }
    }

    /// The nice number near `x`: 1, 2, 2.5, 5 or 10 times a power of ten (rounded, or the one at or above `x`).
    public static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = Foundation.floor(Foundation.log10(x))
        let power = Foundation.pow(10, exponent)
        let f = x / power
        let nice: Double
        if round {
            nice = f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10
        } else {
            nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10
        }
        return nice * power
    }

    /// Largest magnitude drawn; data beyond it is clamped (keeps every step and power of ten finite).
    public static let maxMagnitude = 1e300
    /// Smallest positive value a log axis reaches.
    public static let minLogValue = 1e-300
    /// Most ticks on an axis; a range that would need more falls back to its two ends.
    public static let maxTickCount = 60
    /// Share of the value added on both sides of a single-valued linear range.
    static let singleValuePadShare = 0.1
    /// Relative tolerance when comparing tick positions.
    static let tolerance = 1e-9

    static func clamp(_ x: Double) -> Double { min(max(x, -maxMagnitude), maxMagnitude) }

    static func linear(low: Double, high: Double, targetCount: Int) -> AxisTicks {
        var lo = low.isFinite ? clamp(low) : 0, hi = high.isFinite ? clamp(high) : 1
        if lo > hi { swap(&lo, &hi) }
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) * singleValuePadShare
            lo -= pad
            hi += pad
        }
        let step = niceNumber(niceNumber(hi - lo, round: false) / Double(targetCount - 1), round: true)
        let first = Foundation.floor(lo / step) * step
        let last = Foundation.ceil(hi / step) * step
        // Degenerate arithmetic (subnormal ranges, steps lost to rounding): the two ends alone.
        guard step > 0, step.isFinite, first.isFinite, last.isFinite, last > first, (last - first) / step <= Double(maxTickCount) else {
            let ends = lo < hi ? [lo, hi] : [lo, lo + 1]
            return AxisTicks(domain: ends[0]...ends[1], values: ends, labels: ends.map { String(format: "%.6g", $0) })
        }
        var values: [Double] = []
        var k = 0
        while values.count <= maxTickCount {
            let v = first + Double(k) * step
            if v > last + step * tolerance { break }
            values.append(abs(v) < step * tolerance ? 0 : v)
            k += 1
        }
        return AxisTicks(domain: first...last, values: values, labels: values.map { format($0, step: step) })
    }

    static func logarithmic(low: Double, high: Double) -> AxisTicks {
        var lo = low > 0 && low.isFinite ? min(max(low, minLogValue), maxMagnitude) : 1e-3
        var hi = high > 0 && high.isFinite ? min(max(high, minLogValue), maxMagnitude) : lo * 10
        if lo > hi { swap(&lo, &hi) }
        let a = Int(Foundation.floor(Foundation.log10(lo) + tolerance))
        var b = Int(Foundation.ceil(Foundation.log10(hi) - tolerance))
        if b <= a { b = a + 1 }
        let decades = b - a
        let multipliers: [Double] = decades <= 2 ? [1, 2, 5] : [1]
        // Many decades: every k-th one, so the axis keeps at most maxTickCount ticks.
        let every = max(1, (decades + maxTickCount - 1) / maxTickCount)
        var values: [Double] = []
        for e in stride(from: a, through: b, by: every) {
            for m in multipliers {
                let v = m * Foundation.pow(10, Double(e))
                if e == b && m > 1 { continue }
                values.append(v)
            }
        }
        let domain = Foundation.pow(10, Double(a))...Foundation.pow(10, Double(b))
        return AxisTicks(domain: domain, values: values, labels: values.map { format($0, step: $0) })
    }

    /// A short label: `0`, `0.25`, `1.5`, `20`, `1k`, `2.5M`, `1e-4`, `2.5e-5`.
    public static func format(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e15 || a < 1e-4 {
            // Scientific: as many mantissa digits as the step needs (2.5e-5 and 7.5e-5 stay apart).
            let exponent = Foundation.floor(Foundation.log10(a))
            let digits = min(decimals(abs(step) / Foundation.pow(10, exponent)), maxDecimals)
            return String(format: "%.\(digits)e", v).replacingOccurrences(of: "e+", with: "e").replacingOccurrences(of: "e0", with: "e")
                .replacingOccurrences(of: "e-0", with: "e-")
        }
        for (limit, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where a >= limit && abs(step) >= limit / 10 {
            return trim(v / limit, decimals(step / limit)) + suffix
        }
        return trim(v, decimals(step))
    }

    /// Most decimals a label shows.
    static let maxDecimals = 15

    /// Decimals needed to tell ticks `step` apart (0 for whole steps): enough for the step's leading digit, one more
    /// for a 2.5 × 10ᵏ step.
    static func decimals(_ step: Double) -> Int {
        let s = abs(step)
        guard s > 0, s.isFinite else { return 0 }
        if s >= 1 { return s.truncatingRemainder(dividingBy: 1) == 0 ? 0 : 1 }
        var d = max(0, Int(Foundation.ceil(-Foundation.log10(s) - tolerance)))
        let scaled = s * Foundation.pow(10, Double(d))
        if abs(scaled - scaled.rounded()) > tolerance * max(1, scaled) { d += 1 }
        return min(d, maxDecimals)
    }

    static func trim(_ v: Double, _ digits: Int) -> String {
        var s = String(format: "%.\(digits)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }
}

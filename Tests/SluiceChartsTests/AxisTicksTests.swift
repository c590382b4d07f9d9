import SluiceCharts
import Testing

/// Axis ticks: nice numbers, covering the data, readable labels, log decades.
struct AxisTicksTests {
    @Test(arguments: [(0.0, 1.0), (0.0, 97.0), (3.2, 8.9), (-4.0, 17.0), (0.001, 0.0042), (1200.0, 98_000.0), (5.0, 5.0), (-3.0, -1.0)])
    func linearTicksAreNiceAndCoverTheData(range: (Double, Double)) {
        let t = AxisTicks(low: range.0, high: range.1, scale: .linear)
        #expect(t.domain.lowerBound <= range.0 && t.domain.upperBound >= range.1)
        #expect(t.values == t.values.sorted() && t.values.count >= 2 && t.values.count <= 12, "\(t.values)")
        #expect(t.values.first == t.domain.lowerBound && t.values.last == t.domain.upperBound)
        let steps = zip(t.values.dropFirst(), t.values).map { $0 - $1 }
        let step = steps[0]
        #expect(steps.allSatisfy { abs($0 - step) <= 1e-9 * max(1, abs(step)) }, "equal steps")
        // The step is 1, 2, 2.5 or 5 times a power of ten.
        let nice = AxisTicks.niceNumber(step, round: true)
        #expect(abs(nice - step) <= 1e-9 * step, "step \(step)")
        #expect(Set(t.labels).count == t.labels.count, "labels tell ticks apart: \(t.labels)")
    }

    @Test func niceNumbersFollowHeckbert() {
        #expect(AxisTicks.niceNumber(0.13, round: true) == 0.1)
        #expect(AxisTicks.niceNumber(0.17, round: true) == 0.2)
        #expect(AxisTicks.niceNumber(3.0, round: true) == 2.5)
        #expect(AxisTicks.niceNumber(6.0, round: true) == 5)
        #expect(AxisTicks.niceNumber(8.0, round: true) == 10)
        #expect(AxisTicks.niceNumber(2.1, round: false) == 2.5)
        #expect(AxisTicks.niceNumber(97, round: false) == 100)
    }

    @Test func logTicksAreDecadesWithTwoAndFiveWhenFew() {
        let wide = AxisTicks(low: 0.003, high: 42, scale: .log)
        #expect(wide.domain == 0.001...100)
        for (v, want) in zip(wide.values, [0.001, 0.01, 0.1, 1, 10, 100]) { #expect(abs(v / want - 1) < 1e-12, "\(v)") }
        #expect(wide.values.count == 6 && wide.labels == ["0.001", "0.01", "0.1", "1", "10", "100"])
        let narrow = AxisTicks(low: 0.02, high: 0.7, scale: .log)
        #expect(narrow.domain == 0.01...1)
        #expect(narrow.labels == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"])
        let sameDecade = AxisTicks(low: 3, high: 3, scale: .log)
        #expect(sameDecade.domain.lowerBound <= 3 && sameDecade.domain.upperBound >= 3 && sameDecade.domain.upperBound > sameDecade.domain.lowerBound)
        let nonPositive = AxisTicks(low: 0, high: -1, scale: .log)
        #expect(nonPositive.domain.lowerBound > 0, "a log axis never reaches 0")
    }

    @Test func labelsAreShort() {
        #expect(AxisTicks.format(0, step: 1) == "0")
        #expect(AxisTicks.format(2.5, step: 0.5) == "2.5")
        #expect(AxisTicks.format(0.25, step: 0.05) == "0.25")
        #expect(AxisTicks.format(20_000, step: 5_000) == "20k")
        #expect(AxisTicks.format(2_500_000, step: 500_000) == "2.5M")
        #expect(AxisTicks.format(1500, step: 100) == "1.5k")
        #expect(AxisTicks.format(1510, step: 10) == "1510", "ticks 10 apart need every digit")
        #expect(AxisTicks.format(0.00001, step: 0.00001) == "1e-5")
        #expect(AxisTicks(low: 0, high: 1, scale: .linear).labels == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    }

    @Test(arguments: [
        (0.0, 1.7e308), (1.7e308, 1.7e308), (0.0, 2e-323), (-Double.infinity, Double.infinity), (Double.nan, 1.0), (1.0, 1.0 + 1e-15),
    ])
    func extremeRangesEndWithFewTicks(range: (Double, Double)) {
        for scale in [AxisScale.linear, .log] {
            let t = AxisTicks(low: range.0, high: range.1, scale: scale)
            #expect(t.values.count >= 2 && t.values.count <= AxisTicks.maxTickCount + 1, "\(scale) \(range): \(t.values.count) ticks")
            #expect(t.domain.lowerBound.isFinite && t.domain.upperBound.isFinite && t.domain.upperBound > t.domain.lowerBound)
            #expect(t.values.allSatisfy(\.isFinite) && t.labels.count == t.values.count)
            if scale == .log { #expect(t.domain.lowerBound > 0) }
        }
    }

    @Test func tinyStepsKeepTheirLabelsApart() {
        let fine = AxisTicks(low: 1, high: 1 + 1e-7, scale: .linear)
        #expect(Set(fine.labels).count == fine.labels.count, "\(fine.labels)")
        #expect(AxisTicks.format(2.5e-5, step: 2.5e-5) == "2.5e-5" && AxisTicks.format(7.5e-5, step: 2.5e-5) == "7.5e-5")
        let small = AxisTicks(low: 0.9e-12, high: 1.1e-12, scale: .linear)
        #expect(Set(small.labels).count == small.labels.count, "\(small.labels)")
    }
}

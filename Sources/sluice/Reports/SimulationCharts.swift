import Foundation
import SluiceCharts
import SluiceCore
import SluiceSimulator

/// The charts and tables of simulation reports (`compare --html`, `capacity --html`): TTFT and TBT CDFs, SLO
/// attainment, GPU busy share and KV-cache use over time, curves against the request rate, and the summary table.
enum SimulationCharts {
    /// Log scale when the positive values span more than this ratio (latencies spanning decades).
    static let logScaleSpan = 30.0
    /// Time axes in minutes for runs longer than this, seconds.
    static let minutesAxisAfterSeconds = 600.0

    static func scale(for values: [Double]) -> AxisScale {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        guard let lo = positive.min(), let hi = positive.max() else { return .linear }
        return hi / lo > logScaleSpan ? .log : .linear
    }

    /// A CDF as a step series: `values[i]` is the `percentiles[i]`-th percentile (0…100).
    static func cdfSeries(_ label: String, values: [Double], percentiles: [Double]) -> Series {
        Series(label, points: zip(values, percentiles).map { (x: $0, y: $1 / 100) }, style: .step)
    }

    /// TTFT and TBT CDFs, one step series per run.
    /// The step model and calibration of every replica configuration, with the uncalibrated warning.
    static func addStepModels(_ runs: [SimulationSummary], to report: inout HTMLReport) {
        for line in SummaryPrinter.stepModelLines(runs) { report.paragraph(line) }
    }

    static func addDistributions(_ runs: [SimulationSummary], to report: inout HTMLReport) {
        let withData = runs.filter { $0.distributions != nil }
        guard !withData.isEmpty else { return }
        for (metric, title, values) in [
            ("TTFT", "Time to first token", { (d: RunDistributions) in d.ttftSeconds }),
            ("TBT", "Time between tokens", { (d: RunDistributions) in d.tbtSeconds }),
        ] {
            let series = withData.map { run -> Series in
                let d = run.distributions!
                return cdfSeries(run.label, values: values(d), percentiles: d.percentiles)
            }
            let all = series.flatMap(\.points).map(\.x)
            guard all.contains(where: { $0 > 0 }) else { continue }
            report.chart(LineChart(
                title: "\(title) (\(metric)) CDF", x: Axis("\(metric) (s)", scale: scale(for: all)), y: Axis("share of requests", range: 0...1),
                series: series))
        }
    }

    /// SLO attainment and cost per million output tokens, one bar per run.
    static func addAttainmentBars(_ runs: [SimulationSummary], to report: inout HTMLReport) {
        report.chart(BarChart(
            title: "SLO attainment", categories: runs.map(\.label), categoryLabel: "run", y: Axis("requests meeting their SLO (%)", range: 0...100),
            series: [("SLO attainment", runs.map { $0.sloAttainment * 100 })]))
        report.chart(BarChart(
            title: "Cost per million output tokens", categories: runs.map(\.label), categoryLabel: "run", y: Axis("USD per million output tokens"),
            series: [("cost", runs.map { $0.usdPerMillionOutputTokens })]))
    }

    /// With more than one SLO class: attainment per class (a bar per class and run) and a table of each class's
    /// targets and latencies — so a class that misses its SLO is not hidden by a well-served majority.
    static func addClassBreakdown(_ runs: [SimulationSummary], to report: inout HTMLReport) {
        let classes = Array(Set(runs.flatMap(\.perClass.keys))).sorted()
        guard classes.count > 1 else { return }
        report.chart(BarChart(
            title: "SLO attainment per SLO class", categories: runs.map(\.label), categoryLabel: "run",
            y: Axis("requests of the class meeting its SLO (%)", range: 0...100),
            series: classes.map { name in (name, runs.map { $0.perClass[name].map { $0.sloAttainment * 100 } }) }))
        report.chart(BarChart(
            title: "p99 time to first token per SLO class", categories: runs.map(\.label), categoryLabel: "run", y: Axis("TTFT p99 (s)"),
            series: classes.map { name in (name, runs.map { $0.perClass[name].map(\.ttft.p99) }) }))
        addClassCDFs(runs, classes: classes, to: &report)
        let header = ["run", "class", "targets", "requests", "rejected", "TTFT p99 ms", "TBT p99 ms", "E2E p99 ms", "SLO"]
        var rows: [[String]] = []
        for run in runs {
            for name in classes {
                guard let c = run.perClass[name] else { continue }
                rows.append([run.label, name, describe(c.targets), "\(c.requests)", "\(c.rejected)", millis(c.ttft.p99), millis(c.tbt.p99),
                             millis(c.e2e.p99), percent(c.sloAttainment)])
            }
        }
        report.table(header: header, rows: rows)
    }

    /// Tenants with budgets (`--budget`): what each spent, the peak share of a period's budget in use, and what was
    /// refused or downgraded for budget.
    static func addTenants(_ run: SimulationSummary, to report: inout HTMLReport) {
        guard let tenants = run.tenants, !tenants.isEmpty else { return }
        let names = tenants.keys.sorted()
        report.chart(BarChart(
            title: "Spend per tenant", categories: names, categoryLabel: "tenant", y: Axis("USD charged"),
            series: [("spent", names.map { tenants[$0]?.spentUSD })]))
        report.chart(BarChart(
            title: "Peak share of a period's budget in use", categories: names, categoryLabel: "tenant", y: Axis("of the budget (%)", range: 0...100),
            series: [("peak share", names.map { tenants[$0].map { $0.peakBudgetShare * 100 } })]))
        report.table(
            header: ["tenant", "spent USD", "tokens", "peak budget share", "refused for budget", "downgraded"],
            rows: names.compactMap { name in
                tenants[name].map { t in
                    [name, "$" + fixed(t.spentUSD, 4), "\(Int(t.tokens))", percent(t.peakBudgetShare), "\(t.rejectedForBudget)", "\(t.downgraded)"]
                }
            })
    }

    /// Classes drawn as CDFs of their own (the tables cover every class).
    static let maxClassCDFCharts = 4

    /// TTFT CDFs per SLO class with each class's TTFT target marked: one chart with a line per class for a single
    /// run, else a chart per class with a line per run.
    static func addClassCDFs(_ runs: [SimulationSummary], classes: [String], to report: inout HTMLReport) {
        func cdf(_ label: String, _ run: SimulationSummary, _ name: String) -> Series? {
            guard let d = run.distributions, let c = d.perClass?[name] else { return nil }
            return cdfSeries(label, values: c.ttftSeconds, percentiles: d.percentiles)
        }
        func target(_ name: String) -> Double? { runs.lazy.compactMap { $0.perClass[name]?.targets.ttftSeconds }.first }
        func chart(_ title: String, _ series: [Series], markers: [Marker]) {
            let xs = series.flatMap(\.points).map(\.x) + markers.map(\.x)
            guard xs.contains(where: { $0 > 0 }) else { return }
            report.chart(LineChart(
                title: title, x: Axis("TTFT (s)", scale: scale(for: xs)), y: Axis("share of the class's requests", range: 0...1),
                series: series, markers: markers))
        }
        if runs.count == 1 {
            let drawn = classes.compactMap { name in cdf(name, runs[0], name).map { (name: name, series: $0) } }
            let markers = drawn.enumerated().compactMap { i, d in
                target(d.name).map { Marker(x: $0, label: "\(d.name) target \(millis($0)) ms", series: i) }
            }
            chart("Time to first token CDF per SLO class", drawn.map(\.series), markers: markers)
        } else {
            for name in classes.prefix(maxClassCDFCharts) {
                let markers = target(name).map { [Marker(x: $0, label: "target \(millis($0)) ms")] } ?? []
                chart("Time to first token CDF — class \(name)", runs.compactMap { cdf($0.label, $0, name) }, markers: markers)
            }
        }
    }

    /// "TTFT ≤ 500.0 ms, E2E ≤ 60 s" (or "none"): milliseconds under a second, seconds from there.
    static func describe(_ t: SLOTargets) -> String {
        func duration(_ seconds: Double) -> String {
            seconds < 1 ? "\(millis(seconds)) ms" : "\(fixed(seconds, seconds == seconds.rounded() ? 0 : 2)) s"
        }
        let parts = [("TTFT", t.ttftSeconds), ("TBT", t.tbtSeconds), ("TPOT", t.tpotSeconds), ("E2E", t.e2eSeconds)]
            .compactMap { name, v in v.map { "\(name) ≤ \(duration($0))" } }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// GPU busy share and KV-cache use over simulated time, one line per run.
    static func addTimelines(_ runs: [SimulationSummary], to report: inout HTMLReport) {
        let withData = runs.filter { ($0.distributions?.gpuBusyShare.count ?? 0) > 1 }
        guard !withData.isEmpty else { return }
        let minutes = (withData.map(\.simulatedSeconds).max() ?? 0) > minutesAxisAfterSeconds
        let unit = minutes ? 60.0 : 1.0
        for (title, axis, values) in [
            ("GPU utilisation over time", "GPU busy (% of time, mean over the run's replicas)", { (d: RunDistributions) in d.gpuBusyShare }),
            ("KV-cache use over time", "KV blocks in use (%, mean over the run's replicas)", { (d: RunDistributions) in d.kvShare }),
        ] {
            let series = withData.map { run -> Series in
                let d = run.distributions!
                let v = values(d)
                return Series(run.label, points: v.indices.map { (x: (Double($0) + 0.5) * d.bucketSeconds / unit, y: v[$0] * 100) })
            }
            report.chart(LineChart(title: title, x: Axis(minutes ? "simulated time (min)" : "simulated time (s)"), y: Axis(axis, range: 0...100), series: series))
        }
    }

    /// The summary table of `runs`.
    static func addSummaryTable(_ runs: [SimulationSummary], to report: inout HTMLReport) {
        let header = ["run", "requests", "rejected", "TTFT p50 ms", "TTFT p99 ms", "TBT p99 ms", "E2E p99 ms", "SLO", "GPU busy", "cost USD", "$/Mtok", "preempt"]
        let rows = runs.map { s -> [String] in
            [s.label, "\(s.requests)", "\(s.rejected)", millis(s.ttft.p50), millis(s.ttft.p99), millis(s.tbt.p99), millis(s.e2e.p99),
             percent(s.sloAttainment), percent(s.gpuBusyFraction), "$" + fixed(s.costUSD, 2), fixed(s.usdPerMillionOutputTokens, 3), "\(s.preemptions)"]
        }
        report.table(header: header, rows: rows)
    }

    /// SLO attainment, p99 TTFT and cost per million tokens against the request rate, capacity marked.
    static func addRateCurves(
        _ curves: [(name: String, points: [(rate: Double, summary: SimulationSummary)])], capacity: [String: Double],
        to report: inout HTMLReport
    ) {
        let markers = curves.enumerated().compactMap { i, c in
            capacity[c.name].map { rate in
                // At the highest rate tried the capacity is only a lower bound.
                let atTop = rate >= (c.points.map(\.rate).max() ?? .infinity)
                let value = "\(atTop ? "≥ " : "")\(fixed(rate, 2)) req/s"
                return Marker(x: rate, label: curves.count > 1 ? "capacity \(c.name) \(value)" : "capacity \(value)", series: i)
            }
        }
        func series(_ value: (SimulationSummary) -> Double) -> [Series] {
            curves.map { c in Series(c.name, points: c.points.sorted { $0.rate < $1.rate }.map { (x: $0.rate, y: value($0.summary)) }) }
        }
        let x = Axis("request rate (req/s)")
        report.chart(LineChart(title: "SLO attainment against load", x: x, y: Axis("requests meeting their SLO (%)", range: 0...100),
                               series: series { $0.sloAttainment * 100 }, markers: markers))
        let p99 = series { $0.ttft.p99 }
        report.chart(LineChart(title: "p99 time to first token against load", x: x,
                               y: Axis("TTFT p99 (s)", scale: scale(for: p99.flatMap(\.points).map(\.y))), series: p99, markers: markers))
        report.chart(LineChart(title: "Cost per million output tokens against load", x: x, y: Axis("USD per million output tokens"),
                               series: series { $0.usdPerMillionOutputTokens }, markers: markers))
    }

    /// Writes `report` to `path`. - Throws: ``SluiceError`` when it cannot.
    static func write(_ report: HTMLReport, to path: String) throws {
        try writeData(Data(report.html().utf8), to: path)
    }

    /// "sluice compare …, 2026-12-01 10:00 UTC": what produced a report.
    static func subtitle(_ what: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return "\(what) · generated by sluice on \(f.string(from: Date()))"
    }
}

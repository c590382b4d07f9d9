import Foundation
import SluiceCharts
import SluiceCore
import SluiceLedger

/// The HTML report of `sluice usage --html`: cost and SLO attainment per tenant and per upstream over time, predicted
/// against actual cost, and the tables.
enum UsageHTML {
    /// Buckets of the time axis.
    static let buckets = 24
    /// Buckets of the first pass that finds where the window's data lies.
    static let probeBuckets = 48
    /// Time axes in hours for spans longer than this, seconds.
    static let hoursAxisAfterSeconds = 2 * 3600.0

    /// Reads the ledger bucket by bucket over the part of `[from, to)` that holds entries.
    static func timeline(store: any LedgerStore, from: Double, to: Double) async throws -> (starts: [Double], width: Double, reports: [UsageReport]) {
        // First pass: where the data is (a 24 h window with five minutes of traffic would otherwise draw one bar).
        let probeWidth = (to - from) / Double(probeBuckets)
        var first: Double?, last: Double?
        for b in 0..<probeBuckets {
            let start = from + Double(b) * probeWidth
            let r = try await store.usage(fromUnixSeconds: start, toUnixSeconds: start + probeWidth)
            if r.byTenant.contains(where: { $0.requests > 0 }) {
                if first == nil { first = start }
                last = start + probeWidth
            }
        }
        guard let lo = first, let hi = last else { return ([], 0, []) }
        let width = (hi - lo) / Double(buckets)
        var starts: [Double] = [], reports: [UsageReport] = []
        for b in 0..<buckets {
            let start = lo + Double(b) * width
            starts.append(start)
            reports.append(try await store.usage(fromUnixSeconds: start, toUnixSeconds: start + width))
        }
        return (starts, width, reports)
    }

    static func report(total: UsageReport, starts: [Double], width: Double, buckets reports: [UsageReport], source: String) -> HTMLReport {
        var report = HTMLReport(title: "Gateway usage", subtitle: SimulationCharts.subtitle("sluice usage"))
        let iso = ISO8601DateFormatter()
        report.section("Window")
        report.definitions([
            ("ledger", source), ("from", iso.string(from: Date(timeIntervalSince1970: total.fromUnixSeconds))),
            ("to", iso.string(from: Date(timeIntervalSince1970: total.toUnixSeconds))),
            ("requests", "\(total.byTenant.reduce(0) { $0 + $1.requests })"),
            ("cost", "$" + fixed(total.byTenant.reduce(0) { $0 + $1.costUSD }, 6)),
        ])
        let origin = starts.first ?? total.fromUnixSeconds
        let minutes = width * Double(max(1, starts.count)) <= hoursAxisAfterSeconds
        let unit = minutes ? 60.0 : 3600.0
        let x = Axis(minutes ? "minutes since \(iso.string(from: Date(timeIntervalSince1970: origin)))" : "hours since \(iso.string(from: Date(timeIntervalSince1970: origin)))")
        for (what, keyPath, rows) in [("tenant", \UsageReport.byTenant, total.byTenant), ("upstream", \UsageReport.byUpstream, total.byUpstream)] {
            report.section("Per \(what)")
            guard !rows.isEmpty else {
                report.paragraph("The ledger holds no request in this window.")
                continue
            }
            let keys = rows.map(\.key)
            if !starts.isEmpty {
                /// One point per bucket: `value` of the key's row, `empty` where the bucket has no row for it.
                func series(empty: Double, _ value: @escaping (UsageReport.Row) -> Double?) -> [Series] {
                    keys.map { key in
                        Series(key, points: zip(starts, reports).map { start, r in
                            let row = r[keyPath: keyPath].first { $0.key == key }
                            return (x: (start - origin + width / 2) / unit, y: row.flatMap(value) ?? empty)
                        })
                    }
                }
                // A quiet bucket cost nothing; it has no SLO attainment (the line breaks there).
                report.chart(LineChart(title: "Cost per \(what) over time", x: x, y: Axis("cost per \(fixed(width / 60, 1)) min (USD)"),
                                       series: series(empty: 0) { $0.costUSD }))
                report.chart(LineChart(title: "SLO attainment per \(what) over time", x: x, y: Axis("requests meeting their SLO (%)", range: 0...100),
                                       series: series(empty: .nan) { $0.sloAttainment.map { $0 * 100 } }))
            }
            report.chart(BarChart(title: "Predicted and actual cost per \(what)", categories: keys, categoryLabel: what, y: Axis("USD"),
                                  series: [("actual", rows.map(\.costUSD)), ("predicted", rows.map(\.predictedCostUSD))]))
            report.table(
                header: [what, "requests", "failed", "prompt tok", "output tok", "cost USD", "predicted USD", "pred/actual", "SLO met", "mean e2e ms"],
                rows: rows.map { r in
                    [r.key, "\(r.requests)", "\(r.failed)", "\(r.promptTokens)", "\(r.completionTokens)", "$" + fixed(r.costUSD, 6),
                     "$" + fixed(r.predictedCostUSD, 6), r.predictedOverActual.map { fixed($0, 2) } ?? "-",
                     r.sloAttainment.map { percent($0) + " of \(r.sloRequests)" } ?? "-", millis(r.meanE2ESeconds)]
                })
        }
        return report
    }
}

import ArgumentParser
import Foundation
import SluiceCore
import SluiceLedger

/// `sluice usage`: cost and SLO attainment per tenant and per upstream from the gateway's ledger, with the cost the
/// gateway predicted when it routed each request next to what it actually cost.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Report cost and SLO attainment per tenant and per upstream from the gateway's ledger.")

    @OptionGroup var store: LedgerOptions

    @Option(help: ArgumentHelp("Window start: seconds ago with a unit (90s, 30m, 24h, 7d) or seconds since 1970.", valueName: "WHEN"))
    var since = "24h"

    @Option(help: ArgumentHelp("Write the report as JSON.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report: cost and SLO attainment over time, predicted vs actual cost.", valueName: "FILE"))
    var html: String?

    /// Seconds since 1970 for `90s`/`30m`/`24h`/`7d` ago, or a plain number of seconds since 1970.
    static func parseSince(_ text: String, now: Double) throws(SluiceError) -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last, let scale = units[unit], let n = Double(text.dropLast()), n >= 0, n.isFinite { return now - n * scale }
        if let t = Double(text), t >= 0, t.isFinite { return t }
        throw .invalidValue(field: "--since", value: text, allowed: "N followed by s, m, h or d (e.g. 24h), or seconds since 1970")
    }

    func run() async throws {
        let now = Date().timeIntervalSince1970
        let from = try Self.parseSince(since, now: now)
        let store = try await store.open()
        let report = try await store.usage(fromUnixSeconds: from, toUnixSeconds: now + 1)
        var timeline: (starts: [Double], width: Double, reports: [UsageReport]) = ([], 0, [])
        if html != nil {
            do { timeline = try await UsageHTML.timeline(store: store, from: from, to: now + 1) } catch {
                await store.close()
                throw error
            }
        }
        await store.close()
        print("ledger usage since \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: from)))")
        for (title, rows) in [("tenant", report.byTenant), ("upstream", report.byUpstream)] {
            var table = TextTable([title, "requests", "failed", "prompt tok", "output tok", "cost USD", "predicted USD", "pred/actual", "SLO met", "mean e2e ms"])
            for r in rows {
                table.add([
                    r.key, "\(r.requests)", "\(r.failed)", "\(r.promptTokens)", "\(r.completionTokens)", "$" + fixed(r.costUSD, 6),
                    "$" + fixed(r.predictedCostUSD, 6), r.predictedOverActual.map { fixed($0, 2) } ?? "-",
                    r.sloAttainment.map { percent($0) + " of \(r.sloRequests)" } ?? "-", millis(r.meanE2ESeconds),
                ])
            }
            print("")
            print(table.render(), terminator: "")
        }
        if let html {
            let page = UsageHTML.report(total: report, starts: timeline.starts, width: timeline.width, buckets: timeline.reports, source: self.store.describe())
            try SimulationCharts.write(page, to: html)
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try encoder.encode(report).write(to: URL(fileURLWithPath: json)) } catch {
                throw SluiceError.io(path: json, reason: "cannot write: \(error.localizedDescription)")
            }
        }
    }
}

import Foundation
import Testing

/// `sluice simulate --html`: one run's report, with per-class and per-tenant figures when the run has them.
struct SimulateReportTests {
    @Test func aRunWithClassesAndBudgetsShowsEachClassAndTenant() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let html = dir.appendingPathComponent("sim.html")
        let r = try CLIRunner.run([
            "simulate", "--requests", "600", "--no-progress", "--slo", "interactive:0.3:ttft=0.3,tbt=0.1", "--slo", "batch:0.7:e2e=60",
            "--budget", "batch:tokens=20000,period=60", "--html", html.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        for title in ["Time to first token (TTFT) CDF", "SLO attainment per SLO class", "Spend per tenant", "Peak share of a period&#39;s budget in use",
                      "GPU utilisation over time", "KV-cache use over time"] {
            #expect(page.contains(title), "the report has \(title)")
        }
        #expect(page.components(separatedBy: "<svg").count - 1 == 9 && page.contains("interactive target 300.0 ms"))
        #expect(page.contains("<td>interactive</td><td>TTFT ≤ 300.0 ms, TBT ≤ 100.0 ms</td>") && page.contains("<td>batch</td><td>E2E ≤ 60 s</td>"))
        // The tenant row carries what the run printed: the requests the budget refused.
        let refused = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("tenant batch:") })
        let count = try #require(refused.split(separator: ",").first { $0.contains("refused") }?.split(separator: " ").first)
        #expect(Int(count).map { $0 > 0 } == true, "a 20,000-token budget per minute refuses some of 600 requests: \(refused)")
        #expect(page.contains("<td class=\"n\">\(count)</td>"))
    }

    @Test func aPlainRunHasNoClassOrTenantSectionAndBadPathsAreErrors() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let html = dir.appendingPathComponent("plain.html")
        let r = try CLIRunner.run(["simulate", "--requests", "200", "--no-progress", "--html", html.path])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(!page.contains("SLO classes and tenants") && page.components(separatedBy: "<svg").count - 1 == 4)
        let unwritable = dir.appendingPathComponent("missing/dir/report.html").path
        let bad = try CLIRunner.run(["simulate", "--requests", "20", "--no-progress", "--html", unwritable])
        #expect(bad.status == 1 && bad.stderr.contains(unwritable), "\(bad.status) \(bad.stderr)")
    }
}

import ArgumentParser
import Foundation
import SluiceCharts
import SluiceCore
import SluiceSimulator

/// `sluice capacity`: the highest request rate at which a target holds.
struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the highest request rate at which a latency/SLO target holds, printing the curve.",
        discussion: """
            Target grammar: clauses joined by 'and'; a clause is STAT(METRIC)<=SECONDS (STAT: mean, p50, p90, p99, max; \
            METRIC: ttft, tbt, tpot, e2e, queueing; '500ms' works too), 'slo>=0.9' (SLO attainment) or 'rejected<=0'. \
            The rate is applied by time-scaling a timestamped trace, or as the Poisson/gamma rate otherwise. \
            The search sweeps up geometrically from --min-rate until the target fails, then bisects.
            """)

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("The target, e.g. 'p50(ttft)<=0.5 and p99(tbt)<=0.2'.", valueName: "EXPR"))
    var target = "p50(ttft)<=0.5 and p99(tbt)<=0.2"

    @Option(help: ArgumentHelp("Iteration scheduler (default: the --engine's policy, else vllm).", valueName: "NAME"))
    var scheduler: String?

    @Option(help: ArgumentHelp("Router.", valueName: "NAME"))
    var router = "round-robin"

    @Option(help: "First rate tried, requests/s.")
    var minRate = 1.0

    @Option(help: "Highest rate tried, requests/s.")
    var maxRate = 1000.0

    @Option(help: "Stop when the bracket is this tight (relative).")
    var tolerance = 0.02

    @Option(help: ArgumentHelp(
        "Instead of a rate search: run closed loops of these client counts (e.g. 1,2,4,8,16) and print throughput and latency per concurrency, with the target checked at each.",
        valueName: "LIST"))
    var concurrencySweep: String?

    @Option(help: ArgumentHelp("Write the curve as JSON.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report with charts (curves against load, capacity marked).", valueName: "FILE"))
    var html: String?

    @Flag(help: "Do not draw the progress bar on stderr.")
    var noProgress = false

    @Flag(help: "Write wallSeconds as 0 so that identical runs give byte-identical JSON.")
    var reproducible = false

    func run() throws {
        let parsed = try CapacityTarget(parsing: target)
        let scheduler = try fleet.schedulerName(self.scheduler)
        if let concurrencySweep {
            try ConcurrencySweep(list: concurrencySweep, target: parsed, scheduler: scheduler, router: router, json: json).run(
                workload: workload, fleet: fleet, showProgress: !noProgress, reproducible: reproducible)
            return
        }
        let search = try CapacitySearch(startRate: minRate, maxRate: maxRate, relativeTolerance: tolerance)
        let catalog = try fleet.loadCatalog()
        let runner = try ExperimentRunner(workload: workload, fleet: fleet, catalog: catalog, showProgress: !noProgress, reproducible: reproducible)
        let (capacity, points) = try search.run(target: parsed) { (rate: Double) throws(SluiceError) -> SimulationSummary in
            do {
                return try runner.run(scheduler: scheduler, router: router, rate: rate, label: "\(fixed(rate, 3)) req/s")
            } catch let e as SluiceError {
                throw e
            } catch {
                throw SluiceError.io(path: "capacity run", reason: "\(error)")
            }
        }
        print("target: \(parsed)   scheduler \(scheduler), router \(router), \(workload.describe())\n")
        var t = TextTable(["rate req/s", "meets", "TTFT p50", "TTFT p99", "TBT p99", "E2E p99", "SLO", "rej", "$/Mtok"])
        for p in points {
            let s = p.summary
            t.add([fixed(p.rate, 3), p.meetsTarget ? "yes" : "no", millis(s.ttft.p50), millis(s.ttft.p99), millis(s.tbt.p99),
                   millis(s.e2e.p99), percent(s.sloAttainment), "\(s.rejected)", fixed(s.usdPerMillionOutputTokens, 3)])
        }
        print("latencies in ms\n" + t.render())
        for line in SummaryPrinter.stepModelLines(points.map(\.summary)) { print(line) }
        if let capacity {
            print("capacity: \(fixed(capacity, 3)) requests/s")
        } else {
            print("capacity: the target fails at every rate tried (lowest \(fixed(points.first?.rate ?? minRate, 3)) requests/s)")
        }
        if let html {
            var report = HTMLReport(title: "Capacity: \(scheduler)", subtitle: SimulationCharts.subtitle("sluice capacity"))
            report.section("Configuration")
            report.definitions([
                ("target", "\(parsed)"), ("workload", workload.describe()), ("fleet", points.first.map { SummaryPrinter.describe($0.summary.deployments) } ?? ""),
                ("scheduler", scheduler), ("router", router),
                ("capacity", capacity.map { "\(fixed($0, 3)) requests/s" } ?? "the target fails at every rate tried"),
            ])
            SimulationCharts.addStepModels(points.map(\.summary), to: &report)
            report.section("Against load")
            SimulationCharts.addRateCurves([(scheduler, points.map { ($0.rate, $0.summary) })], capacity: capacity.map { [scheduler: $0] } ?? [:], to: &report)
            let sorted = points.sorted { $0.rate < $1.rate }
            report.section("Summary per rate")
            SimulationCharts.addSummaryTable(sorted.map(\.summary), to: &report)
            // Distributions and utilisation at the capacity point and the first rate past it.
            let shown = [sorted.last(where: \.meetsTarget), sorted.first(where: { !$0.meetsTarget })].compactMap { $0 }.map(\.summary)
            if !shown.isEmpty {
                report.section("At and past capacity")
                SimulationCharts.addDistributions(shown, to: &report)
                SimulationCharts.addTimelines(shown, to: &report)
                SimulationCharts.addClassBreakdown(shown, to: &report)
            }
            try SimulationCharts.write(report, to: html)
        }
        if let json {
            struct Curve: Encodable {
                let target: String
                let capacity: Double?
                let points: [Row]
            }
            struct Row: Encodable {
                let rate: Double
                let meetsTarget: Bool
                let summary: SimulationSummary
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let curve = Curve(target: target, capacity: capacity, points: points.map { Row(rate: $0.rate, meetsTarget: $0.meetsTarget, summary: $0.summary) })
            try writeData(try encoder.encode(curve), to: json)
        }
    }
}

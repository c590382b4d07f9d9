import ArgumentParser
import Foundation
import SluiceCharts
import SluiceCore
import SluiceSimulator

/// `sluice compare`: several schedulers and routers on identical arrivals.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare schedulers and routers on the same arrivals, side by side.",
        discussion: """
            With no arguments it replays the bundled Azure LLM inference trace 2023 (conversation, 19,366 requests, \
            one hour) on 1 x llama-3.1-8b@h100-sxm and compares the baseline schedulers.

            """ + SchedulerHelp.text)

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("Comma-separated schedulers.", valueName: "NAMES"))
    var schedulers = "vllm,sarathi,sarathi-spf,orca,static"

    @Option(
        help: ArgumentHelp(
            "Comma-separated request-level schedulers to compare (each with every scheduler and router); 'none' for no queue.",
            valueName: "NAMES"))
    var requestSchedulers: String?

    @Option(help: ArgumentHelp("Comma-separated routers.", valueName: "NAMES"))
    var routers = "round-robin"

    @Option(help: ArgumentHelp("Sweep these arrival rates, requests/s, comma-separated (each configuration at each rate).", valueName: "RATES"))
    var rates: String?

    @Option(help: ArgumentHelp("With --rates: the target whose capacity is marked, e.g. 'p50(ttft)<=0.5 and p99(tbt)<=0.2'.", valueName: "EXPR"))
    var target = "p50(ttft)<=0.5 and p99(tbt)<=0.2"

    @Option(help: ArgumentHelp("Write every run's summary as JSON: {\"runs\": [...]}.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report with charts (CDFs, SLO attainment, utilisation over time).", valueName: "FILE"))
    var html: String?

    @Flag(help: "Do not draw the progress bar on stderr.")
    var noProgress = false

    @Flag(help: "Write wallSeconds as 0 so that identical runs give byte-identical JSON.")
    var reproducible = false

    func run() throws {
        let schedulerNames = schedulers.split(separator: ",").map { String($0).trimmed(" ") }
        let routerNames = routers.split(separator: ",").map { String($0).trimmed(" ") }
        let entries = try schedulerNames.map { name throws(SluiceError) in try SchedulerRegistry.entry(named: name) }
        let options = try SchedulerOptions(parsing: fleet.schedulerOptions)
        for key in options.values.keys.sorted() where !entries.contains(where: { $0.optionKeys.contains(key) }) {
            throw SluiceError.invalidValue(
                field: "--scheduler-option", value: key,
                allowed: "a key of one of the compared schedulers: \(Array(Set(entries.flatMap(\.optionKeys))).sorted().joined(separator: ", "))")
        }
        for r in routerNames { _ = try RouterRegistry.make(named: r, seed: 0) }
        let catalog = try fleet.loadCatalog()
        let runner = try ExperimentRunner(workload: workload, fleet: fleet, catalog: catalog, showProgress: !noProgress, reproducible: reproducible)
        var runs: [SimulationSummary] = []
        let fronts: [String?] = try requestSchedulers.map { list in
            try list.split(separator: ",").map { name throws(SluiceError) -> String? in
                let n = String(name).trimmed(" ")
                if n.lowercased() == "none" { return nil }
                return try RequestPolicyRegistry.entry(named: n).name
            }
        } ?? [fleet.requestScheduler]
        let sweep = try rates.map(parseRateList)
        let capacityTarget = try CapacityTarget(parsing: target)
        // Per configuration: its runs at each rate of the sweep (one run, at the workload's own rate, without one).
        var curves: [(name: String, points: [(rate: Double, summary: SimulationSummary)])] = []
        for s in schedulerNames {
            for front in fronts {
                for r in routerNames {
                    let name = "\(s)\(front.map { "+\($0)" } ?? "")/\(r)"
                    guard let sweep else {
                        runs.append(try runner.run(scheduler: s, router: r, onlyOwnOptions: true, requestScheduler: .some(front)))
                        continue
                    }
                    var points: [(rate: Double, summary: SimulationSummary)] = []
                    for rate in sweep {
                        let summary = try runner.run(
                            scheduler: s, router: r, rate: rate, label: "\(name) @ \(fixed(rate, 2))", onlyOwnOptions: true, requestScheduler: .some(front))
                        runs.append(summary)
                        points.append((rate, summary))
                    }
                    curves.append((name, points))
                }
            }
        }
        // Capacity from the sweep: the highest rate below the first one that misses the target.
        var capacity: [String: Double] = [:]
        for c in curves {
            var best: Double?
            for p in c.points {
                guard capacityTarget.isMet(by: p.summary) else { break }
                best = p.rate
            }
            capacity[c.name] = best
        }
        let deployments = runs.first.map { SummaryPrinter.describe($0.deployments) } ?? ""
        print("\(workload.describe()) on \(deployments)\n")
        print(SummaryPrinter.comparison(runs), terminator: "")
        if !curves.isEmpty {
            print("\ncapacity within the sweep (target \(capacityTarget)):")
            for c in curves {
                let top = c.points.last?.rate ?? 0
                print("  \(c.name): \(capacity[c.name].map { "\($0 >= top ? "at least " : "")\(fixed($0, 2)) req/s" } ?? "misses it at the lowest rate")")
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeData(try encoder.encode(["runs": runs]), to: json)
        }
        if let html {
            var report = HTMLReport(title: "Scheduler comparison", subtitle: SimulationCharts.subtitle("sluice compare"))
            report.section("Configuration")
            var configuration = [
                ("workload", workload.describe()), ("fleet", deployments), ("schedulers", schedulerNames.joined(separator: ", ")),
                ("routers", routerNames.joined(separator: ", ")), ("request schedulers", fronts.map { $0 ?? "none" }.joined(separator: ", ")),
            ]
            if let sweep {
                configuration += [("rates", sweep.map { fixed($0, 2) }.joined(separator: ", ") + " req/s"), ("capacity target", "\(capacityTarget)")]
            }
            report.definitions(configuration)
            SimulationCharts.addStepModels(runs, to: &report)
            // With a sweep, distributions and timelines are drawn at its highest rate (where schedulers differ most).
            var shown = runs
            if let top = sweep?.last {
                report.section("Against load")
                SimulationCharts.addRateCurves(curves, capacity: capacity, to: &report)
                shown = curves.compactMap { $0.points.last?.summary }
                report.paragraph("Distributions, SLO attainment and utilisation below are at the sweep's highest rate, \(fixed(top, 2)) requests/s.")
            }
            report.section("Summary")
            SimulationCharts.addSummaryTable(runs, to: &report)
            report.section("Latency distributions")
            SimulationCharts.addDistributions(shown, to: &report)
            report.section("SLO attainment and cost")
            SimulationCharts.addAttainmentBars(shown, to: &report)
            SimulationCharts.addClassBreakdown(shown, to: &report)
            report.section("Utilisation over time")
            SimulationCharts.addTimelines(shown, to: &report)
            try SimulationCharts.write(report, to: html)
        }
    }
}

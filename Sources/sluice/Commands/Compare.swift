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
        for s in schedulerNames {
            for front in fronts {
                for r in routerNames {
                    runs.append(try runner.run(scheduler: s, router: r, onlyOwnOptions: true, requestScheduler: .some(front)))
                }
            }
        }
        let deployments = runs.first.map { SummaryPrinter.describe($0.deployments) } ?? ""
        print("\(workload.describe()) on \(deployments)\n")
        print(SummaryPrinter.comparison(runs), terminator: "")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeData(try encoder.encode(["runs": runs]), to: json)
        }
        if let html {
            var report = HTMLReport(title: "Scheduler comparison", subtitle: SimulationCharts.subtitle("sluice compare"))
            report.section("Configuration")
            report.definitions([
                ("workload", workload.describe()), ("fleet", deployments), ("schedulers", schedulerNames.joined(separator: ", ")),
                ("routers", routerNames.joined(separator: ", ")), ("request schedulers", fronts.map { $0 ?? "none" }.joined(separator: ", ")),
            ])
            report.section("Summary")
            SimulationCharts.addSummaryTable(runs, to: &report)
            report.section("Latency distributions")
            SimulationCharts.addDistributions(runs, to: &report)
            report.section("SLO attainment and cost")
            SimulationCharts.addAttainmentBars(runs, to: &report)
            report.section("Utilisation over time")
            SimulationCharts.addTimelines(runs, to: &report)
            try SimulationCharts.write(report, to: html)
        }
    }
}

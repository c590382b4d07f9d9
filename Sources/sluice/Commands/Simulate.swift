import ArgumentParser
import SluiceCharts
import SluiceCore
import SluiceSimulator

/// `sluice simulate`: one configuration on one workload.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate one fleet configuration on a workload and print its latency, SLO and cost figures.",
        discussion: SchedulerHelp.text)

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var fleet: FleetOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Iteration scheduler (see below; default: the --engine's policy, else vllm).", valueName: "NAME"))
    var scheduler: String?

    @Option(help: ArgumentHelp("Router: round-robin, random, least-outstanding, least-work.", valueName: "NAME"))
    var router = "round-robin"

    func run() throws {
        let catalog = try fleet.loadCatalog()
        let scheduler = try fleet.schedulerName(self.scheduler)
        let runner = try ExperimentRunner(workload: workload, fleet: fleet, catalog: catalog, showProgress: !output.noProgress, reproducible: output.reproducible)
        let summary = try runner.run(scheduler: scheduler, router: router, requestsCSV: output.requestsCsv)
        print(SummaryPrinter.report(summary), terminator: "")
        if let path = output.json { try writeJSON(summary, to: path) }
        if let html = output.html {
            var report = HTMLReport(title: "Simulation: \(summary.label)", subtitle: SimulationCharts.subtitle("sluice simulate"))
            report.section("Configuration")
            report.definitions([
                ("workload", workload.describe()), ("fleet", SummaryPrinter.describe(summary.deployments)),
                ("scheduler", summary.schedulers.joined(separator: ", ")), ("router", summary.router),
                ("simulated", "\(fixed(summary.simulatedSeconds, 1)) s, \(summary.completed) of \(summary.requests) requests completed"),
            ])
            SimulationCharts.addStepModels([summary], to: &report)
            report.section("Summary")
            SimulationCharts.addSummaryTable([summary], to: &report)
            report.section("Latency distributions")
            SimulationCharts.addDistributions([summary], to: &report)
            if summary.perClass.count > 1 || summary.tenants != nil {
                report.section("SLO classes and tenants")
                SimulationCharts.addClassBreakdown([summary], to: &report)
                SimulationCharts.addTenants(summary, to: &report)
            }
            report.section("Utilisation over time")
            SimulationCharts.addTimelines([summary], to: &report)
            try SimulationCharts.write(report, to: html)
        }
    }
}

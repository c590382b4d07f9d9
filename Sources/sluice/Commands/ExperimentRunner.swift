import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// Runs configurations on the same workload: each run re-reads the trace and regenerates the arrivals from the
/// same seed, so every configuration sees identical requests.
struct ExperimentRunner {
    let workload: WorkloadOptions
    let fleet: FleetOptions
    let catalog: Catalog
    let showProgress: Bool
    /// Report `wallSeconds` as 0 (byte-identical outputs for identical runs).
    let reproducible: Bool
    let sloClasses: SLOClassTable

    init(workload: WorkloadOptions, fleet: FleetOptions, catalog: Catalog, showProgress: Bool, reproducible: Bool) throws {
        self.reproducible = reproducible
        self.workload = workload
        self.fleet = fleet
        self.catalog = catalog
        self.showProgress = showProgress
        sloClasses = try workload.sloClassTable()
    }

    /// Runs one scheduler/router pair; `rate` overrides the arrival rate (capacity search).
    func run(
        scheduler: String, router: String, rate: Double? = nil, requestsCSV: String? = nil, label: String? = nil, onlyOwnOptions: Bool = false,
        requestScheduler: String?? = nil, concurrency: Int? = nil
    ) throws -> SimulationSummary {
        let specs = try fleet.replicaSpecs(scheduler: scheduler, catalog: catalog, onlyOwnOptions: onlyOwnOptions)
        var simulation = Simulation(replicas: specs, router: router, sloClasses: sloClasses, seed: workload.seed)
        simulation.closedLoop = try workload.closedLoop(clients: concurrency)
        guard fleet.prefixBlockTokens > 0 else {
            throw SluiceError.invalidValue(field: "--prefix-block-tokens", value: "\(fleet.prefixBlockTokens)", allowed: "a positive token count")
        }
        simulation.prefixBlockTokens = fleet.prefixBlockTokens
        _ = try PredictorRegistry.make(named: fleet.predictor, meanAbsoluteErrorTokens: fleet.predictorMae, seed: workload.seed)
        simulation.predictor = fleet.predictor
        simulation.predictorMeanAbsoluteErrorTokens = fleet.predictorMae
        try fleet.scaling.configure(&simulation)
        simulation.requestScheduler = requestScheduler ?? fleet.requestScheduler
        simulation.requestSchedulerOptions = try SchedulerOptions(parsing: fleet.requestOptions)
        var source = try workload.makeSource(sloClasses: sloClasses, rateOverride: rate)
        let bar = ProgressBar(label: "\(scheduler)/\(router)", total: workload.requests, enabled: showProgress)
        defer { bar.finish() }
        let result: SimulationResult
        if let path = requestsCSV {
            let writer = try RequestsCSVWriter(path: path, sloClasses: sloClasses)
            var sink = writer
            result = try simulation.run(&source, outcomes: &sink) { bar.update(done: $0, simulatedSeconds: $1) }
            try writer.close()
        } else {
            var sink = DiscardingOutcomeSink()
            result = try simulation.run(&source, outcomes: &sink) { bar.update(done: $0, simulatedSeconds: $1) }
        }
        let front = simulation.requestScheduler.map { "+\($0)" } ?? ""
        var summary = SimulationSummary(result, label: label ?? "\(scheduler)\(front)/\(router)")
        if reproducible { summary.wallSeconds = 0 }
        return summary
    }
}

/// Writes a summary (or several) as JSON.
func writeJSON(_ summary: SimulationSummary, to path: String) throws {
    try writeData(try summary.jsonData(), to: path)
}

/// Writes bytes to a file, as a ``SluiceError`` on failure.
func writeData(_ data: Data, to path: String) throws {
    do {
        try data.write(to: URL(fileURLWithPath: path))
    } catch {
        throw SluiceError.io(path: path, reason: "cannot write: \(error.localizedDescription)")
    }
}

import ArgumentParser
import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// `sluice reproduce`: one-command reproductions of papers' headline results.
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproduce a paper's headline experiment in the simulator.",
        subcommands: [ReproduceSLAI.self, ReproduceSA.self, ReproduceDeepServe.self, ReproduceCATP.self])
}

/// `sluice reproduce slai`.
struct ReproduceSLAI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slai",
        abstract: "SLAI vs Sarathi-Serve (arXiv 2508.01002): median TTFT and serving capacity on Mistral-7B / RTX 6000 Ada.",
        discussion: """
            Setup as the paper: Mistral-7B on one RTX 6000 Ada with the shipped calibration, the OpenChat ShareGPT4 \
            lengths (bundled), Poisson arrivals, 16,384 requests per load point, seed 42, a sweep of rates past \
            saturation. Sarathi-Serve (FCFS, chunk 512) against SLAI (SPF + dynamic offset) and the ablations, with a \
            homogeneous TBT SLO of 0.2 s and a heterogeneous one (5% strict users at 0.1 s, the rest 0.5 s). Capacity: \
            the highest rate with median TTFT <= 0.5 s and every class's p99 TBT within its SLO. Paper: median TTFT \
            -53%, capacity +26%.
            """)

    @Option(help: "Requests per load point.")
    var requests = 16_384

    @Option(help: "Seed of arrivals and class draws.")
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Comma-separated rates of the sweep, requests/s (default 0.4 to 2.4 by 0.2).", valueName: "RATES"))
    var rates: String?

    @Option(help: ArgumentHelp("Trace (default: the bundled ShareGPT4 stats).", valueName: "PATH"))
    var trace: String?

    @Option(help: "Model.")
    var model = "mistral-7b"

    @Option(help: "GPU.")
    var gpu = "rtx-6000-ada"

    @Option(help: ArgumentHelp("Roofline calibration: auto, none or a file.", valueName: "FILE|auto|none"))
    var calibration = "auto"

    @Option(help: ArgumentHelp("Write capacity, capacityGain, medianTTFTReduction and the curves as JSON.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report: our curves next to the paper's figures, and the configuration.", valueName: "FILE"))
    var html: String?

    func run() throws {
        guard requests > 0 else { throw SluiceError.invalidValue(field: "--requests", value: "\(requests)", allowed: "a positive count") }
        var sweep = SLAIReproduction.defaultRates
        if let rates { sweep = try parseRateList(rates) }
        guard let path = trace ?? BundledData.shareGPT4Stats?.path else {
            throw SluiceError.io(path: "sharegpt4-stats.csv", reason: "the bundled trace is missing from the package resources")
        }
        let catalog = try CatalogLoader.bundled()
        let deployment = Deployment(model: try catalog.model(named: model), gpu: try catalog.gpu(named: gpu))
        let (parameters, provenance) = try StepModelFactory.rooflineParameters(calibration: calibration, deployment: deployment)
        var experiment = try SLAIReproduction(
            tracePath: path, deployment: deployment, stepModel: RooflineStepTimeModel(deployment: deployment, parameters: parameters),
            requests: requests, seed: seed, rates: sweep)
        experiment.stepModelProvenance = provenance
        let start = Date()
        let report = try experiment.run()
        print(SLAIReportPrinter.render(report))
        print("(\(fixed(Date().timeIntervalSince(start), 1)) s)")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeData(try encoder.encode(report), to: json)
        }
        if let html { try SimulationCharts.write(ReproductionReports.slai(report), to: html) }
    }
}

/// Text form of the SLAI reproduction.
enum SLAIReportPrinter {
    static func render(_ r: SLAIReproductionReport) -> String {
        var out = "SLAI reproduction: \(r.deployment), \(r.requestsPerPoint) requests per point, seed \(r.seed), ShareGPT4 lengths, Poisson\n"
        if let m = r.stepModel { out += "step model: \(m)\n" }
        for s in r.settings {
            out += "\n== \(s.name) TBT SLO (classes: \(s.classes.joined(separator: ", ")))\n"
            var header = ["rate req/s"]
            for name in s.schedulers { header.append("\(name) TTFT p50") }
            for name in s.schedulers {
                for c in s.classes { header.append(s.classes.count > 1 ? "\(name) TBT p99 \(c)" : "\(name) TBT p99") }
            }
            var t = TextTable(header)
            let rates = (s.curves[s.schedulers[0]] ?? []).map(\.rate)
            for (i, rate) in rates.enumerated() {
                var row = [fixed(rate, 2)]
                for name in s.schedulers { row.append(millis(s.curves[name]?[i].ttftP50 ?? 0)) }
                for name in s.schedulers {
                    for c in s.classes { row.append(millis(s.curves[name]?[i].tbtP99PerClass[c] ?? 0)) }
                }
                t.add(row)
            }
            out += "latencies in ms\n" + t.render()
            var c = TextTable(["scheduler", "capacity req/s"])
            for name in s.schedulers { c.add([name, s.capacity[name].map { fixed($0, 3) } ?? "below the lowest rate"]) }
            out += "\ncapacity (median TTFT <= \(fixed(r.ttftThresholdSeconds, 2)) s and p99 TBT within SLO)\n" + c.render()
            if let g = s.capacityGain {
                out += "capacity gain \(r.candidate) over \(r.baseline): \(signedPercent(g))   (paper: \(signedPercent(r.paper.capacityGain)))\n"
            }
            if let rate = s.reductionRate, let red = s.medianTTFTReduction {
                let b = s.medianTTFTAtReductionRate[r.baseline] ?? 0
                let c = s.medianTTFTAtReductionRate[r.candidate] ?? 0
                out += "median TTFT at \(fixed(rate, 3)) req/s (where \(r.baseline) reaches \(fixed(r.ttftThresholdSeconds, 2)) s): "
                out += "\(r.baseline) \(millis(b)) ms, \(r.candidate) \(millis(c)) ms: \(signedPercent(-red))   (paper: \(signedPercent(-r.paper.medianTTFTReduction)))\n"
            }
        }
        return out
    }

    static func signedPercent(_ x: Double) -> String { (x >= 0 ? "+" : "") + fixed(x * 100, 1) + "%" }
}

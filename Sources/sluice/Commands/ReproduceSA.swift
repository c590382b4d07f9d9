import ArgumentParser
import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// `sluice reproduce sa`.
struct ReproduceSA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sa",
        abstract: "Multi-SLO request scheduling by simulated annealing (arXiv 2504.14966) against FCFS, EDF, SJF and priority.",
        discussion: """
            Two task classes with different SLO kinds: code (end-to-end SLO; lengths from the bundled Azure 2023 code \
            trace) and chat (TTFT + TPOT SLOs; lengths from the bundled ShareGPT4 stats), 50/50, Poisson arrivals at \
            increasing rates, 2 x llama-3.1-8b on A100-80G behind round-robin dispatch, vLLM engines, one request queue \
            per instance ordered by the policy. SLOs (not published by the paper): code e2e <= 4 s, chat TTFT <= 1 s and \
            TPOT <= 0.1 s. Paper: up to 5x SLO attainment and -31.6% average latency vs vLLM, about 1 ms per decision.
            """)

    @Option(help: "Requests per load point.")
    var requests = 4000

    @Option(help: "Seed of arrivals, class draws and the annealer.")
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Comma-separated rates of the sweep, requests/s over all instances.", valueName: "RATES"))
    var rates: String?

    @Option(help: "Instances behind round-robin dispatch.")
    var instances = 2

    @Option(help: "Model.")
    var model = "llama-3.1-8b"

    @Option(help: "GPU.")
    var gpu = "a100-80g"

    @Option(help: ArgumentHelp("SLO of a class, NAME:SHARE:targets; give both 'code' and 'chat' to replace the defaults.", valueName: "SPEC"))
    var slo: [String] = []

    @Option(name: .customLong("request-option"), help: ArgumentHelp("Override an sa-slo parameter, KEY=VALUE; repeatable.", valueName: "KEY=VALUE"))
    var requestOptions: [String] = []

    @Option(help: ArgumentHelp("Output-length predictor: online, oracle or noisy-oracle.", valueName: "NAME"))
    var predictor = "online"

    @Option(help: ArgumentHelp("Write sloAttainment, meanLatency, bestAttainmentRatio, meanLatencyReduction, decisionMicroseconds as JSON.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report: our curves next to the paper's figures, and the configuration.", valueName: "FILE"))
    var html: String?

    func run() throws {
        guard requests > 0 else { throw SluiceError.invalidValue(field: "--requests", value: "\(requests)", allowed: "a positive count") }
        guard instances > 0 else { throw SluiceError.invalidValue(field: "--instances", value: "\(instances)", allowed: "a positive count") }
        var sweep = SAReproduction.defaultRates
        if let rates { sweep = try parseRateList(rates) }
        guard let code = BundledData.azureCodeTrace?.path, let chat = BundledData.shareGPT4Stats?.path else {
            throw SluiceError.io(path: "Resources", reason: "the bundled traces are missing from the package resources")
        }
        _ = try PredictorRegistry.make(named: predictor, meanAbsoluteErrorTokens: 50, seed: seed)
        let catalog = try CatalogLoader.bundled()
        let deployment = Deployment(model: try catalog.model(named: model), gpu: try catalog.gpu(named: gpu))
        _ = try deployment.kvBlockCapacity()
        var experiment = try SAReproduction(
            codeTracePath: code, chatTracePath: chat, deployment: deployment, instances: instances, requests: requests, seed: seed,
            rates: sweep, sloSpecs: slo.isEmpty ? SAReproduction.defaultSLOs : slo, predictor: predictor)
        experiment.annealingOptions = try SchedulerOptions(parsing: requestOptions)
        try experiment.annealingOptions.validate(scheduler: "sa-slo", allowed: AnnealingOrderPolicy.optionKeys)
        let start = Date()
        let report = try experiment.run()
        print(SAReportPrinter.render(report))
        print("(\(fixed(Date().timeIntervalSince(start), 1)) s)")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeData(try encoder.encode(report), to: json)
        }
        if let html { try SimulationCharts.write(ReproductionReports.sa(report), to: html) }
    }
}

/// Text form of the SA reproduction.
enum SAReportPrinter {
    static func render(_ r: SAReproductionReport) -> String {
        var out = "SA multi-SLO reproduction: \(r.instances) x \(r.deployment), round-robin, vLLM engines, \(r.requestsPerPoint) requests per point, "
        out += "seed \(r.seed), predictor \(r.predictor); classes \(r.classes.joined(separator: ", "))\n\n"
        var t = TextTable(["rate req/s"] + r.policies.map { "\($0) SLO" } + r.policies.map { "\($0) mean s" })
        for (k, rate) in r.rates.enumerated() {
            var row = [fixed(rate, 1)]
            for p in r.policies { row.append(percent(r.sloAttainment[p]?[k] ?? 0)) }
            for p in r.policies { row.append(fixed(r.meanLatency[p]?[k] ?? 0, 2)) }
            t.add(row)
        }
        out += t.render()
        out += "\nbest SLO attainment ratio sa-slo / \(r.policies[0]): \(fixed(r.bestAttainmentRatio, 2))x at \(fixed(r.bestAttainmentRatioRate, 1)) req/s"
        out += "   (paper: up to \(fixed(r.paper.bestAttainmentRatio, 1))x)\n"
        if let rate = r.kneeRate, let ratio = r.attainmentRatioAtKnee {
            out += "at the knee (\(fixed(rate, 1)) req/s, the highest rate where \(r.policies[0]) meets half its SLOs): \(fixed(ratio, 2))x\n"
        }
        out += "mean latency sa-slo vs \(r.policies[0]), averaged over the rates: \(SLAIReportPrinter.signedPercent(-r.meanLatencyReduction))"
        out += "   (paper: \(SLAIReportPrinter.signedPercent(-r.paper.meanLatencyReduction)))\n"
        let d = r.decisionMicroseconds
        out += "sa-slo decision: p50 \(fixed(d.p50, 1)) us, p99 \(fixed(d.p99, 1)) us over \(d.decisions) decisions   (paper: about \(fixed(r.paper.decisionMicroseconds, 0)) us)\n"
        for (k, rate) in r.rates.enumerated() {
            guard k < r.latencyPredictorByRate.count, let l = r.latencyPredictorByRate[k] else { continue }
            out += "latency predictor at \(fixed(rate, 1)) req/s: TTFT mean abs error \(millis(l.ttftMeanAbsoluteErrorSeconds)) ms, "
            out += "E2E mean abs error \(millis(l.e2eMeanAbsoluteErrorSeconds)) ms (\(percent(l.e2eRelativeError)) of mean E2E)\n"
        }
        return out
    }
}

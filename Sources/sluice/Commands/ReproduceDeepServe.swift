import ArgumentParser
import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// `sluice reproduce deepserve`.
struct ReproduceDeepServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deepserve",
        abstract: "Elastic serving: best static fleet vs Knative-style and queue/SLO autoscalers vs the contextual bandit (DeepServe++).",
        discussion: """
            LLaMA-2-13B and Mixtral-8x7B (TP2) on A100-80G; the Azure 2023 conversation trace replayed (real bursts) and \
            ShareGPT4 lengths with gamma arrivals (CV 3); two tenants, chat (TTFT 1 s, TPOT 0.1 s) and batch (60 s end to \
            end); pools of at most --max-replicas, cold starts from local disk, least-work routing, vLLM engines. \
            Paper: P99 latency -38 to -62%, GPU utilisation +14 to +23 points, cost per request -27%.
            """)

    @Option(help: "Requests per scenario from the Azure trace (default: all 19,366).")
    var azureRequests: Int?

    @Option(help: "Requests per scenario from ShareGPT4.")
    var sharegptRequests = 8000

    @Option(help: "Mean arrival rate of the ShareGPT4 scenarios, requests/s.")
    var rate = 2.0

    @Option(help: "Coefficient of variation of the ShareGPT4 gamma inter-arrival times.")
    var cv = 3.0

    @Option(help: "Largest pool size (the static sweep goes from 1 to it).")
    var maxReplicas = 6

    @Option(help: "Seed.")
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Write p99Latency, gpuUtilization, costPerRequestUSD, sloAttainment, costLowerBoundUSD and every scenario as JSON.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report: our curves next to the paper's figures, and the configuration.", valueName: "FILE"))
    var html: String?

    func run() throws {
        guard maxReplicas >= 1, sharegptRequests >= 1, rate > 0, cv > 0, (azureRequests ?? 1) >= 1 else {
            throw SluiceError.invalidValue(
                field: "--max-replicas/--sharegpt-requests/--rate/--cv/--azure-requests", value: "\(maxReplicas)/\(sharegptRequests)/\(rate)/\(cv)",
                allowed: "positive values")
        }
        guard let azure = BundledData.azureConversationTrace?.path, let sharegpt = BundledData.shareGPT4Stats?.path else {
            throw SluiceError.io(path: "Resources", reason: "the bundled traces are missing from the package resources")
        }
        let catalog = try CatalogLoader.bundled()
        let classes = try SLOSpecParser.parse(DeepServeReproduction.defaultSLOs)
        var scenarios: [DeepServeReproduction.Scenario] = []
        for (model, tp) in [("llama-2-13b", 1), ("mixtral-8x7b", 2)] {
            let d = Deployment(model: try catalog.model(named: model), gpu: try catalog.gpu(named: "a100-80g"), tensorParallel: tp)
            _ = try d.kvBlockCapacity()
            scenarios.append(.init(
                name: "azure-conv / \(model)", deployment: d,
                requests: try DeepServeReproduction.requests(
                    tracePath: azure, limit: azureRequests, gamma: nil, maxModelLenTokens: d.maxModelLenTokens, classes: classes, seed: seed)))
            scenarios.append(.init(
                name: "sharegpt4 gamma cv \(fixed(cv, 1)) / \(model)", deployment: d,
                requests: try DeepServeReproduction.requests(
                    tracePath: sharegpt, limit: sharegptRequests, gamma: (rate, cv), maxModelLenTokens: d.maxModelLenTokens, classes: classes,
                    seed: seed)))
        }
        let experiment = DeepServeReproduction(scenarios: scenarios, sloClasses: classes, maxReplicas: maxReplicas, seed: seed)
        let start = Date()
        let report = try experiment.run()
        print(DeepServeReportPrinter.render(report))
        print("(\(fixed(Date().timeIntervalSince(start), 1)) s)")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeData(try encoder.encode(report), to: json)
        }
        if let html { try SimulationCharts.write(ReproductionReports.deepServe(report), to: html) }
    }
}

/// Text form of the DeepServe reproduction.
enum DeepServeReportPrinter {
    static func render(_ r: DeepServeReport) -> String {
        var out = "Elastic serving (DeepServe++ setting): pools of 1 to \(r.maxReplicas) replicas, best static = cheapest meeting \(percent(r.targetAttainment)) SLO\n"
        for s in r.scenarios {
            out += "\n== \(s.name) on \(s.deployment), \(s.requests) requests (best static: \(s.bestStatic))\n"
            var t = TextTable(["policy", "SLO", "P99 E2E s", "P99 TTFT s", "GPU util", "$/request", "x lower bound", "GPU-h", "cold starts", "guardrail"])
            for p in s.policies {
                guard let row = s.rows[p] else { continue }
                let ratio = s.costLowerBoundUSD > 0 ? row.costUSD / s.costLowerBoundUSD : 0
                t.add([p, percent(row.sloAttainment), fixed(row.p99LatencySeconds, 2), fixed(row.p99TTFTSeconds, 2), percent(row.gpuUtilization),
                       fixed(row.costPerRequestUSD * 1000, 3) + "m", fixed(ratio, 2), fixed(row.gpuHours, 2), "\(row.coldStarts)",
                       row.guardrailOverrides.map { "\($0) ticks" } ?? "-"])
            }
            out += t.render()
            out += "cost lower bound $\(fixed(s.costLowerBoundUSD, 3)) (the work at peak efficiency, no idle GPU)\n"
            if let bandit = s.rows["bandit"] {
                for base in ["best-static", "concurrency"] {
                    guard let b = s.rows[base] else { continue }
                    let p99 = b.p99LatencySeconds > 0 ? bandit.p99LatencySeconds / b.p99LatencySeconds - 1 : 0
                    let cost = b.costPerRequestUSD > 0 ? bandit.costPerRequestUSD / b.costPerRequestUSD - 1 : 0
                    out += "bandit vs \(base): P99 latency \(SLAIReportPrinter.signedPercent(p99)), GPU utilisation "
                    out += "\(bandit.gpuUtilization >= b.gpuUtilization ? "+" : "")\(fixed((bandit.gpuUtilization - b.gpuUtilization) * 100, 1)) points, "
                    out += "cost per request \(SLAIReportPrinter.signedPercent(cost)), SLO \(percent(bandit.sloAttainment)) vs \(percent(b.sloAttainment))\n"
                }
            }
        }
        out += "\npaper (vs state-of-the-art baselines): P99 latency -38 to -62%, GPU utilisation +14 to +23 points, cost per request up to -27%\n"
        return out
    }
}

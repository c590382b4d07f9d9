import ArgumentParser
import Foundation
import SluiceCore
import SluiceSimulator

/// Options that describe the workload: trace, arrivals, SLO classes, size and seed.
struct WorkloadOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Trace file: Azure CSV, ShareGPT/arXiv stats CSV or Mooncake-style JSONL (default: the bundled Azure 2023 conversation trace).",
        valueName: "PATH"))
    var trace: String?

    @Option(help: ArgumentHelp("Force the trace format: azure, stats or jsonl (default: detected from extension and header).", valueName: "FORMAT"))
    var traceFormat: String?

    @Option(help: ArgumentHelp(
        "Arrival process: replay (the trace's timestamps), poisson or gamma. Default: replay when the trace has timestamps, else poisson.",
        valueName: "KIND"))
    var arrival: String?

    @Option(help: ArgumentHelp(
        "Mean arrival rate. With replay, timestamps are time-scaled to this rate; with poisson/gamma it is the process rate.",
        valueName: "REQ_PER_S"))
    var rate: Double?

    @Option(help: "Coefficient of variation of gamma inter-arrival times.")
    var cv = 1.0

    @Option(help: "Use only the first N requests of the trace.")
    var requests: Int?

    @Option(help: ArgumentHelp(
        "Closed-loop load: N clients, each sending its next request (the trace's next, in order) when its previous one ends; arrival times are then ignored (as vllm bench serve --max-concurrency).",
        valueName: "N"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("With --concurrency: seconds a client waits between a response and its next request.", valueName: "S"))
    var thinkTime = 0.0

    @Option(help: ArgumentHelp("With --concurrency: how think times are drawn: fixed, or exponential with --think-time as the mean.", valueName: "fixed|exponential"))
    var thinkTimeDistribution = ThinkTimeDistribution.fixed.rawValue

    /// The closed loop from `--concurrency` and `--think-time` (`clients` overrides `--concurrency`: sweeps).
    func closedLoop(clients: Int? = nil) throws -> ClosedLoopLoad? {
        guard let n = clients ?? concurrency else {
            guard thinkTime == 0 else {
                throw SluiceError.invalidValue(field: "--think-time", value: "\(thinkTime)", allowed: "only with --concurrency")
            }
            return nil
        }
        return try ClosedLoopLoad(
            clients: n, thinkSeconds: thinkTime,
            thinkDistribution: try Validate.thinkDistribution(thinkTimeDistribution, field: "--think-time-distribution"))
    }

    @Option(help: "Seed for every random choice (arrivals, SLO class draws, random routing).")
    var seed: UInt64 = 0

    @Option(name: .customLong("slo"), help: ArgumentHelp(
        "An SLO class NAME:SHARE[:ttft=S,tbt=S,tpot=S,e2e=S]; repeatable; shares sum to 1 (see the overview above).", valueName: "SPEC"))
    var slo: [String] = []

    /// The SLO classes from `--slo` (the default class when none is given).
    func sloClassTable() throws -> SLOClassTable {
        slo.isEmpty ? SLOClassTable([]) : try SLOSpecParser.parse(slo)
    }

    /// The trace path in force.
    func tracePath() throws -> String {
        if let trace { return trace }
        guard let url = BundledData.azureConversationTrace else {
            throw SluiceError.io(path: "azure-conv-2023.csv", reason: "the bundled trace is missing from the package resources")
        }
        return url.path
    }

    /// The arrival process, with `rateOverride` (capacity search) replacing `--rate`.
    func arrivalSpec(rateOverride: Double?) throws -> ArrivalSpec? {
        let r = rateOverride ?? rate
        if let r, !(r > 0 && r.isFinite) {
            throw SluiceError.invalidValue(field: "--rate", value: "\(r)", allowed: "a positive number of requests per second")
        }
        switch arrival?.lowercased() {
        case nil: return r.map { ArrivalSpec.replayScaled(rate: $0) }  // refined by the workload for untimed traces
        case "replay": return r.map { ArrivalSpec.replayScaled(rate: $0) } ?? .replay
        case "poisson":
            guard let r else { throw SluiceError.invalidValue(field: "--rate", value: "(missing)", allowed: "a rate for --arrival poisson") }
            return .poisson(rate: r)
        case "gamma":
            guard let r else { throw SluiceError.invalidValue(field: "--rate", value: "(missing)", allowed: "a rate for --arrival gamma") }
            guard cv > 0 else { throw SluiceError.invalidValue(field: "--cv", value: "\(cv)", allowed: "a positive coefficient of variation") }
            return .gamma(rate: r, cv: cv)
        case let other?:
            throw SluiceError.unknownName(kind: "arrival process", name: other, valid: ["replay", "poisson", "gamma"])
        }
    }

    /// A fresh request stream (each configuration gets its own, with identical requests).
    func makeSource(sloClasses: SLOClassTable, rateOverride: Double?) throws -> Workload {
        if let requests, requests <= 0 {
            throw SluiceError.invalidValue(field: "--requests", value: "\(requests)", allowed: "a positive count")
        }
        var format: TraceFormat?
        if let traceFormat {
            guard let f = TraceFormat(rawValue: traceFormat.lowercased()) else {
                throw SluiceError.unknownName(kind: "trace format", name: traceFormat, valid: TraceFormat.allCases.map(\.rawValue))
            }
            format = f
        }
        let config = WorkloadConfig(
            tracePath: try tracePath(), format: format, arrival: try arrivalSpec(rateOverride: rateOverride), requestLimit: requests,
            seed: seed, sloClasses: sloClasses)
        return try Workload(config: config)
    }

    /// One line describing the workload.
    func describe() -> String {
        var s = trace.map { URL(fileURLWithPath: $0).lastPathComponent } ?? BundledData.azureConversationTraceName
        if let requests { s += ", first \(requests) requests" }
        if let rate { s += ", \(arrival ?? "replay") at \(rate) req/s" } else if let arrival { s += ", \(arrival)" }
        return s
    }
}

/// Workload help shown under `--help`.
enum WorkloadHelp {
    static let text = """
        Workloads: --trace accepts the Azure LLM inference CSV (TIMESTAMP,ContextTokens,GeneratedTokens), the \
        ShareGPT/arXiv stats CSV (num_prefill_tokens,num_decode_tokens,...; no timestamps, so arrivals are generated: \
        --rate is required) and JSONL with Mooncake fields (timestamp ms, input_length, output_length, optional hash_ids, \
        tenant, slo_class, priority).
        SLO classes: --slo NAME:SHARE[:ttft=S,tbt=S,tpot=S,e2e=S], e.g. --slo 'chat:70%:ttft=1,tbt=0.2' --slo 'batch:30%:e2e=120'. \
        A request whose trace row names a class (slo_class) gets it; others are drawn by share from the seed. A request \
        meets its SLO when TTFT <= ttft, its largest inter-token gap <= tbt, its mean time per output token <= tpot and \
        its end-to-end time <= e2e (unset targets are ignored). Default: one class 'default' with ttft=1, tbt=0.2.
        """
}

public import SluiceCore
public import SluiceEngineModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The experiment of Huang et al., "SLO-Aware Scheduling for Large Language Model Inferences" (arXiv 2504.14966),
/// as ALGORITHMS.md §2.3 sketches it (the paper's models, hardware, SLO values and rates are not public):
/// two task classes with different SLO kinds — `code` (end-to-end SLO; lengths from the Azure 2023 code trace) and
/// `chat` (TTFT + TPOT SLOs; lengths from ShareGPT4) — mixed, Poisson arrivals at increasing rates, several
/// instances behind round-robin dispatch, each with its own queue ordered by the request-level policy under test.
///
/// Per policy and rate it records SLO attainment and mean end-to-end latency; the headline is the best ratio of
/// `sa-slo`'s attainment over FCFS's across the sweep, and `sa-slo`'s mean-latency reduction over FCFS averaged over
/// the rates. Every run also times each `sa-slo` decision (wall clock, so these figures vary by host).
public struct SAReproduction: Sendable {
    /// The paper's headline figures (abstract of arXiv 2504.14966).
    public static let paperAttainmentRatio = 5.0
    /// See ``paperAttainmentRatio``: −31.6 % average latency.
    public static let paperMeanLatencyReduction = 0.316
    /// The paper's scheduling overhead, seconds (about 1 ms).
    public static let paperDecisionSeconds = 0.001
    /// The baseline's attainment that defines the knee of the sweep (where ratios are still between sizeable numbers).
    public static let kneeAttainment = 0.5

    /// Lengths (prompt, output) of the code class, in trace order.
    public var codeLengths: [(Int, Int)]
    /// Lengths of the chat class.
    public var chatLengths: [(Int, Int)]
    /// The deployment of every instance.
    public var deployment: Deployment
    /// Instances behind round-robin dispatch.
    public var instances: Int
    /// Requests per load point.
    public var requests: Int
    /// Seed of arrivals, class draws and the annealer.
    public var seed: UInt64
    /// Rates of the sweep, requests/s (all instances together).
    public var rates: [Double]
    /// Share of code requests.
    public var codeShare: Double
    /// The two classes: `code` (end-to-end) and `chat` (TTFT + TPOT).
    public var sloClasses: SLOClassTable
    /// Request-level policies compared (the baseline first).
    public var policies: [String]
    /// Output-length predictor (`online` by default: learned per class, as a deployment would).
    public var predictor: String
    /// Overrides of `sa-slo`'s parameters.
    public var annealingOptions = SchedulerOptions()

    /// The default SLOs: code answers within 4 s end to end (an editor completion); chat's first token within 1 s and
    /// 0.1 s per output token (about reading speed).
    public static let defaultSLOs = ["code:50%:e2e=4", "chat:50%:ttft=1,tpot=0.1"]

    /// The default sweep for two llama-3.1-8b instances on A100-80G, from light load to well past saturation.
    public static let defaultRates = [4.0, 6, 8, 10, 12, 14, 16, 18, 20, 24]

    /// Creates the experiment, reading both traces. - Throws: ``SluiceError`` for unreadable traces or bad SLOs.
    public init(
        codeTracePath: String, chatTracePath: String, deployment: Deployment, instances: Int = 2, requests: Int = 4000, seed: UInt64 = 42,
        rates: [Double] = SAReproduction.defaultRates, sloSpecs: [String] = SAReproduction.defaultSLOs, predictor: String = "online"
    ) throws(SluiceError) {
        codeLengths = try Self.lengths(codeTracePath)
        chatLengths = try Self.lengths(chatTracePath)
        guard !codeLengths.isEmpty, !chatLengths.isEmpty else {
            throw .invalidValue(field: "trace", value: codeLengths.isEmpty ? codeTracePath : chatTracePath, allowed: "a trace with at least one row")
        }
        self.deployment = deployment
        self.instances = instances
        self.requests = requests
        self.seed = seed
        self.rates = rates
        sloClasses = try SLOSpecParser.parse(sloSpecs)
        guard sloClasses.count == 2, sloClasses.index(named: "code") != nil, sloClasses.index(named: "chat") != nil else {
            throw .invalidValue(field: "--slo", value: sloSpecs.joined(separator: " "), allowed: "two classes named code and chat")
        }
        codeShare = sloClasses[sloClasses.index(named: "code")!].share
        policies = ["fcfs", "edf", "sjf", "priority", "sa-slo"]
        self.predictor = predictor
    }

    private static func lengths(_ path: String) throws(SluiceError) -> [(Int, Int)] {
        var reader = try openTrace(path: path, format: nil)
        var out: [(Int, Int)] = []
        while let r = try reader.next() { out.append((r.promptTokens, r.outputTokens)) }
        return out
    }

    /// The requests of one load point: Poisson arrivals, class drawn by share, lengths taken in trace order per class.
    public func workload(rate: Double) -> [Request] {
        var rng = SplitMix64.stream(seed: seed, label: 0x5A)
        let code = sloClasses.index(named: "code")!
        let chat = sloClasses.index(named: "chat")!
        var t = 0.0
        var nextCode = 0
        var nextChat = 0
        return (0..<requests).map { i in
            t += -log(1 - rng.nextUnit()) / rate
            let isCode = rng.nextUnit() < codeShare
            let (prompt, output): (Int, Int)
            if isCode {
                (prompt, output) = codeLengths[nextCode % codeLengths.count]
                nextCode += 1
            } else {
                (prompt, output) = chatLengths[nextChat % chatLengths.count]
                nextChat += 1
            }
            return Request(id: i, arrivalSeconds: t, promptTokens: prompt, outputTokens: output, sloClass: isCode ? code : chat)
        }
    }

    /// One simulation of `policy` at `rate`.
    public func evaluate(policy: String, rate: Double) throws(SluiceError) -> SimulationResult {
        var sim = Simulation(
            replicas: Array(repeating: ReplicaSpec(deployment: deployment, scheduler: "vllm"), count: instances), router: "round-robin",
            sloClasses: sloClasses, seed: seed)
        sim.requestScheduler = policy
        if policy == "sa-slo" { sim.requestSchedulerOptions = annealingOptions }
        sim.predictor = predictor
        sim.timeRequestDecisions = policy == "sa-slo"
        var source = ArrayRequestSource(workload(rate: rate))
        var sink = DiscardingOutcomeSink()
        return try sim.run(&source, outcomes: &sink)
    }

    /// Runs the sweep (all policies and rates in parallel). - Throws: ``SluiceError`` from the simulations.
    public func run() throws(SluiceError) -> SAReproductionReport {
        let jobs = policies.flatMap { p in rates.map { (p, $0) } }
        let results = try parallelRuns(jobs.count) { (i: Int) throws(SluiceError) -> SimulationResult in
            try evaluate(policy: jobs[i].0, rate: jobs[i].1)
        }
        var attainment: [String: [Double]] = [:]
        var meanLatency: [String: [Double]] = [:]
        var perClass: [String: [[String: Double]]] = [:]
        var decisions = LatencyHistogram()
        var predictorErrors: [LatencyPredictionReport?] = []
        for (i, job) in jobs.enumerated() {
            let r = results[i]
            attainment[job.0, default: []].append(r.metrics.overall.sloAttainment)
            meanLatency[job.0, default: []].append(r.metrics.overall.e2e.meanSeconds)
            var classes: [String: Double] = [:]
            for (k, g) in r.metrics.perClass.enumerated() { classes[sloClasses[k].name] = g.sloAttainment }
            perClass[job.0, default: []].append(classes)
            if let t = r.requestDecisionTimes { decisions.add(t) }
            if job.0 == "sa-slo" { predictorErrors.append(r.latencyPrediction) }
        }
        let base = policies[0]
        var bestRatio = 0.0
        var bestRatioRate = rates[0]
        var reductions: [Double] = []
        for (k, rate) in rates.enumerated() {
            let b = attainment[base]?[k] ?? 0
            let s = attainment["sa-slo"]?[k] ?? 0
            let ratio = b > 0 ? s / b : (s > 0 ? .infinity : 1)
            if ratio > bestRatio {
                bestRatio = ratio
                bestRatioRate = rate
            }
            if let lb = meanLatency[base]?[k], let ls = meanLatency["sa-slo"]?[k], lb > 0 { reductions.append(1 - ls / lb) }
        }
        // The knee: the highest rate where the baseline still meets half of its SLOs.
        let knee = rates.indices.last { (attainment[base]?[$0] ?? 0) >= Self.kneeAttainment }
        let kneeRatio = knee.map { k -> Double in
            let b = attainment[base]?[k] ?? 0
            return b > 0 ? (attainment["sa-slo"]?[k] ?? 0) / b : 0
        }
        return SAReproductionReport(
            deployment: deployment.label, instances: instances, requestsPerPoint: requests, seed: seed, predictor: predictor,
            classes: sloClasses.classes.map { "\($0.name): \($0.targets.kind.rawValue)" }, rates: rates, policies: policies,
            sloAttainment: attainment, meanLatency: meanLatency, sloAttainmentPerClass: perClass, bestAttainmentRatio: bestRatio,
            bestAttainmentRatioRate: bestRatioRate, kneeRate: knee.map { rates[$0] }, attainmentRatioAtKnee: kneeRatio,
            meanLatencyReduction: reductions.isEmpty ? 0 : reductions.reduce(0, +) / Double(reductions.count),
            decisionMicroseconds: .init(p50: decisions.percentile(50) * 1e6, p99: decisions.percentile(99) * 1e6, decisions: Int(decisions.count)),
            latencyPredictorByRate: predictorErrors,
            paper: .init(bestAttainmentRatio: Self.paperAttainmentRatio, meanLatencyReduction: Self.paperMeanLatencyReduction,
                         decisionMicroseconds: Self.paperDecisionSeconds * 1e6))
    }
}

/// The results of ``SAReproduction``; its JSON form is `sluice reproduce sa --json`.
public struct SAReproductionReport: Sendable, Codable {
    /// Decision-time percentiles of `sa-slo`, microseconds (wall clock on the host that ran it).
    public struct DecisionTimes: Sendable, Codable {
        /// Median.
        public var p50: Double
        /// 99th percentile.
        public var p99: Double
        /// Decisions timed.
        public var decisions: Int
    }

    /// The paper's figures.
    public struct Paper: Sendable, Codable {
        /// Up to 5× SLO attainment.
        public var bestAttainmentRatio: Double
        /// −31.6 % average latency.
        public var meanLatencyReduction: Double
        /// About 1 ms per decision.
        public var decisionMicroseconds: Double
    }

    /// Deployment label of each instance.
    public var deployment: String
    /// Instances.
    public var instances: Int
    /// Requests per load point.
    public var requestsPerPoint: Int
    /// Seed.
    public var seed: UInt64
    /// Output-length predictor.
    public var predictor: String
    /// Classes and their SLO kinds.
    public var classes: [String]
    /// Rates, requests/s.
    public var rates: [Double]
    /// Policies, baseline first.
    public var policies: [String]
    /// SLO attainment per policy, by rate.
    public var sloAttainment: [String: [Double]]
    /// Mean end-to-end latency per policy, by rate, seconds.
    public var meanLatency: [String: [Double]]
    /// SLO attainment per policy, by rate, per class.
    public var sloAttainmentPerClass: [String: [[String: Double]]]
    /// Best ratio of `sa-slo`'s attainment over the baseline's across the rates.
    public var bestAttainmentRatio: Double
    /// The rate where it occurs.
    public var bestAttainmentRatioRate: Double
    /// The highest rate where the baseline meets at least half of its SLOs.
    public var kneeRate: Double?
    /// `sa-slo`'s attainment over the baseline's there.
    public var attainmentRatioAtKnee: Double?
    /// `1 − mean latency(sa-slo) / mean latency(baseline)`, averaged over the rates.
    public var meanLatencyReduction: Double
    /// Decision time of `sa-slo`.
    public var decisionMicroseconds: DecisionTimes
    /// The latency predictor's error in `sa-slo`'s runs, by rate.
    public var latencyPredictorByRate: [LatencyPredictionReport?]
    /// The paper's figures.
    public var paper: Paper
}

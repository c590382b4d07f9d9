public import SluiceCore
import SluiceCatalog
public import Foundation

/// The `--json` summary of a run. Keys are stable: scripts rely on them.
///
/// Required keys (issue #2): `requests`, `completed`, `rejected`, `simulatedSeconds`, `wallSeconds`, `iterations`,
/// `events`, `outputTokensPerSecond`, `ttft`, `tbt`, `tpot`, `e2e` (each `{mean,p50,p90,p99,max}` in seconds),
/// `sloAttainment`, `preemptions`, `gpuHours`, `costUSD`, `usdPerMillionOutputTokens`, `perClass`.
public struct SimulationSummary: Sendable, Codable, Hashable {
    /// Latency and SLO figures of one group of requests.
    public struct ClassSummary: Sendable, Codable, Hashable {
        /// Class name.
        public var name: String
        /// Targets of the class.
        public var targets: SLOTargets
        /// Requests that arrived.
        public var requests: Int
        /// Completed.
        public var completed: Int
        /// Rejected.
        public var rejected: Int
        /// Time to first token.
        public var ttft: LatencySummary
        /// Every inter-token gap.
        public var tbt: LatencySummary
        /// Per-request time per output token.
        public var tpot: LatencySummary
        /// End to end.
        public var e2e: LatencySummary
        /// Arrival to first scheduling.
        public var queueing: LatencySummary
        /// Share of requests meeting all their targets.
        public var sloAttainment: Double
        /// Output tokens.
        public var outputTokens: Int
        /// Preemptions.
        public var preemptions: Int
    }

    /// Label of the configuration (scheduler/router).
    public var label: String
    /// Deployments of the replicas.
    public var deployments: [String]
    /// Scheduler names of the replicas (distinct, in order).
    public var schedulers: [String]
    /// Router.
    public var router: String
    /// Replicas.
    public var replicas: Int
    /// Requests that arrived.
    public var requests: Int
    /// Completed.
    public var completed: Int
    /// Rejected.
    public var rejected: Int
    /// Outputs truncated to the engine's cap.
    public var truncatedOutputs: Int
    /// Simulated span, seconds.
    public var simulatedSeconds: Double
    /// Host wall time, seconds (varies between identical runs).
    public var wallSeconds: Double
    /// Iterations over all replicas.
    public var iterations: Int
    /// Events processed.
    public var events: Int
    /// Prompt tokens of completed requests.
    public var promptTokens: Int
    /// Output tokens of completed requests.
    public var outputTokens: Int
    /// Output tokens per simulated second.
    public var outputTokensPerSecond: Double
    /// Completed requests per simulated second.
    public var requestsPerSecond: Double
    /// Time to first token.
    public var ttft: LatencySummary
    /// Every inter-token gap.
    public var tbt: LatencySummary
    /// Per-request time per output token.
    public var tpot: LatencySummary
    /// End to end.
    public var e2e: LatencySummary
    /// Arrival to first scheduling.
    public var queueing: LatencySummary
    /// Share of all requests meeting all their targets.
    public var sloAttainment: Double
    /// Preemptions.
    public var preemptions: Int
    /// Share of replica-time busy.
    public var gpuBusyFraction: Double
    /// GPU-hours paid for.
    public var gpuHours: Double
    /// Cost, USD.
    public var costUSD: Double
    /// USD per million output tokens.
    public var usdPerMillionOutputTokens: Double
    /// Per SLO class, keyed by class name.
    public var perClass: [String: ClassSummary]
    /// Output-length predictor accuracy (absent when no scheduler used one).
    public var prediction: PredictionReport?
    /// Share of prompt tokens found in prefix caches (absent: no request had `hash_ids`).
    public var prefixCacheHitRatio: Double?
    /// Replicas started from cold (0 for a static fleet).
    public var coldStarts: Int
    /// Tenants with budgets (absent: none configured).
    public var tenants: [String: TenantReport]?
    /// Request-level scheduler in front of the engines (absent: none).
    public var requestScheduler: String?
    /// Latency predictor error of the request-level scheduler (absent: none ran).
    public var latencyPrediction: LatencyPredictionReport?
    /// TTFT/TBT distributions and utilisation over time, for charts.
    public var distributions: RunDistributions?
    /// The step-time model and calibration of each distinct replica configuration.
    public var stepModels: [StepModelProvenance] = []
    /// What each pool's learning autoscaler did (absent: none learned).
    public var autoscalerDecisions: [String: AutoscalerDecisionReport]?
    /// What each distinct replica configuration ran with: its scheduler, token budget and KV-cache size.
    public var engines: [EngineSetting] = []
    /// Whether any replica ran on uncalibrated datasheet defaults (its latencies are then rough).
    public var uncalibrated = false
    /// The closed loop that generated the load (absent: open loop at the trace's arrival times).
    public var closedLoop: ClosedLoopLoad?

    /// Builds the summary of a result.
    public init(_ r: SimulationResult, label: String) {
        func group(_ g: ServingMetrics.Group, _ c: SLOClass) -> ClassSummary {
            ClassSummary(
                name: c.name, targets: c.targets, requests: g.requests, completed: g.completed, rejected: g.rejected,
                ttft: g.ttft.summary(), tbt: g.tbt.summary(), tpot: g.tpot.summary(), e2e: g.e2e.summary(),
                queueing: g.queueing.summary(), sloAttainment: g.sloAttainment, outputTokens: g.outputTokens,
                preemptions: g.preemptions)
        }
        let o = r.metrics.overall
        self.label = label
        var seen = Set<String>()
        deployments = r.replicas.map(\.label)
        schedulers = r.replicas.map(\.scheduler).filter { seen.insert($0).inserted }
        router = r.router
        replicas = r.replicas.count
        requests = o.requests
        completed = o.completed
        rejected = o.rejected
        truncatedOutputs = r.truncatedOutputs
        simulatedSeconds = r.simulatedSeconds
        wallSeconds = r.wallSeconds
        iterations = r.iterations
        events = r.events
        promptTokens = o.promptTokens
        outputTokens = o.outputTokens
        outputTokensPerSecond = r.outputTokensPerSecond
        requestsPerSecond = r.simulatedSeconds > 0 ? Double(o.completed) / r.simulatedSeconds : 0
        ttft = o.ttft.summary()
        tbt = o.tbt.summary()
        tpot = o.tpot.summary()
        e2e = o.e2e.summary()
        queueing = o.queueing.summary()
        sloAttainment = o.sloAttainment
        preemptions = r.preemptions
        gpuBusyFraction = r.gpuBusyFraction
        gpuHours = r.gpuHours
        costUSD = r.costUSD
        usdPerMillionOutputTokens = r.usdPerMillionOutputTokens
        var per: [String: ClassSummary] = [:]
        for (i, g) in r.metrics.perClass.enumerated() { per[r.sloClasses[i].name] = group(g, r.sloClasses[i]) }
        perClass = per
        prediction = r.prediction
        requestScheduler = r.requestScheduler
        prefixCacheHitRatio = r.prefixCacheHitRatio
        coldStarts = r.coldStarts
        tenants = r.tenants.isEmpty ? nil : r.tenants
        latencyPrediction = r.latencyPrediction
        distributions = RunDistributions(r)
        stepModels = r.stepModels
        autoscalerDecisions = r.autoscalerDecisions.isEmpty ? nil : r.autoscalerDecisions
        var settings = Set<EngineSetting>()
        engines = r.replicas.map {
            EngineSetting(deployment: $0.label, scheduler: $0.scheduler, maxBatchedTokens: $0.maxBatchedTokens, kvBlocks: $0.kvBlocks)
        }.filter { settings.insert($0).inserted }
        uncalibrated = r.isUncalibrated
        closedLoop = r.closedLoop
    }

    /// Pretty, key-sorted JSON (deterministic apart from `wallSeconds`).
    public func jsonData() throws(SluiceError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return try encoder.encode(self) } catch { throw .io(path: "summary", reason: "cannot encode JSON: \(error)") }
    }

    /// The value a capacity target names, e.g. `("p99", "tbt")`; `nil` if unknown.
    public func value(statistic: String, metric: String) -> Double? {
        let s: LatencySummary
        switch metric {
        case "ttft": s = ttft
        case "tbt": s = tbt
        case "tpot": s = tpot
        case "e2e": s = e2e
        case "queueing", "queue": s = queueing
        default: return nil
        }
        return s.value(statistic)
    }
}

/// The engine settings one replica configuration of a run had (reported once per distinct configuration).
public struct EngineSetting: Sendable, Hashable, Codable {
    /// The deployment label, e.g. "llama-3.1-8b@h100-sxm".
    public var deployment: String
    /// The iteration scheduler's name.
    public var scheduler: String
    /// Token budget of one iteration.
    public var maxBatchedTokens: Int
    /// KV-cache blocks of the replica.
    public var kvBlocks: Int
}

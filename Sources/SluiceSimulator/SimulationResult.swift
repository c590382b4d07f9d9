public import SluiceCore
public import SluiceEngineModel

/// What one replica did during a run.
public struct ReplicaReport: Sendable, Hashable, Codable {
    /// Deployment label (`model@gpuxTP`).
    public var label: String
    /// Scheduler name.
    public var scheduler: String
    /// Price of the replica per hour, USD.
    public var pricePerHourUSD: Double
    /// GPUs in the replica.
    public var gpus: Int
    /// Seconds with an iteration in flight.
    public var busySeconds: Double
    /// Iterations run.
    public var iterations: Int
    /// KV blocks of the replica.
    public var kvBlocks: Int
    /// KV blocks free when the run ended (equals `kvBlocks` when every block came back).
    public var kvBlocksFreeAtEnd: Int
    /// Requests still live at the end (0 when every request completed or was rejected).
    public var liveAtEnd: Int
    /// Preemptions on this replica.
    public var preemptions: Int
    /// Seconds the replica was paid for (loading, warm or draining): the whole run for a static fleet.
    public var billedSeconds: Double
    /// The iteration token budget in force.
    public var maxBatchedTokens: Int
    /// Largest number of tokens in one iteration (never above `maxBatchedTokens`).
    public var largestBatchTokens: Int
    /// Largest number of running sequences (never above the engine's cap).
    public var largestRunningSequences: Int
    /// GPU busy share and KV-cache use over the run.
    public var timeline: UtilisationTimeline? = nil
    /// The step-time model and the calibration it used.
    public var stepModel = StepModelProvenance.uncalibratedRoofline
}

/// The result of a simulation: metrics, cost and counters.
///
/// Cost model: every replica is paid for the whole simulated span (from time 0 to the last event), busy or idle,
/// at its on-demand price: GPU time costs money whether the GPU works or idles.
public struct SimulationResult: Sendable {
    /// Per-replica reports.
    public var replicas: [ReplicaReport]
    /// Router name.
    public var router: String
    /// The SLO classes.
    public var sloClasses: SLOClassTable
    /// The metrics.
    public var metrics: ServingMetrics
    /// Simulated span, seconds.
    public var simulatedSeconds: Double
    /// Host wall time of the run, seconds (the only figure that varies between identical runs).
    public var wallSeconds: Double
    /// Events processed (arrivals plus iteration ends).
    public var events: Int
    /// Requests whose output was cut to the engine's output cap or model length.
    public var truncatedOutputs: Int
    /// Accuracy of the output-length predictor, when the schedulers used one.
    public var prediction: PredictionReport?
    /// Share of prompt tokens of requests with `hash_ids` found in a prefix cache (`nil`: no such request).
    public var prefixCacheHitRatio: Double?
    /// The closed loop that generated the load (`nil`: open loop, trace arrival times).
    public var closedLoop: ClosedLoopLoad?
    /// Replicas started from cold during the run.
    public var coldStarts = 0
    /// With a GPU inventory: the GPUs' bill (each billed while it hosts a replica), USD.
    public var inventoryCostUSD: Double?
    /// With a GPU inventory: GPU-hours billed.
    public var inventoryGPUHours: Double?
    /// Cold starts refused for want of a GPU region (with an inventory), and those refused by fragmentation alone.
    public var placementFailures = 0
    /// See ``placementFailures``.
    public var fragmentationFailures = 0
    /// Tenants with budgets: what they spent and what the budget refused or downgraded.
    public var tenants: [String: TenantReport] = [:]
    /// What each pool's learning autoscaler did, by pool (empty: none learned).
    public var autoscalerDecisions: [String: AutoscalerDecisionReport] = [:]
    /// The request-level scheduler in front of the engines (`nil`: requests went straight in).
    public var requestScheduler: String?
    /// The latency predictor's error against measured latencies, when a request-level scheduler ran.
    public var latencyPrediction: LatencyPredictionReport?
    /// Wall-clock time of each request-level decision, when measured (``Simulation/timeRequestDecisions``).
    public var requestDecisionTimes: LatencyHistogram?

    /// Iterations over all replicas.
    public var iterations: Int { replicas.reduce(0) { $0 + $1.iterations } }
    /// GPU-hours paid for.
    public var gpuHours: Double { inventoryGPUHours ?? replicas.reduce(0) { $0 + Double($1.gpus) * $1.billedSeconds } / 3600 }
    /// Cost of the fleet over the span, USD.
    public var costUSD: Double { inventoryCostUSD ?? replicas.reduce(0) { $0 + $1.pricePerHourUSD * $1.billedSeconds } / 3600 }
    /// Share of replica-time with an iteration in flight.
    public var gpuBusyFraction: Double {
        let total = replicas.reduce(0) { $0 + $1.billedSeconds }
        return total > 0 ? replicas.reduce(0) { $0 + $1.busySeconds } / total : 0
    }
    /// Output tokens per simulated second.
    public var outputTokensPerSecond: Double {
        simulatedSeconds > 0 ? Double(metrics.overall.outputTokens) / simulatedSeconds : 0
    }
    /// Cost per million output tokens, USD.
    public var usdPerMillionOutputTokens: Double {
        metrics.overall.outputTokens > 0 ? costUSD / Double(metrics.overall.outputTokens) * 1e6 : 0
    }
    /// Distinct step-model descriptions over the replicas, in replica order.
    public var stepModels: [StepModelProvenance] {
        var seen: [StepModelProvenance] = []
        for r in replicas where !seen.contains(r.stepModel) { seen.append(r.stepModel) }
        return seen
    }
    /// Whether any replica ran on uncalibrated defaults.
    public var isUncalibrated: Bool { replicas.contains { $0.stepModel.isUncalibrated } }
    /// Preemptions over all replicas.
    public var preemptions: Int { replicas.reduce(0) { $0 + $1.preemptions } }
}

/// How well the output-length predictor did (prediction made at arrival vs true length of completed requests).
public struct PredictionReport: Sendable, Hashable, Codable {
    /// Predictor name.
    public var predictor: String
    /// Completed requests scored.
    public var requests: Int
    /// Mean absolute error, tokens.
    public var meanAbsoluteErrorTokens: Double
    /// Spearman rank correlation between predicted and true lengths.
    public var rankCorrelation: Double
}

/// How well the request-level latency predictor (``LatencyPredictor``) foresaw what the simulator then measured:
/// errors are predicted minus measured, over requests released from an instance queue with a prediction.
public struct LatencyPredictionReport: Sendable, Hashable, Codable {
    /// Requests compared.
    public var requests: Int
    /// Mean absolute TTFT error, seconds.
    public var ttftMeanAbsoluteErrorSeconds: Double
    /// Mean TTFT error (bias; positive: predicted too late), seconds.
    public var ttftMeanErrorSeconds: Double
    /// Mean absolute end-to-end error, seconds.
    public var e2eMeanAbsoluteErrorSeconds: Double
    /// Mean end-to-end error (bias), seconds.
    public var e2eMeanErrorSeconds: Double
    /// Mean absolute end-to-end error over the mean measured end-to-end latency.
    public var e2eRelativeError: Double
}

/// A tenant's spending over the run (``TenantBudget``).
public struct TenantReport: Sendable, Hashable, Codable {
    /// USD charged (settled to actual tokens).
    public var spentUSD: Double
    /// Tokens served.
    public var tokens: Double
    /// Requests refused because the budget was spent.
    public var rejectedForBudget: Int
    /// Requests served on the cheapest pool instead.
    public var downgraded: Int
    /// Highest share of a period's budget in use (reservations included); never above 1.
    public var peakBudgetShare: Double
}

public import SluiceCore

/// The results of ``DeepServeReproduction``; its JSON form is `sluice reproduce deepserve --json`.
///
/// The top-level `p99Latency`, `gpuUtilization`, `costPerRequestUSD`, `sloAttainment` (per policy) and
/// `costLowerBoundUSD` are those of the first scenario; `scenarios` has them all.
public struct DeepServeReport: Sendable, Codable {
    /// One policy's figures on one scenario.
    public struct Row: Sendable, Codable {
        /// p99 end-to-end latency, seconds.
        public var p99LatencySeconds: Double
        /// p99 TTFT, seconds.
        public var p99TTFTSeconds: Double
        /// Busy GPU time over billed GPU time.
        public var gpuUtilization: Double
        /// Total cost, USD.
        public var costUSD: Double
        /// Cost per completed request, USD.
        public var costPerRequestUSD: Double
        /// SLO attainment.
        public var sloAttainment: Double
        /// Cold starts.
        public var coldStarts: Int
        /// Billed GPU-hours.
        public var gpuHours: Double
        /// Ticks at which a learning policy's guardrail raised its size to Knative's (absent: not a learning policy).
        public var guardrailOverrides: Int?

        init(_ r: SimulationResult) {
            p99LatencySeconds = r.metrics.overall.e2e.summary().p99
            p99TTFTSeconds = r.metrics.overall.ttft.summary().p99
            gpuUtilization = r.gpuBusyFraction
            costUSD = r.costUSD
            costPerRequestUSD = r.metrics.overall.completed > 0 ? r.costUSD / Double(r.metrics.overall.completed) : 0
            sloAttainment = r.metrics.overall.sloAttainment
            coldStarts = r.coldStarts
            gpuHours = r.gpuHours
            let decisions = r.autoscalerDecisions.values
            guardrailOverrides = decisions.isEmpty ? nil : decisions.reduce(0) { $0 + $1.guardrailOverrides }
        }
    }

    /// One scenario.
    public struct ScenarioReport: Sendable, Codable {
        /// Name (traffic and model).
        public var name: String
        /// Deployment of each replica.
        public var deployment: String
        /// Requests.
        public var requests: Int
        /// The static size chosen as best.
        public var bestStatic: String
        /// Policies shown, in order.
        public var policies: [String]
        /// Figures per policy.
        public var rows: [String: Row]
        /// Every static size, 1 to the maximum.
        public var staticSweep: [Row]
        /// The cost lower bound, USD.
        public var costLowerBoundUSD: Double
    }

    /// Scenarios.
    public var scenarios: [ScenarioReport]
    /// Largest pool.
    public var maxReplicas: Int
    /// Attainment the best static must reach.
    public var targetAttainment: Double
    /// Seed.
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case scenarios, maxReplicas, targetAttainment, seed, p99Latency, gpuUtilization, costPerRequestUSD, sloAttainment, costLowerBoundUSD
    }

    init(scenarios: [ScenarioReport], maxReplicas: Int, targetAttainment: Double, seed: UInt64) {
        self.scenarios = scenarios
        self.maxReplicas = maxReplicas
        self.targetAttainment = targetAttainment
        self.seed = seed
    }

    /// Decodes a report.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scenarios = try c.decode([ScenarioReport].self, forKey: .scenarios)
        maxReplicas = try c.decode(Int.self, forKey: .maxReplicas)
        targetAttainment = try c.decode(Double.self, forKey: .targetAttainment)
        seed = try c.decode(UInt64.self, forKey: .seed)
    }

    /// Encodes the report with the headline keys of the first scenario on top.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scenarios, forKey: .scenarios)
        try c.encode(maxReplicas, forKey: .maxReplicas)
        try c.encode(targetAttainment, forKey: .targetAttainment)
        try c.encode(seed, forKey: .seed)
        if let s = scenarios.first {
            try c.encode(s.rows.mapValues(\.p99LatencySeconds), forKey: .p99Latency)
            try c.encode(s.rows.mapValues(\.gpuUtilization), forKey: .gpuUtilization)
            try c.encode(s.rows.mapValues(\.costPerRequestUSD), forKey: .costPerRequestUSD)
            try c.encode(s.rows.mapValues(\.sloAttainment), forKey: .sloAttainment)
            try c.encode(s.costLowerBoundUSD, forKey: .costLowerBoundUSD)
        }
    }
}

/// The results of ``SLAIReproduction``; its JSON form is `sluice reproduce slai --json`.
///
/// Top-level `capacity`, `capacityGain` and `medianTTFTReduction` are those of the homogeneous setting (the paper's
/// headline); `settings` has every setting with its full curves.
public struct SLAIReproductionReport: Sendable, Codable {
    /// One load point of one scheduler.
    public struct Point: Sendable, Codable {
        /// Arrival rate, requests/s.
        public var rate: Double
        /// Median TTFT, seconds.
        public var ttftP50: Double
        /// p99 TTFT, seconds.
        public var ttftP99: Double
        /// p99 TBT over all requests, seconds.
        public var tbtP99: Double
        /// p99 TBT per SLO class, seconds.
        public var tbtP99PerClass: [String: Double]
        /// SLO attainment.
        public var sloAttainment: Double
        /// Whether median TTFT and every class's p99 TBT meet the capacity definition.
        public var meetsCapacityTarget: Bool
    }

    /// One SLO setting.
    public struct SettingReport: Sendable, Codable {
        /// Name.
        public var name: String
        /// SLO class names.
        public var classes: [String]
        /// Schedulers compared.
        public var schedulers: [String]
        /// Curves per scheduler, by rate.
        public var curves: [String: [Point]]
        /// Capacity per scheduler, requests/s (absent when even the lowest rate fails).
        public var capacity: [String: Double]
        /// Candidate's capacity over the baseline's, minus 1.
        public var capacityGain: Double?
        /// Rate where the baseline's median TTFT reaches the threshold.
        public var reductionRate: Double?
        /// Median TTFT of baseline and candidate at that rate, seconds.
        public var medianTTFTAtReductionRate: [String: Double]
        /// 1 − candidate / baseline median TTFT at that rate.
        public var medianTTFTReduction: Double?
    }

    /// The paper's figures.
    public struct Paper: Sendable, Codable {
        /// Median TTFT reduction of SLAI over Sarathi-Serve.
        public var medianTTFTReduction: Double
        /// Capacity gain of SLAI over Sarathi-Serve.
        public var capacityGain: Double
    }

    /// Deployment label.
    public var deployment: String
    /// Requests per load point.
    public var requestsPerPoint: Int
    /// Seed.
    public var seed: UInt64
    /// Median TTFT bound, seconds.
    public var ttftThresholdSeconds: Double
    /// Baseline scheduler.
    public var baseline: String
    /// Candidate scheduler.
    public var candidate: String
    /// Every setting.
    public var settings: [SettingReport]
    /// The paper's figures.
    public var paper: Paper
    /// The step model and calibration the runs used (absent in reports written before it was recorded).
    public var stepModel: String?

    /// Capacity per scheduler in the homogeneous setting.
    public var capacity: [String: Double] { settings.first?.capacity ?? [:] }
    /// Capacity gain in the homogeneous setting.
    public var capacityGain: Double? { settings.first?.capacityGain }
    /// Median TTFT reduction in the homogeneous setting.
    public var medianTTFTReduction: Double? { settings.first?.medianTTFTReduction }

    private enum CodingKeys: String, CodingKey {
        case deployment, requestsPerPoint, seed, ttftThresholdSeconds, baseline, candidate, settings, paper, stepModel
        case capacity, capacityGain, medianTTFTReduction
    }

    /// Creates a report.
    public init(deployment: String, requestsPerPoint: Int, seed: UInt64, ttftThresholdSeconds: Double, baseline: String, candidate: String,
                settings: [SettingReport], stepModel: String? = nil, paper: Paper) {
        self.stepModel = stepModel
        self.deployment = deployment
        self.requestsPerPoint = requestsPerPoint
        self.seed = seed
        self.ttftThresholdSeconds = ttftThresholdSeconds
        self.baseline = baseline
        self.candidate = candidate
        self.settings = settings
        self.paper = paper
    }

    /// Decodes a report (the headline keys are derived, so they are read and ignored).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        deployment = try c.decode(String.self, forKey: .deployment)
        requestsPerPoint = try c.decode(Int.self, forKey: .requestsPerPoint)
        seed = try c.decode(UInt64.self, forKey: .seed)
        ttftThresholdSeconds = try c.decode(Double.self, forKey: .ttftThresholdSeconds)
        baseline = try c.decode(String.self, forKey: .baseline)
        candidate = try c.decode(String.self, forKey: .candidate)
        settings = try c.decode([SettingReport].self, forKey: .settings)
        paper = try c.decode(Paper.self, forKey: .paper)
        stepModel = try c.decodeIfPresent(String.self, forKey: .stepModel)
    }

    /// Encodes the report with the headline keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(deployment, forKey: .deployment)
        try c.encode(requestsPerPoint, forKey: .requestsPerPoint)
        try c.encode(seed, forKey: .seed)
        try c.encode(ttftThresholdSeconds, forKey: .ttftThresholdSeconds)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(candidate, forKey: .candidate)
        try c.encode(settings, forKey: .settings)
        try c.encode(paper, forKey: .paper)
        try c.encodeIfPresent(stepModel, forKey: .stepModel)
        try c.encode(capacity, forKey: .capacity)
        try c.encodeIfPresent(capacityGain, forKey: .capacityGain)
        try c.encodeIfPresent(medianTTFTReduction, forKey: .medianTTFTReduction)
    }
}

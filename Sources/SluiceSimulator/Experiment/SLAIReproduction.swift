public import SluiceCore
public import SluiceEngineModel

/// The experiment of Bari, Hegde & de Veciana, "Optimal Scheduling Algorithms for LLM Inference" (arXiv
/// 2508.01002), §1.4 of ALGORITHMS.md: Mistral-7B on one RTX 6000 Ada, the OpenChat ShareGPT4 lengths, Poisson
/// arrivals, 16,384 requests per load, seed 42; Sarathi-Serve (FCFS, chunk 512) against SLAI and its ablations, with
/// a homogeneous TBT SLO of 0.2 s and a heterogeneous one (5 % strict users at 0.1 s, the rest 0.5 s).
///
/// Capacity is the highest rate at which the median TTFT is at most `ttftThresholdSeconds` and every class's p99
/// TBT is within its target: found by a sweep, then bisection between the last passing and the first failing rate.
/// The TTFT reduction is measured at the rate where Sarathi's median TTFT reaches the threshold.
public struct SLAIReproduction: Sendable {
    /// One SLO setting and the schedulers compared under it.
    public struct Setting: Sendable {
        /// Name (`homogeneous`, `heterogeneous`).
        public var name: String
        /// The classes.
        public var sloClasses: SLOClassTable
        /// Schedulers, the baseline first.
        public var schedulers: [String]
    }

    /// The paper's headline figures (abstract of arXiv 2508.01002).
    public static let paperMedianTTFTReduction = 0.53
    /// See ``paperMedianTTFTReduction``.
    public static let paperCapacityGain = 0.26

    /// The trace (ShareGPT4 stats CSV).
    public var tracePath: String
    /// The deployment (one replica).
    public var deployment: Deployment
    /// Its step-time model (the shipped calibration).
    public var stepModel: any StepTimeModel
    /// What the step model is and which calibration it uses (stated in the report).
    public var stepModelProvenance = StepModelProvenance.uncalibratedRoofline
    /// Requests per load point.
    public var requests: Int
    /// Seed of the arrivals and class draws.
    public var seed: UInt64
    /// Rates of the sweep, requests/s.
    public var rates: [Double]
    /// Median TTFT bound of the capacity definition, seconds.
    public var ttftThresholdSeconds: Double
    /// Relative width at which bisection stops.
    public var tolerance: Double
    /// The settings.
    public var settings: [Setting]
    /// The baseline scheduler name.
    public var baseline: String
    /// The scheduler compared with it for the headline.
    public var candidate: String

    /// The paper's setup; `requests` and `rates` can be reduced for quick runs.
    public init(tracePath: String, deployment: Deployment, stepModel: any StepTimeModel, requests: Int = 16_384, seed: UInt64 = 42,
                rates: [Double] = SLAIReproduction.defaultRates, ttftThresholdSeconds: Double = 0.5, tolerance: Double = 0.02) throws(SluiceError) {
        self.tracePath = tracePath
        self.deployment = deployment
        self.stepModel = stepModel
        self.requests = requests
        self.seed = seed
        self.rates = rates
        self.ttftThresholdSeconds = ttftThresholdSeconds
        self.tolerance = tolerance
        baseline = "sarathi"
        candidate = "slai"
        settings = [
            Setting(
                name: "homogeneous", sloClasses: SLOClassTable([SLOClass(name: "all", targets: SLOTargets(tbtSeconds: 0.2))]),
                schedulers: ["sarathi", "sarathi-spf", "slai-fcfs-fixed", "slai-spf-fixed", "slai"]),
            Setting(
                name: "heterogeneous",
                sloClasses: try SLOSpecParser.parse(["strict:5%:tbt=0.1", "relaxed:95%:tbt=0.5"]),
                schedulers: ["sarathi", "slai", "slai-priority"]),
        ]
    }

    /// 0.4 to 2.4 requests/s in steps of 0.2: below, around and beyond the saturation of Mistral-7B on one RTX 6000 Ada
    /// with ShareGPT4 lengths.
    public static let defaultRates = (2...12).map { Double($0) * 0.2 }

    /// Runs everything. - Throws: ``SluiceError`` from the simulations.
    public func run() throws(SluiceError) -> SLAIReproductionReport {
        var reports: [SLAIReproductionReport.SettingReport] = []
        for setting in settings {
            // The sweep: every scheduler at every rate, in parallel.
            let jobs = setting.schedulers.flatMap { s in rates.map { (s, $0) } }
            let sweep = try parallelRuns(jobs.count) { (i: Int) throws(SluiceError) -> SimulationSummary in
                try evaluate(scheduler: jobs[i].0, rate: jobs[i].1, setting: setting)
            }
            var curves: [String: [SLAIReproductionReport.Point]] = [:]
            for (i, job) in jobs.enumerated() { curves[job.0, default: []].append(point(job.1, sweep[i], setting)) }
            // Capacity of each scheduler by bisection, schedulers in parallel.
            let sweepCurves = curves
            let capacities = try parallelRuns(setting.schedulers.count) { (i: Int) throws(SluiceError) -> Double? in
                let name = setting.schedulers[i]
                return try bisect(curve: sweepCurves[name] ?? [], meets: { $0.meetsCapacityTarget }) { (rate: Double) throws(SluiceError) -> Bool in
                    point(rate, try evaluate(scheduler: name, rate: rate, setting: setting), setting).meetsCapacityTarget
                }
            }
            var capacity: [String: Double] = [:]
            for (i, name) in setting.schedulers.enumerated() { capacity[name] = capacities[i] }
            // The rate where the baseline's median TTFT reaches the threshold, and the candidate's TTFT there.
            let threshold = ttftThresholdSeconds
            let crossing = try bisect(curve: curves[baseline] ?? [], meets: { $0.ttftP50 <= threshold }) { (rate: Double) throws(SluiceError) -> Bool in
                try evaluate(scheduler: baseline, rate: rate, setting: setting).ttft.p50 <= threshold
            }
            var reduction: Double?
            var ttftAtCrossing: [String: Double] = [:]
            if let r = crossing {
                let pair = try parallelRuns(2) { (i: Int) throws(SluiceError) -> Double in
                    try evaluate(scheduler: i == 0 ? baseline : candidate, rate: r, setting: setting).ttft.p50
                }
                ttftAtCrossing = [baseline: pair[0], candidate: pair[1]]
                reduction = pair[0] > 0 ? 1 - pair[1] / pair[0] : nil
            }
            var gain: Double?
            if let b = capacity[baseline], let c = capacity[candidate], b > 0 { gain = c / b - 1 }
            reports.append(SLAIReproductionReport.SettingReport(
                name: setting.name, classes: setting.sloClasses.classes.map(\.name), schedulers: setting.schedulers, curves: curves,
                capacity: capacity, capacityGain: gain, reductionRate: crossing, medianTTFTAtReductionRate: ttftAtCrossing,
                medianTTFTReduction: reduction))
        }
        return SLAIReproductionReport(
            deployment: deployment.label, requestsPerPoint: requests, seed: seed, ttftThresholdSeconds: ttftThresholdSeconds,
            baseline: baseline, candidate: candidate, settings: reports, stepModel: stepModelProvenance.summaryLine,
            paper: .init(medianTTFTReduction: Self.paperMedianTTFTReduction, capacityGain: Self.paperCapacityGain))
    }

    /// One simulation.
    func evaluate(scheduler: String, rate: Double, setting: Setting) throws(SluiceError) -> SimulationSummary {
        var replica = ReplicaSpec(deployment: deployment, scheduler: scheduler, stepModel: stepModel)
        replica.stepModelProvenance = stepModelProvenance
        let sim = Simulation(replicas: [replica], sloClasses: setting.sloClasses, seed: seed)
        var source = try Workload(config: WorkloadConfig(
            tracePath: tracePath, format: .stats, arrival: .poisson(rate: rate), requestLimit: requests, seed: seed,
            sloClasses: setting.sloClasses))
        var sink = DiscardingOutcomeSink()
        return SimulationSummary(try sim.run(&source, outcomes: &sink), label: scheduler)
    }

    private func point(_ rate: Double, _ s: SimulationSummary, _ setting: Setting) -> SLAIReproductionReport.Point {
        var perClass: [String: Double] = [:]
        var tbtOK = true
        for c in setting.sloClasses.classes {
            let p99 = s.perClass[c.name]?.tbt.p99 ?? 0
            perClass[c.name] = p99
            if let t = c.targets.tbtSeconds, p99 > t { tbtOK = false }
        }
        return .init(
            rate: rate, ttftP50: s.ttft.p50, ttftP99: s.ttft.p99, tbtP99: s.tbt.p99, tbtP99PerClass: perClass,
            sloAttainment: s.sloAttainment, meetsCapacityTarget: s.ttft.p50 <= ttftThresholdSeconds && tbtOK)
    }

    /// The highest rate meeting a monotone predicate: the last passing swept rate before the first failing one,
    /// refined by bisection. `nil` when the lowest rate fails; the highest swept rate when none fails.
    private func bisect(
        curve: [SLAIReproductionReport.Point], meets: (SLAIReproductionReport.Point) -> Bool,
        probe: (Double) throws(SluiceError) -> Bool
    ) throws(SluiceError) -> Double? {
        let sorted = curve.sorted { $0.rate < $1.rate }
        guard let firstFail = sorted.firstIndex(where: { !meets($0) }) else { return sorted.last?.rate }
        guard firstFail > 0 else { return nil }
        var lo = sorted[firstFail - 1].rate
        var hi = sorted[firstFail].rate
        while (hi - lo) / lo > tolerance {
            let mid = (lo + hi) / 2
            if try probe(mid) { lo = mid } else { hi = mid }
        }
        return lo
    }
}

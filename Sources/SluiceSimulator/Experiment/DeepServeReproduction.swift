public import SluiceCore
public import SluiceEngineModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The experiment behind DeepServe++'s claims ("DeepServe: SLO-Aware and Cost-Aware Elastic Scheduling for Serverless
/// Multi-Tenant LLM Inference", preprint; ALGORITHMS.md §3), as far as its abstract allows: LLaMA-2-13B and
/// Mixtral-8x7B on A100-80G; real bursts (the Azure 2023 conversation trace, replayed) and ShareGPT4 lengths with
/// bursty gamma arrivals; two tenants with different SLO classes. Over identical traffic it compares the best static
/// fleet (the cheapest fixed size meeting `targetAttainment`, found by a sweep), Knative's concurrency autoscaler with
/// a fixed keep-alive, the queue/SLO autoscaler and the contextual bandit, all starting from one warm replica of at
/// most `maxReplicas`, with cold starts from local disk.
///
/// The cost lower bound is the work itself at the deployment's peak efficiency with no idle time: every prompt token
/// at the marginal prefill cost of a large chunk and every output token at the per-token cost of a full decode batch.
public struct DeepServeReproduction: Sendable {
    /// One traffic × deployment.
    public struct Scenario: Sendable {
        /// Name.
        public var name: String
        /// The deployment of every replica.
        public var deployment: Deployment
        /// The requests.
        public var requests: [Request]

        /// Creates a scenario.
        public init(name: String, deployment: Deployment, requests: [Request]) {
            self.name = name
            self.deployment = deployment
            self.requests = requests
        }
    }

    /// The paper's claims (abstract).
    public static let paperP99LatencyReduction = (0.38, 0.62)
    /// GPU utilisation gain, percentage points.
    public static let paperUtilizationGain = (0.14, 0.23)
    /// Cost per request reduction.
    public static let paperCostReduction = 0.27

    /// The tenants: `chat` (interactive: TTFT 1 s, TPOT 0.1 s) and `batch` (end to end within 60 s), 60 : 40.
    public static let defaultSLOs = ["chat:60%:ttft=1,tpot=0.1", "batch:40%:e2e=60"]

    /// Scenarios.
    public var scenarios: [Scenario]
    /// SLO classes (tenants).
    public var sloClasses: SLOClassTable
    /// Largest pool.
    public var maxReplicas: Int
    /// Attainment the best static configuration must reach.
    public var targetAttainment: Double
    /// Seed.
    public var seed: UInt64
    /// Policies besides the static sweep.
    public var autoscalers = ["concurrency", "queue-slo", "bandit"]

    /// Creates the experiment.
    public init(scenarios: [Scenario], sloClasses: SLOClassTable, maxReplicas: Int = 6, targetAttainment: Double = 0.95, seed: UInt64 = 42) {
        self.scenarios = scenarios
        self.sloClasses = sloClasses
        self.maxReplicas = maxReplicas
        self.targetAttainment = targetAttainment
        self.seed = seed
    }

    /// Requests from a trace: replayed when `gamma` is `nil`, else re-timed with gamma arrivals; rows that cannot fit
    /// the deployment's context (prompt + output) are left out, as a deployment's front end would refuse them; each
    /// request's tenant is drawn by the classes' shares.
    public static func requests(
        tracePath: String, limit: Int?, gamma: (rate: Double, cv: Double)?, maxModelLenTokens: Int, classes: SLOClassTable, seed: UInt64
    ) throws(SluiceError) -> [Request] {
        var reader = try openTrace(path: tracePath, format: nil)
        var rng = SplitMix64.stream(seed: seed, label: 0xD5)
        var out: [Request] = []
        var t = 0.0
        var first: Double?
        let cv = gamma?.cv ?? 1
        let shape = 1 / (cv * cv)
        while let row = try reader.next() {
            if let limit, out.count >= limit { break }
            guard row.promptTokens + row.outputTokens <= maxModelLenTokens else { continue }
            if let g = gamma {
                t += GammaSampler.sample(shape: shape, scale: 1 / (g.rate * shape), rng: &rng)
            } else {
                let at = row.arrivalSeconds ?? 0
                if first == nil { first = at }
                t = at - (first ?? 0)
            }
            var share = rng.nextUnit()
            var cls = 0
            for (i, c) in classes.classes.enumerated() {
                share -= c.share
                if share < 0 { cls = i; break }
                cls = i
            }
            out.append(Request(
                id: out.count, arrivalSeconds: t, promptTokens: max(row.promptTokens, 1), outputTokens: max(row.outputTokens, 1),
                tenant: classes[cls].name, sloClass: cls))
        }
        return out
    }

    /// The lower bound of the cost of serving `requests` on `deployment`, USD.
    public static func costLowerBound(_ requests: [Request], deployment: Deployment) throws(SluiceError) -> Double {
        let model = RooflineStepTimeModel(deployment: deployment)
        let chunk = 2048
        var prefill = BatchShape()
        prefill.addPrefill(newTokens: chunk, contextTokens: 0)
        let prefillPerToken = model.stepSeconds(prefill) / Double(chunk)
        let prompt = requests.reduce(0.0) { $0 + Double($1.promptTokens) }
        let output = requests.reduce(0.0) { $0 + Double($1.outputTokens) }
        let n = Double(max(requests.count, 1))
        let context = Int(prompt / n + output / n / 2)
        let kvTokens = try deployment.kvBlockCapacity() * deployment.limits.blockSizeTokens
        let batch = max(1, min(deployment.limits.maxRunningSequences, kvTokens / max(context, 1)))
        var decode = BatchShape()
        decode.decodeSequences = batch
        decode.decodeContextTokens = batch * context
        let perOutputToken = model.stepSeconds(decode) / Double(batch)
        return deployment.pricePerHourUSD / 3600 * (prompt * prefillPerToken + output * perOutputToken)
    }

    /// One run of a policy (`static-N` or an autoscaler name) on a scenario.
    public func evaluate(_ policy: String, _ scenario: Scenario) throws(SluiceError) -> SimulationResult {
        var specs: [ReplicaSpec] = []
        let isStatic = policy.hasPrefix("static-")
        let size = isStatic ? Int(policy.dropFirst("static-".count)) ?? 1 : maxReplicas
        for i in 0..<size {
            var s = ReplicaSpec(deployment: scenario.deployment, scheduler: "vllm")
            s.initiallyWarm = isStatic || i == 0
            s.coldStart = ColdStartModel(tier: .localDisk)
            specs.append(s)
        }
        var sim = Simulation(replicas: specs, router: "least-work", sloClasses: sloClasses, seed: seed)
        if !isStatic { sim.autoscaler = policy }
        var source = ArrayRequestSource(scenario.requests)
        var sink = DiscardingOutcomeSink()
        return try sim.run(&source, outcomes: &sink)
    }

    /// Runs every scenario. - Throws: ``SluiceError`` from the simulations.
    public func run() throws(SluiceError) -> DeepServeReport {
        var reports: [DeepServeReport.ScenarioReport] = []
        for scenario in scenarios {
            let statics = (1...maxReplicas).map { "static-\($0)" }
            let policies = statics + autoscalers
            let results = try parallelRuns(policies.count) { (i: Int) throws(SluiceError) -> SimulationResult in
                try evaluate(policies[i], scenario)
            }
            var rows: [String: DeepServeReport.Row] = [:]
            for (i, p) in policies.enumerated() { rows[p] = DeepServeReport.Row(results[i]) }
            // Best static: the cheapest meeting the target, else the one with the highest attainment.
            let meeting = statics.filter { (rows[$0]?.sloAttainment ?? 0) >= targetAttainment }
            let best = meeting.min { (rows[$0]?.costUSD ?? .infinity) < (rows[$1]?.costUSD ?? .infinity) }
                ?? statics.max { (rows[$0]?.sloAttainment ?? 0) < (rows[$1]?.sloAttainment ?? 0) } ?? statics[0]
            var shown: [String: DeepServeReport.Row] = ["best-static": rows[best]!]
            for a in autoscalers { shown[a] = rows[a] }
            reports.append(DeepServeReport.ScenarioReport(
                name: scenario.name, deployment: scenario.deployment.label, requests: scenario.requests.count, bestStatic: best,
                policies: ["best-static"] + autoscalers, rows: shown, staticSweep: statics.map { rows[$0]! },
                costLowerBoundUSD: try Self.costLowerBound(scenario.requests, deployment: scenario.deployment)))
        }
        return DeepServeReport(scenarios: reports, maxReplicas: maxReplicas, targetAttainment: targetAttainment, seed: seed)
    }
}

/// Gamma variates (Marsaglia & Tsang, 2000), for bursty inter-arrival times.
enum GammaSampler {
    static func sample(shape: Double, scale: Double, rng: inout SplitMix64) -> Double {
        if shape < 1 {
            let u = max(rng.nextUnit(), .leastNonzeroMagnitude)
            return sample(shape: shape + 1, scale: scale, rng: &rng) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                let u1 = max(rng.nextUnit(), .leastNonzeroMagnitude)
                let u2 = rng.nextUnit()
                x = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.nextUnit()
            if u < 1 - 0.0331 * x * x * x * x || log(max(u, .leastNonzeroMagnitude)) < 0.5 * x * x + d * (1 - v + log(v)) {
                return d * v * scale
            }
        }
    }
}

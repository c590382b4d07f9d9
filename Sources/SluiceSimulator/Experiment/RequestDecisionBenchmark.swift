public import SluiceCore
import SluiceEngineModel

/// Times a request-level policy's decision alone (no simulation), as `sluice bench --request-decision` reports it:
/// a queue of `queueLength` requests (half code-like, end-to-end SLO; half chat-like, TTFT + TPOT SLOs; lengths drawn
/// from a seeded generator), an engine holding `liveRequests`, and each decision made after one request left the front
/// and a new one arrived at the back — the steady state of a busy instance.
public struct RequestDecisionBenchmark: Sendable {
    /// Timing of one configuration.
    public struct Result: Sendable {
        /// Queue length.
        public var queueLength: Int
        /// Decisions timed.
        public var decisions: Int
        /// Median decision time, microseconds.
        public var p50Microseconds: Double
        /// 99th percentile, microseconds.
        public var p99Microseconds: Double
        /// Mean annealing moves evaluated per decision (`sa-slo` only; 0 otherwise).
        public var evaluationsPerDecision: Double
    }

    /// Policy name.
    public var policy: String
    /// Options of the policy.
    public var options: SchedulerOptions
    /// Requests in the engine.
    public var liveRequests: Int
    /// Decisions timed per queue length.
    public var decisions: Int
    /// Seed.
    public var seed: UInt64

    /// Creates the benchmark.
    public init(policy: String, options: SchedulerOptions = SchedulerOptions(), liveRequests: Int = 128, decisions: Int = 5000, seed: UInt64 = 1) {
        self.policy = policy
        self.options = options
        self.liveRequests = liveRequests
        self.decisions = decisions
        self.seed = seed
    }

    /// Runs it for a queue of `queueLength` on `deployment`. - Throws: ``SluiceError`` for an unknown policy or option.
    public func run(queueLength: Int, deployment: Deployment) throws(SluiceError) -> Result {
        var policy = try RequestPolicyRegistry.entry(named: self.policy).instantiate(seed: seed, options: options)
        let predictor = LatencyPredictor(stepModel: RooflineStepTimeModel(deployment: deployment))
        var rng = SplitMix64(seed: seed)
        var nextID = 0
        var now = 0.0
        func request() -> QueuedRequest {
            defer { nextID += 1 }
            let code = rng.nextUnit() < 0.5
            let targets = code ? SLOTargets(e2eSeconds: 4) : SLOTargets(ttftSeconds: 1, tpotSeconds: 0.1)
            let prompt = 100 + Int(rng.next() % 3000)
            let output = code ? 5 + Double(rng.next() % 60) : 50 + Double(rng.next() % 800)
            return QueuedRequest(
                requestID: nextID, handle: nextID, arrivalSeconds: now, promptTokens: prompt, predictedOutputTokens: output,
                sloClass: code ? 0 : 1, targets: targets)
        }
        var queue: [QueuedRequest] = []
        queue.reserveCapacity(queueLength + 1)
        for _ in 0..<queueLength {
            now += 0.05
            queue.append(request())
        }
        var load = InstanceLoad(
            nowSeconds: now, liveRequests: liveRequests, liveRemainingTokens: Double(liveRequests) * 200, livePendingPrefillTokens: 0,
            maxConcurrency: max(liveRequests, 1))
        _ = policy.decide(&queue, load: load, predictor: predictor)
        var times = LatencyHistogram()
        var evaluations = 0
        for _ in 0..<decisions {
            queue.removeFirst()
            now += 0.05
            queue.append(request())
            load.nowSeconds = now
            let start = monotonicSeconds()
            _ = policy.decide(&queue, load: load, predictor: predictor)
            times.record(monotonicSeconds() - start)
            if let sa = policy as? AnnealingOrderPolicy { evaluations += sa.lastEvaluations }
        }
        return Result(
            queueLength: queueLength, decisions: decisions, p50Microseconds: times.percentile(50) * 1e6,
            p99Microseconds: times.percentile(99) * 1e6, evaluationsPerDecision: Double(evaluations) / Double(max(decisions, 1)))
    }
}

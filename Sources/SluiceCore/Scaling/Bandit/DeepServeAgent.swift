/// `bandit`: a DeepServe++-style contextual-bandit controller for a serverless pool ("DeepServe: SLO-Aware and
/// Cost-Aware Elastic Scheduling for Serverless Multi-Tenant LLM Inference", Research Square preprint
/// 10.21203/rs.3.rs-9317057/v1; only its abstract is public, so everything below is Sluice's design following
/// ALGORITHMS.md §3.3 and issue 16).
///
/// **Scaling is Knative plus learned knobs.** The pool is sized by Knative's concurrency autoscaler
/// (``ConcurrencyTargetAutoscaler``: stable and panic windows, scale-down delay, on its 2 s tick) whose concurrency
/// target and scale-down delay (keep-alive), plus a number of warm standby replicas, form one *joint* scaling arm chosen
/// every `segmentSeconds` by one ``LinearBandit``. The default arm (target 32, no standby, 60 s delay) *is* the Knative
/// policy Sluice compares against, so the agent starts from it and prefers it on ties.
///
/// **Credit for what a decision causes.** A scaling arm is rewarded with the discounted mean of the segment rewards
/// over its effect horizon (cold start plus the longest keep-alive; ``DelayedCreditLedger``): the SLO attainment of
/// the requests that arrived in each segment minus `costWeight` × the GPU time billed during it (integrated over the
/// segment, not sampled at its end). The engine knobs (max batch size, prefix-cache eviction) change throughput and so
/// the pool size Knative's rule asks for: their bandits learn from the same return.
///
/// **Guardrail.** While requests wait for a replica or the recent SLO attainment is below `guardrailAttainment`, the
/// pool is never smaller than what the Knative policy (default parameters, same history) would provision;
/// ``guardrailOverrides`` counts the ticks where it had to step in.
public struct DeepServeAgent: Autoscaler {
    /// The knobs and their options.
    public struct Parameters: Sendable, Hashable {
        /// Knative's tick: seconds between pool sizings.
        public var tickSeconds = 2.0
        /// Seconds between arm choices (a decision segment).
        public var segmentSeconds = 10.0
        /// λ: weight of the normalised cost against SLO attainment.
        public var costWeight = 0.5
        /// A cost budget in USD per hour for the pool: λ then grows while spending exceeds it and shrinks below it.
        public var costBudgetUSDPerHour: Double? = nil
        /// Step of λ's adaptation per segment, as a fraction of the relative overspend.
        public var costWeightStep = 0.05
        /// Segments to wait after a decision's horizon for its requests to finish before it is learned from.
        public var outcomeLagSegments = 6
        /// Effect horizon beyond the longest keep-alive: the cold start is added at run time, seconds.
        public var extraHorizonSeconds = 0.0
        /// γ per segment within the horizon.
        public var horizonDiscount = 0.97
        /// Concurrency targets per replica (Knative's `target`).
        public var concurrencyTargets = [16.0, 32, 64]
        /// Warm replicas kept beyond Knative's recommendation while there is traffic.
        public var warmStandby = [0, 1]
        /// Knative's scale-down delay (keep-alive), seconds.
        public var keepAliveSeconds = [30.0, 60, 180]
        /// Engine max batch sizes (running sequences).
        public var maxBatchSizes = [64, 128, 256]
        /// Prefix-cache eviction policies.
        public var evictionPolicies = PrefixCache.EvictionPolicy.allCases
        /// The scaling arm tried first and preferred on ties: Knative's defaults (target 32, no standby, 60 s delay).
        public var defaultConcurrency = ConcurrencyTargetAutoscaler.Parameters().targetConcurrency
        /// Standby of the default arm (Knative keeps none).
        public var defaultStandby = 0
        /// Keep-alive of the default arm (Knative's scale-down delay).
        public var defaultKeepAliveSeconds = ConcurrencyTargetAutoscaler.Parameters().scaleDownDelaySeconds
        /// Engine defaults: vLLM's max batch (256) and LRU eviction.
        public var defaultMaxBatch = 256
        /// SLO attainment below which the guardrail holds the pool at Knative's size or more.
        public var guardrailAttainment = 0.95
        /// The learner.
        public var bandit = LinearBandit.Parameters()
        /// The defaults.
        public init() { bandit.explorationWidth = Self.defaultExplorationWidth }
        /// LinUCB's α for the agent (`exploration`).
        public static let defaultExplorationWidth = 0.1

        /// All scaling arms: (target, standby, keep-alive), target-major.
        public var scalingArms: [(concurrency: Double, standby: Int, keepAliveSeconds: Double)] {
            concurrencyTargets.flatMap { c in warmStandby.flatMap { s in keepAliveSeconds.map { (c, s, $0) } } }
        }
    }

    /// Context features.
    public static let dimension = 13

    /// The parameters.
    public let parameters: Parameters
    private var scaling: LinearBandit
    private var batchBandit: LinearBandit
    private var evictionBandit: LinearBandit
    private var credit: DelayedCreditLedger?
    private var engineRecords: [(segment: Int, context: [Double], batch: Int, eviction: Int)] = []
    private var knob: ConcurrencyTargetAutoscaler
    private var knative = ConcurrencyTargetAutoscaler()
    private var scalingArm: Int
    private var batchArm: Int
    private var evictionArm = 0
    private var segment = -1
    private var costWeight: Double
    private var rateScale = 1.0
    private var lastTickSeconds: Double?
    /// Decisions (segments) whose return was learned.
    public private(set) var updates = 0
    /// Ticks at which the guardrail raised the learned size to Knative's.
    public private(set) var guardrailOverrides = 0
    /// Ticks decided.
    public private(set) var ticks = 0
    private var ticksByArm: [Int]

    /// `bandit`.
    public var name: String { "bandit" }
    /// Knative's tick.
    public var epochSeconds: Double { parameters.tickSeconds }

    /// Creates the agent.
    public init(parameters: Parameters = Parameters(), seed: UInt64) {
        self.parameters = parameters
        costWeight = parameters.costWeight
        let arms = parameters.scalingArms
        scalingArm = Self.defaultArm(parameters)
        batchArm = parameters.maxBatchSizes.firstIndex(of: parameters.defaultMaxBatch) ?? parameters.maxBatchSizes.count - 1
        ticksByArm = Array(repeating: 0, count: arms.count)
        scaling = LinearBandit(arms: arms.count, dimension: Self.dimension, parameters: parameters.bandit, seed: seed)
        batchBandit = LinearBandit(arms: parameters.maxBatchSizes.count, dimension: Self.dimension, parameters: parameters.bandit, seed: seed &+ 1)
        evictionBandit = LinearBandit(arms: parameters.evictionPolicies.count, dimension: Self.dimension, parameters: parameters.bandit, seed: seed &+ 2)
        knob = ConcurrencyTargetAutoscaler()
        knative.parameters.tickSeconds = parameters.tickSeconds
        knob.parameters.tickSeconds = parameters.tickSeconds
    }

    /// The options in force: concurrency target, standby, keep-alive, max batch, eviction policy.
    public var currentArms: (concurrency: Double, standby: Int, keepAliveSeconds: Double, maxBatch: Int, eviction: PrefixCache.EvictionPolicy) {
        let s = parameters.scalingArms[scalingArm]
        return (s.concurrency, s.standby, s.keepAliveSeconds, parameters.maxBatchSizes[batchArm], parameters.evictionPolicies[evictionArm])
    }

    /// The engine settings of the current arms.
    public var engineSettings: EngineSettings? {
        EngineSettings(maxRunningSequences: currentArms.maxBatch, evictionPolicy: currentArms.eviction)
    }

    /// The normalised context of a pool state (all features in [0, 1], the first a bias).
    public mutating func context(_ s: PoolState) -> [Double] {
        rateScale = max(rateScale, s.arrivalRatePerSecond)
        let replicas = Double(max(s.maxReplicas, 1))
        func unit(_ v: Double) -> Double { min(max(v, 0), 1) }
        return [
            1, unit(s.arrivalRatePerSecond / rateScale), unit(s.arrivalCV / 3), unit(Double(s.inFlightRequests) / (replicas * 64)),
            s.pendingRequests > 0 ? 1 : 0, unit(s.kvUtilization), unit(Double(s.warm) / replicas), unit(Double(s.loading) / replicas),
            s.recentSLOAttainment ?? 1, unit(s.prefixHitRatio), unit(s.meanPromptTokens / 4096), unit(s.meanPredictedOutputTokens / 1024),
            unit(s.fragmentation),
        ]
    }

    /// Bills the last tick, starts a segment (learning from settled ones, choosing arms) when one is due, and sizes
    /// the pool with Knative's rule under the chosen arm, never below Knative's own size while SLOs slip.
    public mutating func desiredReplicas(_ state: PoolState) -> Int {
        ticks += 1
        let now = state.nowSeconds
        let maxReplicas = Double(max(state.maxReplicas, 1))
        if var ledger = credit, let last = lastTickSeconds {
            let billed = Double(state.warm + state.loading + state.draining) * (now - last)
            ledger.bill(costShare: billed / (maxReplicas * parameters.segmentSeconds))
            credit = ledger
        }
        lastTickSeconds = now
        let index = Int((now / parameters.segmentSeconds).rounded(.down))
        if index != segment { startSegment(index, state) }
        let arm = parameters.scalingArms[scalingArm]
        ticksByArm[scalingArm] += 1
        knob.parameters.targetConcurrency = arm.concurrency
        knob.parameters.scaleDownDelaySeconds = arm.keepAliveSeconds
        var want = knob.desiredReplicas(state)
        if want > 0 { want += arm.standby }
        let knativeWant = knative.desiredReplicas(state)
        let slipping = state.pendingRequests > 0 || (state.recentSLOAttainment ?? 1) < parameters.guardrailAttainment
        if slipping && want < knativeWant {
            want = knativeWant
            guardrailOverrides += 1
        }
        return want
    }

    private mutating func startSegment(_ index: Int, _ state: PoolState) {
        segment = index
        if credit == nil {
            let longest = parameters.keepAliveSeconds.max() ?? 60
            let horizon = Int(((state.coldStartSeconds + longest + parameters.extraHorizonSeconds) / parameters.segmentSeconds).rounded(.up))
            credit = DelayedCreditLedger(
                horizonSegments: max(1, horizon), outcomeLagSegments: parameters.outcomeLagSegments, discount: parameters.horizonDiscount)
        }
        adaptCostWeight(state)
        learn(current: index)
        let x = context(state)
        scalingArm = scaling.choose(x, preferred: Self.defaultArm(parameters))
        // No KV mask on the batch size: the old filter (batch × mean tokens within one replica's cache) forbade vLLM's
        // default of 256 on long-prompt traffic, and the smaller batches it forced cost 2-8 points of SLO attainment
        // at the same GPU hours; the engine's own preemption handles KV pressure.
        batchArm = batchBandit.choose(x, preferred: parameters.maxBatchSizes.firstIndex(of: parameters.defaultMaxBatch))
        evictionArm = evictionBandit.choose(x, preferred: 0)
        credit?.open(index: index, context: x, arm: scalingArm)
        engineRecords.append((index, x, batchArm, evictionArm))
    }

    /// Ticks, learned decisions, guardrail overrides and the share of ticks each scaling arm was in force.
    public var decisionReport: AutoscalerDecisionReport? {
        var r = AutoscalerDecisionReport()
        r.ticks = ticks
        r.updates = updates
        r.guardrailOverrides = guardrailOverrides
        for (i, a) in parameters.scalingArms.enumerated() where ticksByArm[i] > 0 {
            let name = "target \(Int(a.concurrency)), standby \(a.standby), keep-alive \(Int(a.keepAliveSeconds)) s"
            r.armShares[name] = Double(ticksByArm[i]) / Double(max(ticks, 1))
        }
        return r
    }

    /// The index of the Knative arm among `p.scalingArms` (the first arm when the lists do not hold it).
    static func defaultArm(_ p: Parameters) -> Int {
        p.scalingArms.firstIndex { $0.concurrency == p.defaultConcurrency && $0.standby == p.defaultStandby && $0.keepAliveSeconds == p.defaultKeepAliveSeconds } ?? 0
    }

    /// Attributes a finished request to the segment it arrived in (`epoch` counts ticks).
    public mutating func observe(admittedAtEpoch epoch: Int, sloMet: Bool) {
        let index = Int((Double(epoch) * parameters.tickSeconds / parameters.segmentSeconds).rounded(.down))
        credit?.observe(arrivedInSegment: index, sloMet: sloMet)
    }

    private mutating func learn(current: Int) {
        guard var ledger = credit else { return }
        for s in ledger.settle(current: current, costWeight: costWeight) {
            // Raw returns, no running-mean baseline: an untried arm's estimate stays at 0, below any arm that earns SLO
            // attainment, so only the confidence bonus (`exploration`) moves the agent off the Knative arm; with a
            // baseline, every below-average segment of the default arm made untried arms look better (issue 16).
            scaling.update(arm: s.arm, context: s.context, reward: s.value)
            // The engine knobs change throughput, so what they cost shows up in the pool's size over the same horizon:
            // they learn from the same return, not from their segment's attainment alone (which favoured small batches
            // that need more replicas).
            while let first = engineRecords.first, first.segment <= s.index {
                engineRecords.removeFirst()
                guard first.segment == s.index else { continue }
                batchBandit.update(arm: first.batch, context: first.context, reward: s.value)
                evictionBandit.update(arm: first.eviction, context: first.context, reward: s.value)
            }
            updates += 1
        }
        credit = ledger
    }

    private mutating func adaptCostWeight(_ state: PoolState) {
        guard let budget = parameters.costBudgetUSDPerHour, budget > 0 else { return }
        let spending = Double(state.warm + state.loading + state.draining) * state.pricePerHourUSD
        costWeight = max(0, costWeight + parameters.costWeightStep * (spending - budget) / budget)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `bandit`: a DeepServe++-style contextual-bandit controller for a serverless pool ("DeepServe: SLO-Aware and
/// Cost-Aware Elastic Scheduling for Serverless Multi-Tenant LLM Inference", Research Square preprint
/// 10.21203/rs.3.rs-9317057/v1; only its abstract is public, so everything below is Sluice's design following
/// ALGORITHMS.md §3.3).
///
/// Every epoch it reads a normalised context (load, burstiness, queueing, KV use, warm/loading replicas, recent SLO
/// attainment, prefix-cache hit ratio, prompt and predicted output lengths, GPU memory fragmentation) and picks one option per knob — the
/// concurrency target per replica, warm standby replicas, keep-alive, the engine's max batch size and the prefix-cache
/// eviction policy — with one ``LinearBandit`` per knob (factored, so learning does not wait on a 288-arm product).
/// Provisioned replicas = ⌈in-flight requests / concurrency target⌉ + standby, held for the keep-alive before scaling
/// down. A safety filter forbids batch sizes whose KV (batch × mean prompt-plus-output tokens) exceeds one replica's
/// cache. The reward of an epoch is the SLO attainment of the requests that arrived in it (attributed when they finish,
/// up to `rewardHorizonEpochs` later) minus `costWeight` × the pool's cost in that epoch as a share of its maximum;
/// `costWeight` can adapt to a cost budget.
public struct DeepServeAgent: Autoscaler {
    /// The knobs and their options.
    public struct Parameters: Sendable, Hashable {
        /// Decision epoch, seconds.
        public var epochSeconds = 10.0
        /// λ: weight of the normalised cost against SLO attainment.
        public var costWeight = 0.5
        /// A cost budget in USD per hour for the pool: λ then grows while spending exceeds it and shrinks below it.
        public var costBudgetUSDPerHour: Double? = nil
        /// Step of λ's adaptation per epoch, as a fraction of the relative overspend.
        public var costWeightStep = 0.05
        /// Epochs after which an epoch's reward is settled with the outcomes known by then.
        public var rewardHorizonEpochs = 6
        /// In-flight requests per replica to aim for.
        public var concurrencyTargets = [8.0, 16, 32, 64]
        /// Warm replicas kept beyond the need.
        public var warmStandby = [0, 1, 2]
        /// Keep-alive before scaling down, seconds.
        public var keepAliveSeconds = [10.0, 60, 240]
        /// Engine max batch sizes (running sequences).
        public var maxBatchSizes = [32, 64, 128, 256]
        /// Prefix-cache eviction policies.
        public var evictionPolicies = PrefixCache.EvictionPolicy.allCases
        /// The configuration tried first and preferred on ties (indices into the option lists): concurrency 32,
        /// one standby, 60 s keep-alive, batch 256, LRU — Knative-like defaults.
        public var defaultArms = [2, 1, 1, 3, 0]
        /// SLO attainment below which the pool never shrinks (a safety filter on scaling down).
        public var scaleDownFloorAttainment = 0.95
        /// The learner.
        public var bandit = LinearBandit.Parameters()
        /// The defaults.
        public init() {}
    }

    private struct EpochRecord: Sendable {
        var epoch: Int
        var context: [Double]
        var arms: [Int]
        var finished = 0
        var met = 0
        var costShare = 0.0
    }

    /// Context features.
    public static let dimension = 13

    /// The parameters.
    public let parameters: Parameters
    private var bandits: [LinearBandit]
    private var records: [EpochRecord] = []
    private var arms: [Int]
    private var costWeight: Double
    private var rateScale = 1.0
    private var needs: [(seconds: Double, replicas: Int)] = []
    /// Epochs whose reward was learned.
    public private(set) var updates = 0
    private var rewardBaseline = 0.0
    /// Weight of the newest epoch in the running mean reward the bandits learn against.
    public static let baselineSmoothing = 0.05

    /// `bandit`.
    public var name: String { "bandit" }
    /// The epoch.
    public var epochSeconds: Double { parameters.epochSeconds }

    /// Creates the agent.
    public init(parameters: Parameters = Parameters(), seed: UInt64) {
        self.parameters = parameters
        costWeight = parameters.costWeight
        let sizes = [
            parameters.concurrencyTargets.count, parameters.warmStandby.count, parameters.keepAliveSeconds.count,
            parameters.maxBatchSizes.count, parameters.evictionPolicies.count,
        ]
        bandits = sizes.enumerated().map { k, n in
            LinearBandit(arms: n, dimension: Self.dimension, parameters: parameters.bandit, seed: seed &+ UInt64(k))
        }
        arms = sizes.map { _ in 0 }
    }

    /// The options in force: concurrency target, standby, keep-alive, max batch, eviction policy.
    public var currentArms: (concurrency: Double, standby: Int, keepAliveSeconds: Double, maxBatch: Int, eviction: PrefixCache.EvictionPolicy) {
        let p = parameters
        return (p.concurrencyTargets[arms[0]], p.warmStandby[arms[1]], p.keepAliveSeconds[arms[2]], p.maxBatchSizes[arms[3]], p.evictionPolicies[arms[4]])
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

    /// Learns from settled epochs, picks the arms for this one and sizes the pool.
    public mutating func desiredReplicas(_ state: PoolState) -> Int {
        let epoch = Int((state.nowSeconds / parameters.epochSeconds).rounded(.down))
        // The epoch that just ended cost what was provisioned during it.
        let share = Double(state.warm + state.loading + state.draining) / Double(max(state.maxReplicas, 1))
        if let last = records.indices.last { records[last].costShare = share }
        adaptCostWeight(state)
        settle(before: epoch - parameters.rewardHorizonEpochs)
        let x = context(state)
        let kvPerSequence = max(state.meanPromptTokens + state.meanPredictedOutputTokens, 1)
        let allowedBatch = parameters.maxBatchSizes.map { Double($0) * kvPerSequence <= Double(state.kvCapacityTokens) || state.kvCapacityTokens == 0 }
        for k in bandits.indices {
            let mask: [Bool]? = k == 3 ? (allowedBatch.contains(true) ? allowedBatch : nil) : nil
            let preferred = k < parameters.defaultArms.count ? parameters.defaultArms[k] : nil
            arms[k] = bandits[k].choose(x, allowed: mask, preferred: preferred)
        }
        records.append(EpochRecord(epoch: epoch, context: x, arms: arms))
        let a = currentArms
        var need = Int((Double(state.inFlightRequests) / a.concurrency).rounded(.up))
        if need > 0 || state.pendingRequests > 0 { need = max(need, 1) + a.standby }
        // Keep-alive: the highest need of the last keep-alive seconds.
        needs.append((state.nowSeconds, need))
        needs.removeAll { $0.seconds < state.nowSeconds - a.keepAliveSeconds }
        var desired = needs.map(\.replicas).max() ?? need
        // Safety filter: no shrinking while requests wait for a replica or SLOs are being missed.
        if state.pendingRequests > 0 || (state.recentSLOAttainment ?? 1) < parameters.scaleDownFloorAttainment {
            desired = max(desired, state.provisioned)
        }
        return desired
    }

    /// Attributes a finished request to the epoch it arrived in.
    public mutating func observe(admittedAtEpoch epoch: Int, sloMet: Bool) {
        guard let i = records.lastIndex(where: { $0.epoch == epoch }) else { return }
        records[i].finished += 1
        if sloMet { records[i].met += 1 }
    }

    private mutating func settle(before epoch: Int) {
        while let first = records.first, first.epoch < epoch {
            records.removeFirst()
            guard first.finished > 0 else { continue }  // nothing arrived: no evidence about the arms
            let reward = Double(first.met) / Double(first.finished) - costWeight * first.costShare
            // Learn the advantage over the running mean reward: untried arms (estimate 0) then sit at the mean, not
            // far below it, so exploration is not starved by a good first arm.
            if updates == 0 { rewardBaseline = reward }
            for k in bandits.indices { bandits[k].update(arm: first.arms[k], context: first.context, reward: reward - rewardBaseline) }
            rewardBaseline += Self.baselineSmoothing * (reward - rewardBaseline)
            updates += 1
        }
    }

    private mutating func adaptCostWeight(_ state: PoolState) {
        guard let budget = parameters.costBudgetUSDPerHour, budget > 0 else { return }
        let spending = Double(state.warm + state.loading + state.draining) * state.pricePerHourUSD
        costWeight = max(0, costWeight + parameters.costWeightStep * (spending - budget) / budget)
    }
}

/// Decides, every epoch, how many replicas a pool should have provisioned (warm + loading). The host clamps the answer
/// to the pool's bounds, starts cold replicas (they load, billed, before serving) and drains warm ones (they finish
/// their requests, take no new ones, then go cold).
public protocol Autoscaler: Sendable {
    /// Registered name.
    var name: String { get }
    /// Seconds between decisions.
    var epochSeconds: Double { get }
    /// The replicas the pool should have provisioned.
    mutating func desiredReplicas(_ state: PoolState) -> Int
    /// Told, for each request that ended, the epoch it arrived in (epoch k covers `[k, k+1) × epochSeconds`) and whether
    /// it met its SLO: learning autoscalers attribute late outcomes to the decision in force at admission. Default: ignored.
    mutating func observe(admittedAtEpoch epoch: Int, sloMet: Bool)
    /// Engine settings the autoscaler wants on the pool's replicas now (`nil`: leave them).
    var engineSettings: EngineSettings? { get }
    /// What a learning autoscaler did over its run (`nil`: nothing to report).
    var decisionReport: AutoscalerDecisionReport? { get }
}

/// What a learning autoscaler did: how often each configuration was in force, how many decisions it learned from and
/// how often its guardrail overrode it (issue 16 asks for the last).
public struct AutoscalerDecisionReport: Sendable, Hashable, Codable {
    /// Sizing decisions (ticks).
    public var ticks = 0
    /// Decisions whose return was learned.
    public var updates = 0
    /// Ticks at which the guardrail raised the learned size to the reference policy's.
    public var guardrailOverrides = 0
    /// Share of ticks each scaling configuration was in force, by its description.
    public var armShares: [String: Double] = [:]
    /// Creates an empty report.
    public init() {}
}

/// Engine settings an autoscaler may change at run time.
public struct EngineSettings: Sendable, Hashable {
    /// Cap on running sequences (vLLM `max_num_seqs`), at most the deployment's.
    public var maxRunningSequences: Int?
    /// Prefix-cache eviction policy.
    public var evictionPolicy: PrefixCache.EvictionPolicy?
    /// Creates settings.
    public init(maxRunningSequences: Int? = nil, evictionPolicy: PrefixCache.EvictionPolicy? = nil) {
        self.maxRunningSequences = maxRunningSequences
        self.evictionPolicy = evictionPolicy
    }
}

extension Autoscaler {
    /// Default: nothing to learn.
    public mutating func observe(admittedAtEpoch epoch: Int, sloMet: Bool) {}
    /// Default: none.
    public var engineSettings: EngineSettings? { nil }
    /// Default: none.
    public var decisionReport: AutoscalerDecisionReport? { nil }
}

/// A fixed number of replicas (the static configurations a sweep compares).
public struct FixedAutoscaler: Autoscaler {
    /// The count.
    public let replicas: Int
    /// `fixed`.
    public var name: String { "fixed" }
    /// Decisions are trivial; one a minute.
    public var epochSeconds: Double { 60 }
    /// Creates it.
    public init(replicas: Int) { self.replicas = replicas }
    /// Always `replicas`.
    public func desiredReplicas(_ state: PoolState) -> Int { replicas }
}

/// Knative's concurrency-target autoscaler (KPA, `knative.dev/serving` autoscaler docs): desired replicas =
/// ⌈average in-flight requests over the stable window / target per replica⌉; when the panic window's average asks for
/// at least `panicThreshold` × the current replicas, it scales up on the panic average and does not scale down until
/// the stable window has passed; it keeps the highest recommendation of the last `scaleDownDelaySeconds` (keep-alive)
/// and scales to zero only after `scaleToZeroGraceSeconds` without traffic.
public struct ConcurrencyTargetAutoscaler: Autoscaler {
    /// Knative's knobs (defaults from its config-autoscaler, except the target, which suits LLM engines).
    public struct Parameters: Sendable, Hashable {
        /// In-flight requests per replica to aim for (Knative's `container-concurrency-target-default` is 100 for web
        /// services; an LLM engine at 32 concurrent requests keeps TTFT low).
        public var targetConcurrency = 32.0
        /// Stable window, seconds (`stable-window`, 60 s).
        public var stableWindowSeconds = 60.0
        /// Panic window, seconds (`panic-window-percentage` 10 % of the stable window).
        public var panicWindowSeconds = 6.0
        /// Panic when the panic window asks for this multiple of the current replicas (`panic-threshold-percentage` 200 %).
        public var panicThreshold = 2.0
        /// Keep the highest recommendation for this long before scaling down (`scale-down-delay`; keep-alive), seconds.
        public var scaleDownDelaySeconds = 60.0
        /// Idle time before scaling to zero (`scale-to-zero-grace-period`, 30 s).
        public var scaleToZeroGraceSeconds = 30.0
        /// Decision tick, seconds (the autoscaler's 2 s tick).
        public var tickSeconds = 2.0
        /// The defaults.
        public init() {}
    }

    /// The parameters (a learning controller may retune the target and the scale-down delay between ticks; the
    /// window history is kept).
    public var parameters: Parameters
    private var samples: [Double] = []  // in-flight requests, one per tick, newest last
    private var recommendations: [Int] = []
    private var panicUntilSeconds = -Double.infinity

    /// `concurrency`.
    public var name: String { "concurrency" }
    /// The tick.
    public var epochSeconds: Double { parameters.tickSeconds }

    /// Creates it.
    public init(parameters: Parameters = Parameters()) { self.parameters = parameters }

    private func average(lastSeconds: Double) -> Double {
        let n = min(samples.count, max(1, Int((lastSeconds / parameters.tickSeconds).rounded())))
        guard n > 0 else { return 0 }
        return samples.suffix(n).reduce(0, +) / Double(n)
    }

    /// The Knative recommendation.
    public mutating func desiredReplicas(_ state: PoolState) -> Int {
        let p = parameters
        samples.append(Double(state.inFlightRequests))
        let keep = Int((max(p.stableWindowSeconds, p.scaleDownDelaySeconds) / p.tickSeconds).rounded()) + 1
        if samples.count > keep { samples.removeFirst(samples.count - keep) }
        let stable = Int((average(lastSeconds: p.stableWindowSeconds) / p.targetConcurrency).rounded(.up))
        let panic = Int((average(lastSeconds: p.panicWindowSeconds) / p.targetConcurrency).rounded(.up))
        var want = stable
        if Double(panic) >= p.panicThreshold * Double(max(state.provisioned, 1)) && panic > state.provisioned {
            panicUntilSeconds = state.nowSeconds + p.stableWindowSeconds
        }
        if state.nowSeconds < panicUntilSeconds { want = max(panic, state.provisioned) }
        // Scale-down delay: the highest recommendation of the window.
        recommendations.append(want)
        let window = Int((p.scaleDownDelaySeconds / p.tickSeconds).rounded()) + 1
        if recommendations.count > window { recommendations.removeFirst(recommendations.count - window) }
        want = recommendations.max() ?? want
        if state.pendingRequests > 0 { want = max(want, 1) }  // the activator wakes a scaled-to-zero pool
        if want == 0 && state.idleSeconds < p.scaleToZeroGraceSeconds { want = max(1, min(state.provisioned, 1)) }
        return want
    }
}

/// A queue- and SLO-driven autoscaler: one more replica when requests wait for one, the recent SLO attainment is below
/// target or KV use is high; one fewer after the pool has been quiet (low KV use, SLOs met) for `keepAliveSeconds`;
/// zero after `keepAliveSeconds` without traffic.
public struct QueueSLOAutoscaler: Autoscaler {
    /// The knobs.
    public struct Parameters: Sendable, Hashable {
        /// SLO attainment below which the pool grows.
        public var targetAttainment = 0.95
        /// KV use above which the pool grows.
        public var highKVUtilization = 0.85
        /// KV use below which the pool may shrink.
        public var lowKVUtilization = 0.3
        /// Quiet time before a replica is released, seconds.
        public var keepAliveSeconds = 60.0
        /// Decision epoch, seconds.
        public var epochSeconds = 5.0
        /// The defaults.
        public init() {}
    }

    /// The parameters.
    public let parameters: Parameters
    private var quietSinceSeconds = Double.nan

    /// `queue-slo`.
    public var name: String { "queue-slo" }
    /// The epoch.
    public var epochSeconds: Double { parameters.epochSeconds }

    /// Creates it.
    public init(parameters: Parameters = Parameters()) { self.parameters = parameters }

    /// One step up or down.
    public mutating func desiredReplicas(_ state: PoolState) -> Int {
        let p = parameters
        let strained = state.pendingRequests > 0 || state.kvUtilization > p.highKVUtilization
            || (state.recentSLOAttainment.map { $0 < p.targetAttainment } ?? false)
        if strained {
            quietSinceSeconds = .nan
            return state.loading > 0 ? state.provisioned : state.provisioned + 1
        }
        let quiet = state.kvUtilization < p.lowKVUtilization || state.inFlightRequests == 0
        guard quiet else {
            quietSinceSeconds = .nan
            return state.provisioned
        }
        if quietSinceSeconds.isNaN { quietSinceSeconds = state.nowSeconds }
        guard state.nowSeconds - quietSinceSeconds >= p.keepAliveSeconds else { return state.provisioned }
        quietSinceSeconds = state.nowSeconds
        if state.inFlightRequests == 0 && state.idleSeconds >= p.keepAliveSeconds { return 0 }
        return max(state.provisioned - 1, state.inFlightRequests > 0 ? 1 : 0)
    }
}

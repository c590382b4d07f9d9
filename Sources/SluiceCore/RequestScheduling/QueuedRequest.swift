/// What an SLO asks of a request (Huang et al., "SLO-Aware Scheduling for Large Language Model Inferences",
/// arXiv 2504.14966, §2.1 of ALGORITHMS.md: h_i = 1 for end-to-end, 0 for interactivity).
public enum SLOKind: String, Sendable, Hashable, Codable {
    /// The whole answer by a deadline (code generation, batch analysis): only `e2e` counts.
    case endToEnd = "e2e"
    /// Interactivity (chat): the first token by `ttft`, then tokens at `tpot`/`tbt`.
    case interactive
}

extension SLOTargets {
    /// The kind the targets express: end-to-end when only `e2e` is set, interactive otherwise.
    public var kind: SLOKind {
        e2eSeconds != nil && ttftSeconds == nil && tpotSeconds == nil && tbtSeconds == nil ? .endToEnd : .interactive
    }
}

/// A request waiting in an instance's queue in front of the engine, as a request-level policy sees it.
///
/// Targets that the request's SLO class leaves unset are `+∞`. Predictions are the policy's latency predictor's
/// latest estimate (absolute times, seconds), filled at each decision.
public struct QueuedRequest: Sendable, Hashable {
    /// Request id.
    public var requestID: Int
    /// The host's handle for the full request.
    public var handle: Int
    /// Arrival time, seconds.
    public var arrivalSeconds: Double
    /// Prompt length, tokens.
    public var promptTokens: Int
    /// Predicted output length, tokens (at least 1).
    public var predictedOutputTokens: Double
    /// SLO class index.
    public var sloClass: Int
    /// What the SLO asks.
    public var kind: SLOKind
    /// TTFT target, seconds (`+∞` when unset).
    public var ttftTargetSeconds: Double
    /// Per-token target (the smaller of TPOT and TBT), seconds (`+∞` when unset).
    public var tokenTargetSeconds: Double
    /// End-to-end target, seconds (`+∞` when unset).
    public var e2eTargetSeconds: Double
    /// Predicted time of the first token, seconds (NaN until predicted).
    public var predictedFirstTokenSeconds = Double.nan
    /// Predicted completion time, seconds (NaN until predicted).
    public var predictedFinishSeconds = Double.nan

    /// Creates a queued request from its SLO targets.
    public init(
        requestID: Int, handle: Int, arrivalSeconds: Double, promptTokens: Int, predictedOutputTokens: Double, sloClass: Int,
        targets: SLOTargets
    ) {
        self.requestID = requestID
        self.handle = handle
        self.arrivalSeconds = arrivalSeconds
        self.promptTokens = promptTokens
        self.predictedOutputTokens = max(1, predictedOutputTokens)
        self.sloClass = sloClass
        kind = targets.kind
        ttftTargetSeconds = targets.ttftSeconds ?? .infinity
        tokenTargetSeconds = min(targets.tpotSeconds ?? .infinity, targets.tbtSeconds ?? .infinity)
        e2eTargetSeconds = targets.e2eSeconds ?? .infinity
    }

    /// The deadline earliest-deadline-first orders by: the first token's for interactive requests, the answer's for
    /// end-to-end ones, `+∞` without a target.
    @inlinable
    public var deadlineSeconds: Double {
        switch kind {
        case .interactive: arrivalSeconds + ttftTargetSeconds
        case .endToEnd: arrivalSeconds + e2eTargetSeconds
        }
    }
}

/// What a request-level policy knows of the instance behind its queue at a decision.
public struct InstanceLoad: Sendable, Hashable {
    /// Decision time, seconds.
    public var nowSeconds: Double
    /// Requests already in the engine (running or in its own waiting queue).
    public var liveRequests: Int
    /// Σ over those of their predicted remaining output tokens (iterations each still occupies a slot).
    public var liveRemainingTokens: Double
    /// Σ over those of the prompt tokens not yet computed.
    public var livePendingPrefillTokens: Double
    /// The engine's cap on concurrent sequences.
    public var maxConcurrency: Int
    /// Tokens the engine's KV cache holds (`nil`: not limiting).
    public var kvCapacityTokens: Int?
    /// Σ prompt tokens of the requests in the engine (with their outputs, the mix that sets how much prefill work
    /// rides along each iteration).
    public var livePromptTokens: Double = 0
    /// Σ predicted output tokens of the requests in the engine.
    public var liveOutputTokens: Double = 0

    /// Creates a load snapshot.
    public init(
        nowSeconds: Double, liveRequests: Int, liveRemainingTokens: Double, livePendingPrefillTokens: Double, maxConcurrency: Int,
        kvCapacityTokens: Int? = nil
    ) {
        self.kvCapacityTokens = kvCapacityTokens
        self.nowSeconds = nowSeconds
        self.liveRequests = liveRequests
        self.liveRemainingTokens = liveRemainingTokens
        self.livePendingPrefillTokens = livePendingPrefillTokens
        self.maxConcurrency = maxConcurrency
    }
}

/// What the engine and its scheduler know about one live request on a replica.
///
/// Token accounting follows vLLM v1: a sequence holds `promptTokens + generatedTokens` tokens, of which
/// `computedTokens` have their KV computed. The next step may compute up to ``remainingTokens`` of them; when
/// every token is computed, the step samples a new token (`generatedTokens += 1`). So a sequence in prefill has
/// `remainingTokens > 1` (or exactly the prompt), and a decoding sequence has `remainingTokens == 1`. Recompute
/// preemption sets `computedTokens = 0`: the prompt and every generated token are prefilled again.
///
/// The true output length is *not* here: the engine model keeps it apart, so policies cannot read it.
public struct SequenceState: Sendable, Hashable {
    /// The request id.
    public var requestID: Int
    /// Arrival time, seconds.
    public var arrivalSeconds: Double
    /// Prompt length, tokens.
    public var promptTokens: Int
    /// Tokens sampled so far.
    public var generatedTokens: Int = 0
    /// Tokens whose KV is computed.
    public var computedTokens: Int = 0
    /// KV blocks held (for reserving schedulers, the whole reservation).
    public var kvBlocks: Int = 0
    /// SLO class index.
    public var sloClass: Int
    /// Priority (larger is more important).
    public var priority: Int
    /// The request's TBT target from its SLO class, seconds (`nil` when the class sets none).
    public var tbtTargetSeconds: Double?
    /// Time of the first sampled token, seconds; `nil` before it.
    public var firstTokenSeconds: Double?
    /// Time of the latest sampled token, seconds (arrival before the first).
    public var lastTokenSeconds: Double
    /// First time the request was put in a batch, seconds; `nil` while it has only waited.
    public var firstScheduledSeconds: Double?
    /// Largest gap between consecutive tokens so far, seconds.
    public var maxGapSeconds: Double = 0
    /// Times this request was preempted.
    public var preemptions: Int = 0
    /// The latest predicted total output length, tokens (0 when no predictor is in use).
    public var predictedOutputTokens: Double = 0
    /// The prediction made at arrival, tokens (TRAIL bounds preemption by it).
    public var initialPredictedOutputTokens: Double = 0
    /// A stable hash of the tenant (0 when unknown), for per-tenant predictors.
    public var tenantKey: UInt64 = 0
    /// Whether the sequence is in the running set (admitted) rather than waiting.
    public var isRunning = false
    /// Tokens this sequence has in the batch being built (0 = not scheduled in it).
    public var scheduledTokens: Int = 0

    /// Creates the state of a newly arrived request.
    public init(request: Request, tbtTargetSeconds: Double? = nil) {
        self.tbtTargetSeconds = tbtTargetSeconds
        requestID = request.id
        arrivalSeconds = request.arrivalSeconds
        promptTokens = request.promptTokens
        sloClass = request.sloClass
        priority = request.priority
        lastTokenSeconds = request.arrivalSeconds
        tenantKey = request.tenant.map(Self.stableHash) ?? 0
    }

    /// FNV-1a of a string's UTF-8 bytes (stable across runs, unlike `hashValue`).
    public static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The prediction query for this sequence (the true length only for oracles).
    public func predictionQuery(trueOutputTokens: Int?) -> PredictionQuery {
        PredictionQuery(
            requestID: requestID, promptTokens: promptTokens, generatedTokens: generatedTokens, sloClass: sloClass,
            tenantKey: tenantKey, trueOutputTokens: trueOutputTokens)
    }

    /// Tokens the sequence holds: prompt plus generated.
    @inlinable public var totalTokens: Int { promptTokens + generatedTokens }

    /// Tokens still to compute before the next token can be sampled (1 while decoding).
    @inlinable public var remainingTokens: Int { promptTokens + generatedTokens - computedTokens }

    /// Whether the next step for this sequence is a decode (one token, after the first token).
    @inlinable public var isDecoding: Bool { generatedTokens > 0 && computedTokens == promptTokens + generatedTokens - 1 }
}

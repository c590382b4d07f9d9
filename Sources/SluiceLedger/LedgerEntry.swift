/// One finished gateway request as the cost ledger keeps it: who asked, where it ran, what it used, how long it
/// took, what it cost and whether it met its SLO.
///
/// Invariants: token counts are non-negative; `costUSD >= 0`; `ttftSeconds <= e2eSeconds` when set; `upstream` is
/// `nil` only for requests the gateway answered itself (refusals, bad input).
public struct LedgerEntry: Sendable, Hashable, Codable {
    /// The gateway's request id (also in the `x-request-id` response header).
    public var requestID: String
    /// When the request ended, seconds since 1970 (UTC).
    public var finishedAtUnixSeconds: Double
    /// Tenant (`nil`: the gateway requires no API key).
    public var tenant: String?
    /// Upstream that answered (`nil`: the gateway answered itself).
    public var upstream: String?
    /// Model asked for.
    public var model: String
    /// HTTP status the client got.
    public var status: Int
    /// Machine-readable reason of a failure (the OpenAI error `code`), `nil` on success.
    public var errorCode: String?
    /// Whether the answer was streamed (SSE).
    public var stream: Bool
    /// Prompt tokens (the engine's `usage`, else the gateway's estimate).
    public var promptTokens: Int
    /// Output tokens (the engine's `usage`, else streamed chunks counted).
    public var completionTokens: Int
    /// Seconds the request waited in the gateway for an upstream slot.
    public var queueSeconds: Double
    /// Seconds to the first streamed byte (`nil` for non-streaming answers).
    public var ttftSeconds: Double?
    /// Seconds from receipt to the last byte.
    public var e2eSeconds: Double
    /// The request's share of its upstream's GPU time, seconds (processor sharing; 0 for priced APIs).
    public var gpuSeconds: Double
    /// What it cost, USD: GPU-seconds share × price for self-hosted engines, per-token prices for priced APIs.
    public var costUSD: Double
    /// What the gateway predicted it would cost when it routed it (`nil`: no prediction yet).
    public var predictedCostUSD: Double?
    /// SLO class named by the client.
    public var sloClass: String?
    /// Whether it met the targets it carried (`nil`: it carried none).
    public var sloMet: Bool?
    /// Upstreams tried (failover makes it more than 1).
    public var attempts: Int

    /// Creates an entry.
    public init(
        requestID: String, finishedAtUnixSeconds: Double, tenant: String?, upstream: String?, model: String, status: Int,
        errorCode: String? = nil, stream: Bool = false, promptTokens: Int = 0, completionTokens: Int = 0, queueSeconds: Double = 0,
        ttftSeconds: Double? = nil, e2eSeconds: Double = 0, gpuSeconds: Double = 0, costUSD: Double = 0,
        predictedCostUSD: Double? = nil, sloClass: String? = nil, sloMet: Bool? = nil, attempts: Int = 1
    ) {
        self.requestID = requestID
        self.finishedAtUnixSeconds = finishedAtUnixSeconds
        self.tenant = tenant
        self.upstream = upstream
        self.model = model
        self.status = status
        self.errorCode = errorCode
        self.stream = stream
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.queueSeconds = queueSeconds
        self.ttftSeconds = ttftSeconds
        self.e2eSeconds = e2eSeconds
        self.gpuSeconds = gpuSeconds
        self.costUSD = costUSD
        self.predictedCostUSD = predictedCostUSD
        self.sloClass = sloClass
        self.sloMet = sloMet
        self.attempts = attempts
    }
}

/// A tenant as the tenant store keeps it (managed by `sluice tenants`): its API key only as a SHA-256.
public struct TenantRecord: Sendable, Hashable, Codable {
    /// Name (unique).
    public var name: String
    /// SHA-256 of the API key, lower-case hex (unique).
    public var keySHA256: String
    /// Budget in `usd=N,tokens=N,period=S,over=reject|downgrade` form (`nil`: unlimited).
    public var budget: String?
    /// Default SLO class of its requests (`nil`: none).
    public var sloClass: String?
    /// Requests per minute it may send to one gateway (`nil`: unlimited).
    public var requestsPerMinute: Int?

    /// Creates a record.
    public init(name: String, keySHA256: String, budget: String? = nil, sloClass: String? = nil, requestsPerMinute: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.name = name
        self.keySHA256 = keySHA256
        self.budget = budget
        self.sloClass = sloClass
    }
}

/// What a tenant spent since some time: settled cost and tokens from the ledger.
public struct Spend: Sendable, Hashable {
    /// USD.
    public var usd: Double
    /// Prompt plus output tokens.
    public var tokens: Double

    /// Creates a spend.
    public init(usd: Double = 0, tokens: Double = 0) {
        self.usd = usd
        self.tokens = tokens
    }
}

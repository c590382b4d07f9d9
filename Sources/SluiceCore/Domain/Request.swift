/// One inference request as it arrives at the fleet.
///
/// Invariants: `promptTokens >= 1`, `outputTokens >= 1`, `arrivalSeconds >= 0`.
///
/// `outputTokens` is the request's *true* output length. Only the engine model (which must know when a request
/// stops) and policies that are explicitly oracles may read it; schedulers and routers see ``SequenceState`` and
/// ``RequestInfo``, which do not carry it.
public struct Request: Sendable, Hashable {
    /// Position of the request in its workload (0-based); unique within one run.
    public var id: Int
    /// Arrival time in seconds since the start of the run.
    public var arrivalSeconds: Double
    /// Prompt (context) length in tokens.
    public var promptTokens: Int
    /// True number of output tokens this request generates (hidden from non-oracle policies).
    public var outputTokens: Int
    /// Tenant that sent the request, if known.
    public var tenant: String?
    /// Index of the request's SLO class in the run's ``SLOClassTable``.
    public var sloClass: Int
    /// Priority (larger is more important); baselines ignore it.
    public var priority: Int
    /// Hashes of the prompt's prefix blocks (equal hashes mean a shared prefix); empty when unknown.
    public var prefixBlockHashes: [UInt64]
    /// The model the request asks for (catalog name); `nil`: any replica serves it.
    public var model: String?

    /// Creates a request.
    public init(
        id: Int, arrivalSeconds: Double, promptTokens: Int, outputTokens: Int, tenant: String? = nil,
        sloClass: Int = 0, priority: Int = 0, prefixBlockHashes: [UInt64] = [], model: String? = nil
    ) {
        self.model = model
        self.id = id
        self.arrivalSeconds = arrivalSeconds
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.tenant = tenant
        self.sloClass = sloClass
        self.priority = priority
        self.prefixBlockHashes = prefixBlockHashes
    }

    /// What a non-oracle policy may know about this request at arrival (no true output length).
    public var info: RequestInfo {
        RequestInfo(id: id, arrivalSeconds: arrivalSeconds, promptTokens: promptTokens, sloClass: sloClass, priority: priority)
    }
}

/// The part of a ``Request`` that a router or admission policy may observe: everything but the true output length.
public struct RequestInfo: Sendable, Hashable {
    /// The request's id.
    public var id: Int
    /// Arrival time in seconds.
    public var arrivalSeconds: Double
    /// Prompt length in tokens.
    public var promptTokens: Int
    /// SLO class index.
    public var sloClass: Int
    /// Priority (larger is more important).
    public var priority: Int

    /// Creates the observable view of a request.
    public init(id: Int, arrivalSeconds: Double, promptTokens: Int, sloClass: Int, priority: Int) {
        self.id = id
        self.arrivalSeconds = arrivalSeconds
        self.promptTokens = promptTokens
        self.sloClass = sloClass
        self.priority = priority
    }
}

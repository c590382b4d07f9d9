public import SluiceCore

/// One row of a request trace, before arrivals are generated and SLO classes assigned.
///
/// Invariants: `promptTokens >= 1`, `outputTokens >= 1`; `arrivalSeconds` is `nil` for formats without
/// timestamps and otherwise non-decreasing within a file is *not* assumed (readers report rows as written).
public struct TraceRecord: Sendable, Hashable {
    /// 1-based line number in the file (for error messages).
    public var line: Int
    /// Arrival time in seconds relative to the file's first row, when the format has timestamps.
    public var arrivalSeconds: Double?
    /// Prompt length, tokens.
    public var promptTokens: Int
    /// True output length, tokens.
    public var outputTokens: Int
    /// Tenant, when the trace says.
    public var tenant: String?
    /// SLO class name, when the trace says.
    public var sloClassName: String?
    /// Priority, when the trace says.
    public var priority: Int?
    /// Prefix block hashes (Mooncake `hash_ids`), empty when absent.
    public var prefixBlockHashes: [UInt64]
    /// The model asked for (JSONL `model`), when the trace says.
    public var model: String?

    /// Creates a record.
    public init(
        line: Int, arrivalSeconds: Double?, promptTokens: Int, outputTokens: Int, tenant: String? = nil,
        sloClassName: String? = nil, priority: Int? = nil, prefixBlockHashes: [UInt64] = [], model: String? = nil
    ) {
        self.model = model
        self.line = line
        self.arrivalSeconds = arrivalSeconds
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.tenant = tenant
        self.sloClassName = sloClassName
        self.priority = priority
        self.prefixBlockHashes = prefixBlockHashes
    }
}

/// A stream of requests in non-decreasing arrival order; the simulator pulls one at a time so a
/// multi-million-row trace is never held in memory.
public protocol RequestSource {
    /// The next request, or `nil` at the end. - Throws: ``SluiceError`` for malformed input (file, line, field).
    mutating func next() throws(SluiceError) -> Request?
}

/// A request source over an array (tests, generated workloads).
public struct ArrayRequestSource: RequestSource, Sendable {
    private var requests: [Request]
    private var index = 0

    /// Wraps requests already sorted by arrival.
    public init(_ requests: [Request]) { self.requests = requests }

    /// The next request.
    public mutating func next() throws(SluiceError) -> Request? {
        guard index < requests.count else { return nil }
        defer { index += 1 }
        return requests[index]
    }
}

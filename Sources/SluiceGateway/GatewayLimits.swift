public import SluiceCore

/// The limits a public endpoint needs against slow, careless or hostile clients and stalled upstreams (issue 15), the
/// `limits:` section of the configuration. Every field has a default that survives a slowloris attack at a 1,024
/// file-descriptor limit.
///
/// Invariants (``validate(file:)``): every time is positive and finite, every count and length at least 1.
public struct GatewayLimits: Sendable, Decodable, Hashable {
    /// Seconds a connection may take to send a complete request head (and may sit idle between requests); then it is
    /// closed. A slowloris client trickling header bytes is cut off here.
    public var headerTimeoutSeconds: Double = 10
    /// Seconds a request may take to send its body after its head; then the connection is closed.
    public var bodyTimeoutSeconds: Double = 30
    /// Seconds a client may leave the gateway unable to write to it (its socket buffers full because it does not read
    /// what it asked for); then the connection is closed and its upstream request cancelled. A slow-read attacker
    /// holding streams open is cut off here, and each such stream holds at most the socket buffers meanwhile (the
    /// streaming path waits for the socket instead of buffering the upstream's output).
    public var slowReadTimeoutSeconds: Double = 30
    /// Client connections held at once; a connection over the limit is closed at once. The default leaves room under
    /// a 1,024 file-descriptor limit for the upstream connections and the ledger.
    public var maxConnections = 512
    /// Seconds an upstream may stay silent after its response head (between streamed chunks, or before a non-streamed
    /// body completes); then a stream ends with an SSE error event and a non-streamed request gets 504.
    public var upstreamReadTimeoutSeconds: Double = 120
    /// Seconds to establish a connection to an upstream; a refused connection fails at once and is retried on another.
    public var upstreamConnectTimeoutSeconds: Double = 2
    /// Output tokens a request may generate when it sets neither `max_tokens` nor `max_completion_tokens`: the gateway
    /// forwards this as `max_tokens`, so the budget reservation is exactly what the engine may generate.
    public var defaultMaxTokens = 1024
    /// Longest `model` name accepted, bytes (names are stored in the ledger and echoed in errors).
    public var maxModelNameBytes = 256
    /// Longest header value stored or echoed (SLO class, session id), bytes.
    public var maxHeaderValueBytes = 256
    /// Seconds between checks for an idle gateway after a burst of connections; an idle one gives its freed heap
    /// pages back to the operating system (``IdleMemoryTrim``).
    public var idleMemoryTrimSeconds: Double = 5

    enum CodingKeys: String, CodingKey {
        case headerTimeoutSeconds, bodyTimeoutSeconds, slowReadTimeoutSeconds, maxConnections, upstreamReadTimeoutSeconds, upstreamConnectTimeoutSeconds
        case defaultMaxTokens, maxModelNameBytes, maxHeaderValueBytes, idleMemoryTrimSeconds
    }

    /// The defaults.
    public init() {}

    /// Decodes, with defaults for what is missing.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GatewayLimits()
        headerTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .headerTimeoutSeconds) ?? d.headerTimeoutSeconds
        bodyTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .bodyTimeoutSeconds) ?? d.bodyTimeoutSeconds
        slowReadTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .slowReadTimeoutSeconds) ?? d.slowReadTimeoutSeconds
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? d.maxConnections
        upstreamReadTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .upstreamReadTimeoutSeconds) ?? d.upstreamReadTimeoutSeconds
        upstreamConnectTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .upstreamConnectTimeoutSeconds) ?? d.upstreamConnectTimeoutSeconds
        defaultMaxTokens = try c.decodeIfPresent(Int.self, forKey: .defaultMaxTokens) ?? d.defaultMaxTokens
        maxModelNameBytes = try c.decodeIfPresent(Int.self, forKey: .maxModelNameBytes) ?? d.maxModelNameBytes
        maxHeaderValueBytes = try c.decodeIfPresent(Int.self, forKey: .maxHeaderValueBytes) ?? d.maxHeaderValueBytes
        idleMemoryTrimSeconds = try c.decodeIfPresent(Double.self, forKey: .idleMemoryTrimSeconds) ?? d.idleMemoryTrimSeconds
    }

    /// Checks values. - Throws: ``SluiceError`` naming the field (`limits.NAME`).
    public func validate(file: String) throws(SluiceError) {
        let times = [
            ("headerTimeoutSeconds", headerTimeoutSeconds), ("bodyTimeoutSeconds", bodyTimeoutSeconds),
            ("slowReadTimeoutSeconds", slowReadTimeoutSeconds),
            ("upstreamReadTimeoutSeconds", upstreamReadTimeoutSeconds), ("upstreamConnectTimeoutSeconds", upstreamConnectTimeoutSeconds),
            ("idleMemoryTrimSeconds", idleMemoryTrimSeconds),
        ]
        for (name, v) in times where !(v > 0 && v.isFinite) {
            throw .malformed(file: file, line: nil, field: "limits.\(name)", reason: "must be a positive number of seconds, got \(v)")
        }
        let counts = [
            ("maxConnections", maxConnections), ("defaultMaxTokens", defaultMaxTokens), ("maxModelNameBytes", maxModelNameBytes),
            ("maxHeaderValueBytes", maxHeaderValueBytes),
        ]
        for (name, v) in counts where v < 1 {
            throw .malformed(file: file, line: nil, field: "limits.\(name)", reason: "must be at least 1, got \(v)")
        }
        guard defaultMaxTokens <= Gateway.maxTokensLimit else {
            throw .malformed(file: file, line: nil, field: "limits.defaultMaxTokens", reason: "must be at most \(Gateway.maxTokensLimit)")
        }
    }
}

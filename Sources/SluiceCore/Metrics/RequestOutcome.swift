/// How one request ended: the per-request record behind `--requests-csv`.
///
/// Invariant: every request of a run yields exactly one outcome, `completed` or `rejected`.
public struct RequestOutcome: Sendable, Hashable {
    /// How the request ended.
    public enum Status: String, Sendable, Hashable {
        /// All output tokens were produced.
        case completed
        /// The request was refused (see `rejectReason`).
        case rejected
    }

    /// Request id.
    public var requestID: Int
    /// Replica that served it (-1 if rejected before routing).
    public var replica: Int
    /// SLO class index.
    public var sloClass: Int
    /// Status.
    public var status: Status
    /// Arrival, seconds.
    public var arrivalSeconds: Double
    /// Prompt tokens.
    public var promptTokens: Int
    /// Output tokens produced (after any truncation to the engine's cap).
    public var outputTokens: Int
    /// Time to first token, seconds (0 if rejected).
    public var ttftSeconds: Double = 0
    /// Mean time per output token after the first, seconds.
    public var tpotSeconds: Double = 0
    /// Arrival to last token, seconds.
    public var e2eSeconds: Double = 0
    /// Arrival to first scheduling, seconds.
    public var queueingSeconds: Double = 0
    /// Largest gap between two consecutive tokens, seconds.
    public var maxTBTSeconds: Double = 0
    /// Times preempted.
    public var preemptions: Int = 0
    /// Whether all SLO targets were met (false if rejected).
    public var sloMet: Bool = false
    /// Why it was rejected, if it was.
    public var rejectReason: String?

    /// Creates an outcome.
    public init(
        requestID: Int, replica: Int, sloClass: Int, status: Status, arrivalSeconds: Double, promptTokens: Int,
        outputTokens: Int
    ) {
        self.requestID = requestID
        self.replica = replica
        self.sloClass = sloClass
        self.status = status
        self.arrivalSeconds = arrivalSeconds
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
    }
}

/// Receives per-request outcomes as they happen (e.g. a CSV writer); must not retain them all.
public protocol RequestOutcomeSink {
    /// Called once per request when it completes or is rejected.
    mutating func record(_ outcome: RequestOutcome) throws(SluiceError)
}

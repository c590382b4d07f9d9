import SluiceCore
import SluiceLedger

/// One request's account from receipt to its ledger entry: who, where, the timings as the client saw them, tokens
/// and cost. Filled in as the request goes; ``entry(status:errorCode:)`` closes it.
struct Exchange: Sendable {
    /// Request id (`x-request-id`).
    let id: String
    /// Receipt, monotonic seconds.
    let receivedSeconds: Double
    var tenant: String?
    var model = ""
    var stream = false
    var sloClass: String?
    var targets = SLOTargets()
    var promptTokens = 0
    var completionTokens = 0
    var upstream: String?
    var attempts = 0
    /// When an upstream slot was obtained, monotonic seconds.
    var dispatchedSeconds: Double?
    /// First and last streamed chunk, monotonic seconds, and the largest gap between chunks.
    var firstByteSeconds: Double?
    var lastByteSeconds: Double?
    var maxGapSeconds = 0.0
    var gpuSeconds = 0.0
    var costUSD = 0.0
    var predictedCostUSD: Double?

    init(id: String, receivedSeconds: Double) {
        self.id = id
        self.receivedSeconds = receivedSeconds
    }

    /// Notes a streamed chunk at `now`.
    mutating func chunk(at now: Double) {
        if firstByteSeconds == nil { firstByteSeconds = now } else if let last = lastByteSeconds { maxGapSeconds = max(maxGapSeconds, now - last) }
        lastByteSeconds = now
    }

    /// Whether the request carries any SLO target.
    var hasTargets: Bool { targets.isSet }

    /// The ledger entry for an answer with `status`, ending now.
    func entry(status: Int, errorCode: String? = nil) -> LedgerEntry {
        let now = GatewayClock.monotonicSeconds()
        let e2e = now - receivedSeconds
        let ttft = firstByteSeconds.map { $0 - receivedSeconds }
        let tpot = completionTokens > 1 ? (now - (firstByteSeconds ?? now)) / Double(completionTokens - 1) : 0
        var met: Bool?
        if hasTargets {
            // A non-streamed answer's first token reaches the client with the whole answer.
            met = status < 400 && targets.isMet(ttftSeconds: ttft ?? e2e, maxGapSeconds: maxGapSeconds, tpotSeconds: tpot, e2eSeconds: e2e)
        }
        return LedgerEntry(
            requestID: id, finishedAtUnixSeconds: GatewayClock.unixSeconds(), tenant: tenant, upstream: upstream, model: model, status: status,
            errorCode: errorCode, stream: stream, promptTokens: promptTokens, completionTokens: completionTokens,
            queueSeconds: (dispatchedSeconds ?? now) - receivedSeconds, ttftSeconds: ttft, e2eSeconds: e2e, gpuSeconds: gpuSeconds,
            costUSD: costUSD, predictedCostUSD: predictedCostUSD, sloClass: sloClass, sloMet: met, attempts: attempts)
    }
}

extension SLOTargets {
    /// Whether any target is set.
    var isSet: Bool { ttftSeconds != nil || tpotSeconds != nil || tbtSeconds != nil || e2eSeconds != nil }
}

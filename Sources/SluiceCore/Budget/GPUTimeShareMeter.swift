/// Splits an engine's busy GPU time among the requests it holds, by processor sharing: while `n` requests are in
/// flight, each is charged `1/n` of every second. A request's GPU-seconds are then the difference of one running
/// integral (∫ 1/n dt) between its start and its end, O(1) per event and with no per-request state in the meter.
///
/// Invariant: the GPU-seconds handed out sum to ``busySeconds`` (time with at least one request in flight); idle time
/// is charged to nobody. The gateway multiplies a request's share by the engine's price (cost ledger, PEERS.md §4).
public struct GPUTimeShareMeter: Sendable, Hashable {
    /// Requests in flight.
    public private(set) var inFlight = 0
    /// ∫ 1/n(t) dt over time with n > 0, seconds.
    public private(set) var cumulativeShareSeconds = 0.0
    /// Time with at least one request in flight, seconds.
    public private(set) var busySeconds = 0.0
    private var lastChangeSeconds: Double?

    /// Creates an idle meter.
    public init() {}

    private mutating func advance(to now: Double) {
        if let last = lastChangeSeconds, inFlight > 0, now > last {
            cumulativeShareSeconds += (now - last) / Double(inFlight)
            busySeconds += now - last
        }
        if lastChangeSeconds.map({ now > $0 }) ?? true { lastChangeSeconds = now }
    }

    /// A request starts at `nowSeconds`. - Returns: its mark, to hand back to ``finish(mark:nowSeconds:)``.
    public mutating func start(nowSeconds: Double) -> Double {
        advance(to: nowSeconds)
        inFlight += 1
        return cumulativeShareSeconds
    }

    /// A request started at `mark` ends at `nowSeconds`. - Returns: its share of the GPU time, seconds.
    public mutating func finish(mark: Double, nowSeconds: Double) -> Double {
        advance(to: nowSeconds)
        inFlight = max(0, inFlight - 1)
        return max(0, cumulativeShareSeconds - mark)
    }
}

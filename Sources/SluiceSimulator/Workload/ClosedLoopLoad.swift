import HeapModule
public import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a closed-loop client's think time is drawn.
public enum ThinkTimeDistribution: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every think time is exactly ``ClosedLoopLoad/thinkSeconds``: clients that end together come back together.
    case fixed
    /// Think times are exponential with mean ``ClosedLoopLoad/thinkSeconds`` (memoryless): a benchmark client's
    /// round trip varies with its own load (event handling for every stream it holds, the next request's
    /// tokenisation), which spreads a cohort of clients that ended in the same step over the next few steps.
    case exponential
}

/// Closed-loop (fixed-concurrency) load: `clients` clients, each sending its next request when its previous one ends
/// (completed or refused), after `thinkSeconds`. This is how `vllm bench serve --max-concurrency`, genai-perf's
/// `--concurrency` and most published engine results are measured.
///
/// Requests are drawn from the source in order; their trace arrival times are ignored. Every client sends its first
/// request at time 0 (as `vllm bench serve` does with an unlimited request rate), so at most `clients` requests are
/// ever in flight, and exactly `clients` while the source lasts and think time is 0.
public struct ClosedLoopLoad: Sendable, Hashable, Codable {
    /// Concurrent clients (the in-flight cap).
    public var clients: Int
    /// Time a client waits between the end of one request and sending the next, seconds (the mean with
    /// ``ThinkTimeDistribution/exponential``).
    public var thinkSeconds: Double
    /// How think times are drawn (``ThinkTimeDistribution/fixed`` by default); random draws use the run's seed.
    public var thinkDistribution: ThinkTimeDistribution

    /// Creates a closed loop. - Throws: ``SluiceError`` for a non-positive client count or a negative or
    /// non-finite think time.
    public init(clients: Int, thinkSeconds: Double = 0, thinkDistribution: ThinkTimeDistribution = .fixed) throws(SluiceError) {
        guard clients > 0 else { throw .invalidValue(field: "--concurrency", value: "\(clients)", allowed: "a positive integer") }
        guard thinkSeconds >= 0, thinkSeconds.isFinite else {
            throw .invalidValue(field: "--think-time", value: "\(thinkSeconds)", allowed: "seconds >= 0")
        }
        self.clients = clients
        self.thinkSeconds = thinkSeconds
        self.thinkDistribution = thinkDistribution
    }

    private enum CodingKeys: String, CodingKey { case clients, thinkSeconds, thinkDistribution }

    /// Decodes a load; `thinkDistribution` is optional (``ThinkTimeDistribution/fixed`` when absent).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clients = try c.decode(Int.self, forKey: .clients)
        thinkSeconds = try c.decode(Double.self, forKey: .thinkSeconds)
        thinkDistribution = try c.decodeIfPresent(ThinkTimeDistribution.self, forKey: .thinkDistribution) ?? .fixed
    }
}

/// The requests the clients of a ``ClosedLoopLoad`` have scheduled but not yet sent, earliest first: at most one per
/// client, so the heap never holds more than `clients` entries (no growth with the run's length).
struct ClientSendQueue {
    private struct Send: Comparable {
        var seconds: Double
        var order: UInt64
        var request: Request
        static func < (a: Send, b: Send) -> Bool { (a.seconds, a.order) < (b.seconds, b.order) }
        static func == (a: Send, b: Send) -> Bool { a.seconds == b.seconds && a.order == b.order }
    }

    let load: ClosedLoopLoad
    private var thinkTimes: SplitMix64
    private var sends = Heap<Send>()
    private var order: UInt64 = 0
    /// Clients with a request in flight or about to be sent.
    private(set) var busyClients = 0

    /// Think-time draw stream: its own label, so think times do not shift the run's other random choices.
    private static let streamLabel: UInt64 = 0x7417_C1E7

    init(load: ClosedLoopLoad, seed: UInt64) {
        self.load = load
        thinkTimes = SplitMix64.stream(seed: seed, label: Self.streamLabel)
    }

    /// The next think time, seconds.
    private mutating func thinkSeconds() -> Double {
        switch load.thinkDistribution {
        case .fixed: return load.thinkSeconds
        case .exponential: return -load.thinkSeconds * log(1 - thinkTimes.nextUnit())
        }
    }

    /// Time of the earliest scheduled send.
    var nextSeconds: Double? { sends.min?.seconds }

    /// Takes the earliest scheduled send; its request's arrival time is the send time.
    mutating func popNext() -> Request? {
        guard var s = sends.popMin() else { return nil }
        s.request.arrivalSeconds = s.seconds
        return s.request
    }

    /// Fills idle clients from `source` at `now` (the start of the run, or the end of a request).
    mutating func sendFromIdleClients(_ source: inout some RequestSource, at now: Double) throws(SluiceError) {
        while busyClients < load.clients, let request = try source.next() {
            sends.insert(Send(seconds: now, order: order, request: request))
            order &+= 1
            busyClients += 1
        }
    }

    /// A request of a client ended at `now`: the client sends its next one after its think time.
    mutating func requestEnded(_ source: inout some RequestSource, at now: Double) throws(SluiceError) {
        busyClients -= 1
        guard let request = try source.next() else { return }
        sends.insert(Send(seconds: now + thinkSeconds(), order: order, request: request))
        order &+= 1
        busyClients += 1
    }
}

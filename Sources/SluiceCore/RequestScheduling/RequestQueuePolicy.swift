/// A request-level scheduler: it orders an instance's queue of requests waiting in front of the engine and caps how
/// many the engine holds at once (the batch size / concurrency decision of Huang et al., arXiv 2504.14966).
///
/// The host (the simulator's replica, or the gateway) appends new requests at the back of the queue and calls
/// ``decide(_:load:predictor:)``; it then releases requests from the front into the engine while the engine holds fewer
/// than the returned cap. A policy must keep every request (only reorder), and should fill each request's predicted
/// times (``LatencyPredictor/annotate(_:_:)``) so the host can report the predictor's error.
public protocol RequestQueuePolicy: Sendable {
    /// Registered name (`fcfs`, `edf`, `sjf`, `priority`, `sa-slo`).
    var name: String { get }
    /// Reorders `queue` (index 0 is released first) and returns the engine's concurrency cap (at least 1).
    mutating func decide(_ queue: inout [QueuedRequest], load: InstanceLoad, predictor: LatencyPredictor) -> Int
}

/// The request-level baselines under the same engine, each a stable order with the engine's own concurrency cap:
/// `fcfs` (arrival order, vLLM's default), `edf` (earliest SLO deadline first: the first token's for interactive
/// requests, the answer's for end-to-end ones), `sjf` (shortest predicted job first: predicted output, then prompt)
/// and `priority` (interactive before end-to-end, each first come first served).
///
/// New requests are placed by insertion from the back, O(n) per arrival with no allocation.
public struct OrderingPolicy: RequestQueuePolicy {
    /// The order.
    public enum Rule: String, Sendable, Hashable, CaseIterable {
        /// Arrival order.
        case fcfs
        /// Earliest deadline first.
        case edf
        /// Shortest predicted job first.
        case sjf
        /// Interactive class before end-to-end class.
        case priority
    }

    /// The rule.
    public let rule: Rule
    /// Registered name.
    public var name: String { rule.rawValue }

    /// Creates the policy.
    public init(_ rule: Rule) { self.rule = rule }

    /// Whether `a` goes before `b`.
    @inlinable
    public static func precedes(_ a: QueuedRequest, _ b: QueuedRequest, rule: Rule) -> Bool {
        switch rule {
        case .fcfs: return (a.arrivalSeconds, a.requestID) < (b.arrivalSeconds, b.requestID)
        case .edf: return (a.deadlineSeconds, a.arrivalSeconds, a.requestID) < (b.deadlineSeconds, b.arrivalSeconds, b.requestID)
        case .sjf:
            return (a.predictedOutputTokens, a.promptTokens, a.requestID) < (b.predictedOutputTokens, b.promptTokens, b.requestID)
        case .priority:
            let ra = a.kind == .interactive ? 0 : 1
            let rb = b.kind == .interactive ? 0 : 1
            return (ra, a.arrivalSeconds, a.requestID) < (rb, b.arrivalSeconds, b.requestID)
        }
    }

    /// Sorts `queue` by `rule` with insertion (fast when only the back is new).
    public static func insertionSort(_ queue: inout [QueuedRequest], rule: Rule) {
        guard queue.count > 1 else { return }
        for i in 1..<queue.count {
            var j = i
            let item = queue[i]
            while j > 0 && precedes(item, queue[j - 1], rule: rule) {
                queue[j] = queue[j - 1]
                j -= 1
            }
            if j != i { queue[j] = item }
        }
    }

    /// Orders the queue; the cap is the engine's.
    public mutating func decide(_ queue: inout [QueuedRequest], load: InstanceLoad, predictor: LatencyPredictor) -> Int {
        Self.insertionSort(&queue, rule: rule)
        LatencyPredictor.annotate(&queue, predictor.constants(concurrency: load.maxConcurrency, load: load, queue: queue))
        return load.maxConcurrency
    }
}

/// Streaming serving metrics of a run, overall and per SLO class.
///
/// Latencies are kept in ``LatencyHistogram``s (constant memory); counters are exact. TBT gaps include stalls
/// while a request was deferred or preempted. SLO attainment is the share of *all* requests (rejected ones
/// count as misses) that met every target of their class.
public struct ServingMetrics: Sendable {
    /// The metrics of one group of requests (a class, or all).
    public struct Group: Sendable {
        /// Time to first token.
        public var ttft = LatencyHistogram()
        /// Every inter-token gap.
        public var tbt = LatencyHistogram()
        /// Per-request mean time per output token after the first.
        public var tpot = LatencyHistogram()
        /// Arrival to last token.
        public var e2e = LatencyHistogram()
        /// Arrival to first scheduling.
        public var queueing = LatencyHistogram()
        /// Requests that arrived.
        public var requests = 0
        /// Requests completed.
        public var completed = 0
        /// Requests rejected.
        public var rejected = 0
        /// Completed requests meeting all their targets.
        public var sloMet = 0
        /// Output tokens of completed requests.
        public var outputTokens = 0
        /// Prompt tokens of completed requests.
        public var promptTokens = 0
        /// Preemptions of completed requests.
        public var preemptions = 0

        /// Share of requests that met their SLO (0 when there were none).
        public var sloAttainment: Double { requests == 0 ? 0 : Double(sloMet) / Double(requests) }
    }

    /// One group per SLO class, by class index. Samples are recorded once, in their class only.
    public private(set) var perClass: [Group]

    /// All requests: the classes merged.
    public var overall: Group {
        var all = Group()
        for g in perClass {
            all.ttft.add(g.ttft)
            all.tbt.add(g.tbt)
            all.tpot.add(g.tpot)
            all.e2e.add(g.e2e)
            all.queueing.add(g.queueing)
            all.requests += g.requests
            all.completed += g.completed
            all.rejected += g.rejected
            all.sloMet += g.sloMet
            all.outputTokens += g.outputTokens
            all.promptTokens += g.promptTokens
            all.preemptions += g.preemptions
        }
        return all
    }

    /// Empty metrics for `classCount` SLO classes.
    public init(classCount: Int) {
        perClass = Array(repeating: Group(), count: max(classCount, 1))
    }

    /// A request arrived.
    public mutating func recordArrival(sloClass: Int) {
        perClass[sloClass].requests += 1
    }

    /// A first token was produced `seconds` after arrival.
    public mutating func recordFirstToken(sloClass: Int, seconds: Double) {
        perClass[sloClass].ttft.record(seconds)
    }

    /// A token followed the previous one of the same request after `seconds`.
    public mutating func recordGap(sloClass: Int, seconds: Double) {
        perClass[sloClass].tbt.record(seconds)
    }

    /// A request ended.
    public mutating func recordOutcome(_ o: RequestOutcome) {
        func apply(_ g: inout Group) {
            switch o.status {
            case .rejected:
                g.rejected += 1
            case .completed:
                g.completed += 1
                g.e2e.record(o.e2eSeconds)
                g.queueing.record(o.queueingSeconds)
                if o.outputTokens > 1 { g.tpot.record(o.tpotSeconds) }
                if o.sloMet { g.sloMet += 1 }
                g.outputTokens += o.outputTokens
                g.promptTokens += o.promptTokens
                g.preemptions += o.preemptions
            }
        }
        apply(&perClass[o.sloClass])
    }
}

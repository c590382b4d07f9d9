import DequeModule
import HeapModule

/// Sarathi-Serve's stall-free batching (Agrawal et al., OSDI'24; microsoft/sarathi-serve
/// `sarathi/core/scheduler/sarathi_scheduler.py`, and Vidur's `sarathi` replica scheduler).
///
/// Every iteration has a token budget (the chunk size, 512 by default). It is filled in a fixed order:
/// 1. every running decode, one token each (a decode that cannot get a KV block preempts the newest running
///    request by recompute, possibly itself);
/// 2. running requests whose prompt is only partly prefilled, first admitted first, a chunk each;
/// 3. new requests from the waiting queue, first come first served (`order: .fcfs`) or shortest prompt first
///    (`order: .shortestPromptFirst`, the SLAI paper's "Sarathi SPF" baseline), each allocated KV blocks for
///    its whole prompt at admission (above the watermark), with a chunk of the budget left.
/// So decodes never stall behind a long prefill: the property the paper calls stall-free.
public struct SarathiScheduler: IterationScheduler {
    /// Order in which waiting requests are admitted.
    public enum AdmissionOrder: Sendable, Hashable {
        /// Arrival order (preempted requests first).
        case fcfs
        /// Shortest remaining prompt first, ties by arrival.
        case shortestPromptFirst
    }

    /// Sarathi-Serve's default chunk size (token budget per iteration).
    public static let defaultChunkTokens = 512

    /// The admission order.
    public let order: AdmissionOrder
    private var shortestFirst = ShortestPromptQueue()

    /// `sarathi` or `sarathi-spf`.
    public var name: String { order == .fcfs ? "sarathi" : "sarathi-spf" }

    /// Creates the scheduler.
    public init(order: AdmissionOrder = .fcfs) { self.order = order }

    /// Whole prompt at admission, as Sarathi allocates.
    public func minimumTokensToRun(promptTokens: Int, engine: EngineState) -> Int { promptTokens + 1 }

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        var budget = engine.maxBatchedTokens
        // 1. Decodes.
        var i = 0
        decodes: while i < engine.running.count && budget > 0 {
            let slot = engine.running[i]
            let seq = engine.sequences[Int(slot)]
            guard seq.isDecoding else {
                i += 1
                continue
            }
            while !engine.growKV(slot, toTokens: seq.computedTokens + 1) {
                guard let victim = engine.running.last else { break decodes }
                engine.preempt(victim, plan: &plan)
                if order == .shortestPromptFirst { shortestFirst.push(victim, engine: engine) }
                if victim == slot { break decodes }
            }
            engine.schedule(slot, tokens: 1, in: &plan)
            budget -= 1
            i += 1
        }
        // 2. Partial prefills, in admission order.
        i = 0
        while i < engine.running.count && budget > 0 {
            let slot = engine.running[i]
            let seq = engine.sequences[Int(slot)]
            i += 1
            if seq.scheduledTokens > 0 || seq.isDecoding { continue }
            let tokens = min(seq.remainingTokens, budget)
            guard engine.growKV(slot, toTokens: seq.computedTokens + tokens) else { continue }
            engine.schedule(slot, tokens: tokens, in: &plan)
            budget -= tokens
        }
        // 3. New prefills.
        if order == .shortestPromptFirst { shortestFirst.absorbArrivals(engine) }
        let watermark = engine.kv.watermarkBlocks
        while budget > 0, engine.running.count < engine.maxRunningSequences {
            guard let (slot, index) = nextCandidate(engine) else { break }
            let seq = engine.sequences[Int(slot)]
            guard engine.growKV(slot, toTokens: seq.totalTokens, keepingFree: watermark) else { break }
            if order == .shortestPromptFirst { shortestFirst.removeNext() }
            engine.admitWaiting(at: index)
            let tokens = min(seq.remainingTokens, budget)
            engine.schedule(slot, tokens: tokens, in: &plan)
            budget -= tokens
        }
    }

    /// The next waiting request to admit and its index in `waiting`.
    private mutating func nextCandidate(_ engine: EngineState) -> (EngineState.Slot, Int)? {
        switch order {
        case .fcfs:
            guard let slot = engine.waiting.first else { return nil }
            return (slot, 0)
        case .shortestPromptFirst:
            return shortestFirst.next(engine)
        }
    }
}

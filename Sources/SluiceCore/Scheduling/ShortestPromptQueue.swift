import DequeModule
import HeapModule

/// A shortest-remaining-prompt-first view of an engine's waiting queue, shared by the schedulers that admit that way
/// (`sarathi-spf`, SLAI).
///
/// The engine's `waiting` deque stays the source of truth; this heap mirrors it. New arrivals are picked up from the
/// back of `waiting` (``absorbArrivals(_:rank:)``), preempted requests are pushed by the scheduler that preempts them,
/// and entries that went stale (admitted, finished, or a slot reused) are dropped lazily.
/// Complexity: O(log n) per push and pop, plus a scan of `waiting` to find the chosen entry's index.
struct ShortestPromptQueue: Sendable {
    private struct Entry: Comparable, Sendable {
        var rank: Int  // a class rank before the prompt length (0 first); 0 for all when unused
        var remainingTokens: Int
        var requestID: Int
        var slot: EngineState.Slot
        static func < (a: Entry, b: Entry) -> Bool {
            (a.rank, a.remainingTokens, a.requestID) < (b.rank, b.remainingTokens, b.requestID)
        }
    }

    private var heap = Heap<Entry>()
    private var enqueuedSeen = 0

    /// Adds a waiting request.
    mutating func push(_ slot: EngineState.Slot, engine: EngineState, rank: Int = 0) {
        let s = engine.sequences[Int(slot)]
        heap.insert(Entry(rank: rank, remainingTokens: s.remainingTokens, requestID: s.requestID, slot: slot))
    }

    /// Mirrors requests enqueued since the last call (they sit at the back of `waiting`).
    mutating func absorbArrivals(_ engine: EngineState, rank: (SequenceState) -> Int = { _ in 0 }) {
        let fresh = engine.enqueuedCount - enqueuedSeen
        enqueuedSeen = engine.enqueuedCount
        guard fresh > 0 else { return }
        for k in max(engine.waiting.count - fresh, 0)..<engine.waiting.count {
            let slot = engine.waiting[k]
            push(slot, engine: engine, rank: rank(engine.sequences[Int(slot)]))
        }
    }

    /// The best waiting request and its index in `waiting`, without removing it.
    mutating func next(_ engine: EngineState) -> (slot: EngineState.Slot, index: Int)? {
        while let top = heap.min {
            let s = engine.sequences[Int(top.slot)]
            if s.requestID == top.requestID, !s.isRunning, s.remainingTokens == top.remainingTokens,
                let index = engine.waiting.firstIndex(of: top.slot)
            {
                return (top.slot, index)
            }
            heap.removeMin()
        }
        return nil
    }

    /// Removes the entry ``next(_:)`` returned (after it was admitted).
    mutating func removeNext() { heap.removeMin() }
}

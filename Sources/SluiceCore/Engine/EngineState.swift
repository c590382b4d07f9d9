public import DequeModule

/// The state of one engine replica that an ``IterationScheduler`` observes and changes: live sequences,
/// the waiting queue, the running set, the KV cache and the engine limits.
///
/// Sequences live in a slot pool (`sequences`, indexed by `Slot`) so the hot loop never allocates and never
/// hashes: the waiting queue, the running set and a ``BatchPlan`` are arrays of slot numbers.
///
/// Invariants: a live slot is in exactly one of `waiting` and `running`; `running.count <= maxRunningSequences`;
/// Σ `kvBlocks` over live slots + `kv.freeBlocks == kv.totalBlocks`.
public struct EngineState: Sendable {
    /// Index of a sequence in ``sequences``.
    public typealias Slot = Int32

    /// The slot pool; only slots in `waiting` or `running` are live.
    public var sequences: [SequenceState] = []
    /// Requests waiting to be (re)admitted, in queue order; preempted requests go to the front (vLLM).
    public var waiting: Deque<Slot> = []
    /// Admitted requests in admission order; the last is the first preemption victim (vLLM).
    public var running: [Slot] = []
    /// The paged KV cache.
    public var kv: KVBlockPool
    /// Cap on running sequences (an autoscaler may change it at run time; it applies to later admissions).
    public var maxRunningSequences: Int
    /// Per-iteration token budget in force (the scheduler's default when the limits leave it open).
    public let maxBatchedTokens: Int
    /// Cap on output tokens per request (worst-case reservations use it).
    public let maxOutputTokens: Int
    /// Longest prompt plus output a request may have, tokens.
    public let maxModelLenTokens: Int
    /// Requests ever enqueued (lets a scheduler find the newly arrived ones at the back of `waiting`).
    public private(set) var enqueuedCount = 0
    /// Current simulated (or wall) time, seconds; set by the driver before each scheduling decision.
    public var nowSeconds: Double = 0
    /// Preemptions so far on this replica.
    public private(set) var preemptionCount = 0

    private var freeSlots: [Slot] = []

    /// Creates an empty engine.
    public init(kv: KVBlockPool, maxRunningSequences: Int, maxBatchedTokens: Int, maxOutputTokens: Int, maxModelLenTokens: Int) {
        self.kv = kv
        self.maxRunningSequences = maxRunningSequences
        self.maxBatchedTokens = maxBatchedTokens
        self.maxOutputTokens = maxOutputTokens
        self.maxModelLenTokens = maxModelLenTokens
    }

    /// Tokens a worst-case reservation holds for a request with this prompt: prompt plus the output cap,
    /// at most the model length (Orca, FasterTransformer).
    @inlinable
    public func worstCaseTokens(promptTokens: Int) -> Int {
        min(promptTokens + maxOutputTokens, maxModelLenTokens)
    }

    /// Live sequences (waiting plus running).
    @inlinable public var liveCount: Int { waiting.count + running.count }

    /// Puts a new request at the back of the waiting queue. - Returns: its slot.
    /// - Parameter tbtTargetSeconds: the TBT target of the request's SLO class, for SLO-aware schedulers.
    public mutating func enqueue(_ request: Request, tbtTargetSeconds: Double? = nil) -> Slot {
        let state = SequenceState(request: request, tbtTargetSeconds: tbtTargetSeconds)
        let slot: Slot
        if let reused = freeSlots.popLast() {
            slot = reused
            sequences[Int(slot)] = state
        } else {
            slot = Slot(sequences.count)
            sequences.append(state)
        }
        waiting.append(slot)
        enqueuedCount += 1
        return slot
    }

    /// Makes sure `slot` holds blocks for `tokens` tokens, taking more if needed.
    /// - Parameter reserve: blocks that must stay free after taking (the watermark for new admissions).
    /// - Returns: whether the blocks are held.
    public mutating func growKV(_ slot: Slot, toTokens tokens: Int, keepingFree reserve: Int = 0) -> Bool {
        let needed = kv.blocks(forTokens: tokens) - sequences[Int(slot)].kvBlocks
        if needed <= 0 { return true }
        guard kv.take(needed, keepingFree: reserve) else { return false }
        sequences[Int(slot)].kvBlocks += needed
        return true
    }

    /// Moves the front of the waiting queue to the running set.
    @discardableResult
    public mutating func admitFirstWaiting() -> Slot {
        let slot = waiting.removeFirst()
        running.append(slot)
        sequences[Int(slot)].isRunning = true
        return slot
    }

    /// Moves a specific waiting slot (at `index` in `waiting`) to the running set.
    @discardableResult
    public mutating func admitWaiting(at index: Int) -> Slot {
        let slot = waiting.remove(at: index)
        running.append(slot)
        sequences[Int(slot)].isRunning = true
        return slot
    }

    /// Moves the waiting slots in `slots` to the running set (in that order), in one pass over the waiting queue.
    public mutating func admitWaiting(_ slots: [Slot]) {
        for slot in slots {
            running.append(slot)
            sequences[Int(slot)].isRunning = true
        }
        let pool = sequences
        waiting.removeAll { pool[Int($0)].isRunning }
    }

    /// Schedules `tokens` tokens of `slot` in `plan` and adds them to the batch shape.
    public mutating func schedule(_ slot: Slot, tokens: Int, in plan: inout BatchPlan) {
        let i = Int(slot)
        if sequences[i].isDecoding && tokens == 1 {
            plan.shape.addDecode(contextTokens: sequences[i].computedTokens)
        } else {
            plan.shape.addPrefill(newTokens: tokens, contextTokens: sequences[i].computedTokens)
        }
        sequences[i].scheduledTokens = tokens
        if sequences[i].firstScheduledSeconds == nil { sequences[i].firstScheduledSeconds = nowSeconds }
        plan.slots.append(slot)
    }

    /// Preempts a running sequence by recompute (vLLM v1): frees its blocks, forgets its computed KV and puts
    /// it at the front of the waiting queue. If it was already in `plan`, it is taken out.
    public mutating func preempt(_ slot: Slot, plan: inout BatchPlan) {
        let i = Int(slot)
        if let r = running.lastIndex(of: slot) { running.remove(at: r) }
        if sequences[i].scheduledTokens > 0, let p = plan.slots.lastIndex(of: slot) {
            plan.slots.remove(at: p)
            plan.shape = BatchShape()
            for s in plan.slots {
                let q = sequences[Int(s)]
                if q.isDecoding && q.scheduledTokens == 1 {
                    plan.shape.addDecode(contextTokens: q.computedTokens)
                } else {
                    plan.shape.addPrefill(newTokens: q.scheduledTokens, contextTokens: q.computedTokens)
                }
            }
        }
        kv.give(sequences[i].kvBlocks)
        sequences[i].kvBlocks = 0
        sequences[i].computedTokens = 0
        sequences[i].scheduledTokens = 0
        sequences[i].preemptions += 1
        sequences[i].isRunning = false
        preemptionCount += 1
        waiting.prepend(slot)
    }

    /// Frees a finished or rejected sequence: returns its blocks and its slot. The caller has removed it from
    /// `running` or `waiting`.
    public mutating func release(_ slot: Slot) {
        kv.give(sequences[Int(slot)].kvBlocks)
        sequences[Int(slot)].kvBlocks = 0
        sequences[Int(slot)].isRunning = false
        freeSlots.append(slot)
    }
}

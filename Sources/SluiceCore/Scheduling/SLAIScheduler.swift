import DequeModule
import HeapModule

/// SLAI, the SLO-aware scheduler of Bari, Hegde & de Veciana, "Optimal Scheduling Algorithms for LLM Inference:
/// Theory and Practice" (arXiv 2508.01002), exactly as the authors' code does it
/// (agrimUT/SLAI `sarathi/core/scheduler/slai_scheduler.py`; ALGORITHMS.md §1.3).
///
/// After every iteration each sequence of that batch whose prompt is unfinished joins the *paused prefills*
/// (FIFO); each decoding one gets a **last schedulable time** `LST = last batch end + TBT_i − offset × mean batch
/// time` and joins a min-heap on (LST, arrival). The offset is 5 batch times while KV use is below 96 % and 10 above
/// (or fixed). Each iteration, under a 512-token budget:
/// 1. **critical decodes**: heap entries whose LST has come (`now ≥ LST`), at most `maxDecodes`;
/// 2. **paused prefills**, first paused first, a chunk each;
/// 3. **new prefills**, shortest prompt first (optionally strict-TBT users first, or arrival order), each with KV for
///    its whole prompt, while fewer than `maxRunning` sequences are active;
/// 4. **non-critical decodes** in LST order until the budget or the decode cap is reached.
/// Decodes are deliberately deferred until shortly before their TBT deadline, which frees budget for prefills and
/// cuts TTFT. A decode that cannot get a KV block preempts the most recently paused prefill, else itself (recompute).
///
/// Complexity: O(log n) per scheduled request (heaps for decodes and waiting prompts; stale entries are skipped
/// lazily). Needs: prompt lengths, per-request TBT targets, measured batch times, KV use. No output lengths.
public struct SLAIScheduler: IterationScheduler {
    /// Order of new prefills.
    public enum PrefillOrder: Sendable, Hashable {
        /// Shortest prompt first (SLAI's default, `fcfs=false`).
        case shortestPromptFirst
        /// Arrival order (the FCFS ablation).
        case fcfs
    }

    /// SLAI's parameters (`SLAISchedulerConfig` of the authors' code; defaults from `mistral7b_relaxed.yml`).
    public struct Parameters: Sendable, Hashable {
        /// Token budget per iteration (`token_budget`).
        public var tokenBudget = 512
        /// Cap on active sequences (`batch_size`).
        public var maxRunning = 128
        /// Cap on decodes per iteration (`limit_total_decodes`).
        public var maxDecodes = 128
        /// TBT used for requests whose class sets none (`time_between_tokens`), seconds.
        public var defaultTBTSeconds = 0.2
        /// Order of new prefills (`fcfs`).
        public var prefillOrder = PrefillOrder.shortestPromptFirst
        /// Serve strict-TBT users' prompts first (`user_priority`).
        public var strictUsersFirst = false
        /// A TBT target below this makes a request "strict" for `strictUsersFirst`, seconds.
        public var strictTBTThresholdSeconds = 0.2
        /// A fixed offset in batch times (`fixed_offset` with its value); `nil` is the dynamic offset.
        public var fixedOffset: Double? = nil
        /// Dynamic offset below the memory limit (`below_memory_limit_offset`), batch times.
        public var offsetBelowMemoryLimit = 5.0
        /// Dynamic offset at or above the memory limit (`above_memory_limit_offset`), batch times.
        public var offsetAboveMemoryLimit = 10.0
        /// KV use (fraction of blocks) from which the larger offset applies (`memory_limit`).
        public var memoryLimit = 0.96

        /// The paper's defaults.
        public init() {}

        /// The defaults changed by `change`.
        public static func with(_ change: (inout Parameters) -> Void) -> Parameters {
            var p = Parameters()
            change(&p)
            return p
        }
    }

    /// The parameters in force.
    public let parameters: Parameters
    /// Registered name.
    public let name: String

    private var decodes = Heap<DecodeEntry>()
    private var paused = Deque<PausedEntry>()
    private var shortestFirst = ShortestPromptQueue()
    private var batchCount = 0
    private var meanBatchSeconds = 0.0
    /// Decodes scheduled in the last batch as critical / non-critical (for tests and reports).
    public private(set) var lastCriticalDecodes = 0
    /// See `lastCriticalDecodes`.
    public private(set) var lastNonCriticalDecodes = 0

    /// Creates the scheduler.
    public init(parameters: Parameters = Parameters(), name: String = "slai") {
        self.parameters = parameters
        self.name = name
    }

    /// Whole prompt at admission, as SLAI (on Sarathi) allocates.
    public func minimumTokensToRun(promptTokens: Int, engine: EngineState) -> Int { promptTokens + 1 }

    /// The mean measured batch time so far, seconds.
    public var meanBatchDurationSeconds: Double { meanBatchSeconds }

    /// The offset (in batch times) that applies at the engine's current KV use.
    public func offset(kvUtilization: Double) -> Double {
        if let fixed = parameters.fixedOffset { return fixed }
        return kvUtilization < parameters.memoryLimit ? parameters.offsetBelowMemoryLimit : parameters.offsetAboveMemoryLimit
    }

    // MARK: - Scheduling

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        let now = engine.nowSeconds
        let budget = min(parameters.tokenBudget, engine.maxBatchedTokens)
        var tokens = 0
        let maxRunning = min(parameters.maxRunning, engine.maxRunningSequences)
        var critical = 0
        // 1. Critical decodes: LST has come.
        while tokens < budget, critical < parameters.maxDecodes, let top = nextDecode(engine) {
            guard now >= top.lastSchedulableSeconds else { break }
            decodes.removeMin()
            if scheduleDecode(top.slot, engine: &engine, plan: &plan) {
                tokens += 1
                critical += 1
            }
        }
        // 2. Paused prefills, first paused first.
        var remainingPaused = paused.count
        while tokens < budget, remainingPaused > 0, let entry = paused.popFirst() {
            remainingPaused -= 1
            let seq = engine.sequences[Int(entry.slot)]
            guard seq.requestID == entry.requestID, seq.isRunning, !seq.isDecoding, seq.scheduledTokens == 0 else { continue }
            let chunk = min(seq.remainingTokens, budget - tokens)
            guard engine.growKV(entry.slot, toTokens: seq.computedTokens + chunk) else {
                paused.append(entry)
                continue
            }
            engine.schedule(entry.slot, tokens: chunk, in: &plan)
            tokens += chunk
        }
        // 3. New prefills.
        if parameters.prefillOrder == .shortestPromptFirst { let p = parameters
            shortestFirst.absorbArrivals(engine) { Self.strictRank($0, p) } }
        let watermark = engine.kv.watermarkBlocks
        while tokens < budget, engine.running.count < maxRunning, let (slot, index) = nextWaiting(engine) {
            let seq = engine.sequences[Int(slot)]
            guard engine.growKV(slot, toTokens: seq.totalTokens, keepingFree: watermark) else { break }
            if parameters.prefillOrder == .shortestPromptFirst { shortestFirst.removeNext() }
            engine.admitWaiting(at: index)
            let chunk = min(seq.remainingTokens, budget - tokens)
            engine.schedule(slot, tokens: chunk, in: &plan)
            tokens += chunk
        }
        // 4. Non-critical decodes in LST order.
        var nonCritical = 0
        while tokens < budget, critical + nonCritical < parameters.maxDecodes, let top = nextDecode(engine) {
            decodes.removeMin()
            if scheduleDecode(top.slot, engine: &engine, plan: &plan) {
                tokens += 1
                nonCritical += 1
            }
        }
        lastCriticalDecodes = critical
        lastNonCriticalDecodes = nonCritical
    }

    /// Records the batch: running mean of batch times, then LSTs for decodes and the paused-prefill queue.
    public mutating func didFinishIteration(_ engine: inout EngineState, plan: BatchPlan, durationSeconds: Double) {
        batchCount += 1
        meanBatchSeconds += (durationSeconds - meanBatchSeconds) / Double(batchCount)
        let end = engine.nowSeconds + durationSeconds
        let slack = offset(kvUtilization: engine.kv.utilization) * meanBatchSeconds
        for slot in plan.slots {
            let seq = engine.sequences[Int(slot)]
            guard seq.isRunning else { continue }  // finished and released
            if seq.isDecoding {
                let tbt = seq.tbtTargetSeconds ?? parameters.defaultTBTSeconds
                decodes.insert(DecodeEntry(
                    lastSchedulableSeconds: end + tbt - slack, arrivalSeconds: seq.arrivalSeconds, requestID: seq.requestID,
                    generated: seq.generatedTokens, slot: slot))
            } else {
                paused.append(PausedEntry(requestID: seq.requestID, slot: slot))
            }
        }
    }

    // MARK: - Queues

    private struct DecodeEntry: Comparable, Sendable {
        var lastSchedulableSeconds: Double
        var arrivalSeconds: Double
        var requestID: Int
        var generated: Int
        var slot: EngineState.Slot
        static func < (a: DecodeEntry, b: DecodeEntry) -> Bool {
            (a.lastSchedulableSeconds, a.arrivalSeconds, a.requestID) < (b.lastSchedulableSeconds, b.arrivalSeconds, b.requestID)
        }
    }

    private struct PausedEntry: Sendable {
        var requestID: Int
        var slot: EngineState.Slot
    }

    /// The earliest live decode entry (stale ones, whose request was preempted or finished, are dropped).
    private mutating func nextDecode(_ engine: EngineState) -> DecodeEntry? {
        while let top = decodes.min {
            let s = engine.sequences[Int(top.slot)]
            if s.requestID == top.requestID, s.isRunning, s.isDecoding, s.generatedTokens == top.generated, s.scheduledTokens == 0 {
                return top
            }
            decodes.removeMin()
        }
        return nil
    }

    /// Schedules one decode token, preempting the most recently paused prefill (else this decode) when KV is short.
    /// - Returns: whether the decode was scheduled.
    private mutating func scheduleDecode(_ slot: EngineState.Slot, engine: inout EngineState, plan: inout BatchPlan) -> Bool {
        let seq = engine.sequences[Int(slot)]
        while !engine.growKV(slot, toTokens: seq.computedTokens + 1) {
            if let victim = paused.popLast() {
                let v = engine.sequences[Int(victim.slot)]
                if v.requestID == victim.requestID && v.isRunning && !v.isDecoding {
                    engine.preempt(victim.slot, plan: &plan)
                    pushWaiting(victim.slot, engine: engine)
                }
            } else {
                engine.preempt(slot, plan: &plan)
                pushWaiting(slot, engine: engine)
                return false
            }
        }
        engine.schedule(slot, tokens: 1, in: &plan)
        return true
    }

    private mutating func pushWaiting(_ slot: EngineState.Slot, engine: EngineState) {
        guard parameters.prefillOrder == .shortestPromptFirst else { return }
        shortestFirst.push(slot, engine: engine, rank: Self.strictRank(engine.sequences[Int(slot)], parameters))
    }

    /// 0 for strict-TBT users when they go first, 1 otherwise.
    private static func strictRank(_ s: SequenceState, _ parameters: Parameters) -> Int {
        let strict = parameters.strictUsersFirst && (s.tbtTargetSeconds ?? parameters.defaultTBTSeconds) < parameters.strictTBTThresholdSeconds
        return strict ? 0 : 1
    }

    /// The next waiting request to admit and its index in `waiting`.
    private mutating func nextWaiting(_ engine: EngineState) -> (EngineState.Slot, Int)? {
        switch parameters.prefillOrder {
        case .fcfs:
            guard let slot = engine.waiting.first else { return nil }
            return (slot, 0)
        case .shortestPromptFirst:
            return shortestFirst.next(engine)
        }
    }
}

import DequeModule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// WAIT and Nested WAIT, the fluid-guided booking-limit schedulers of Ao, Luo, Simchi-Levi & Wang, "Optimizing LLM
/// Inference: Fluid-Guided Online Scheduling with Memory Constraints" (arXiv 2504.11320), as the authors' code runs
/// them (Luoxiaogan/vidur_or `booking_limit_replica_scheduler.py`, `general_nested_booking_limit_replica_scheduler.py`;
/// ALGORITHMS.md §5). Limits come from ``BookingLimits``.
///
/// A request's *stage* is the number of tokens it has generated (stage 0 is its prefill).
/// * **WAIT** (`wait`, known output lengths: reads the predicted output length, exact with `--predictor oracle`):
///   each new request is of the type with the nearest output (then prompt) length. No iteration runs until every
///   type has at least `n_j` new requests waiting; then one batch admits a cohort of exactly `n_j` of each type and
///   advances every admitted request by one stage, so cohorts move in lock-step.
/// * **Nested WAIT** (`nested-wait`, unknown output lengths): the output-length breakpoints cut the stages into
///   segments; each segment admits at its entry stage (new requests for the first, requests that reached the
///   breakpoint for the others) its per-stage limit in rotation, only once its entry holds that many or the segment
///   is full, and never beyond the segment's budget; requests inside a segment advance freely. Short requests leave
///   early, long ones wait at the next segment's entry.
///
/// What Sluice adds, because a replayed trace is not the fluid model (each is a named parameter):
/// * a **liveness guard**: a gate that has held requests for `maxHoldSeconds` opens and admits what is there (the
///   authors' code instead drops every queued request once the trace has ended);
/// * requests preempted for KV (when real lengths overrun the equilibrium) rejoin freely, as the code's later stages;
///   the preemption victim is the newest admitted request (vLLM);
/// * the engine's token budget and sequence cap hold (prefills are whole by default, as in the code).
///
/// Complexity per iteration: O(R) over the running set plus O(W) over the waiting queue only when a cohort is admitted.
public struct BookingLimitScheduler: IterationScheduler {
    /// Which of the two algorithms.
    public enum Mode: Sendable, Hashable {
        /// WAIT: per-type cohorts, known output lengths.
        case wait
        /// Nested WAIT: per-segment gates, unknown output lengths.
        case nested
    }

    /// How many requests the equilibrium holds (`total_limit`), which scales every booking limit.
    public enum TotalLimit: Sendable, Hashable {
        /// The fluid equilibrium of the measured load: `λ̂ · τ̂ · mean stages per request · (1 + headroom)` (Little's law
        /// with the measured arrival rate and iteration time), at most the memory total. Sluice's default.
        case fluid
        /// As large as the KV cache allows (``BookingLimits/derivedTotalLimit(types:nested:kvCapacityTokens:memoryShare:maxRunning:)``):
        /// the heavy-traffic regime the paper analyses. At lighter load cohorts take long to fill, and every batch waits.
        case memory
        /// A fixed total (the authors' `total_limit` sweep).
        case fixed(Int)
    }

    /// The scheduler's parameters.
    public struct Parameters: Sendable, Hashable {
        /// The prompt types of the fluid model (default: the authors' two-type experiment). Their rates give the mix;
        /// the fluid total scales them to the measured load.
        public var types = PromptType.paperTwoTypes
        /// Requests in the system at equilibrium.
        public var totalLimit = TotalLimit.fluid
        /// Share of the KV cache the memory total plans to fill at equilibrium (the safety buffer).
        public var memoryShare = 0.9
        /// Cohorts this much larger than the arrivals per iteration, so queues stay stable (fluid total).
        public var headroom = 0.1
        /// Time constant of the arrival-rate estimate, seconds (fluid total).
        public var rateWindowSeconds = 10.0
        /// Weight of the newest iteration in the mean iteration time (fluid total).
        public var iterationTimeSmoothing = 0.05
        /// Liveness guard: a gate holding requests this long opens, seconds.
        public var maxHoldSeconds = 1.0

        /// The defaults.
        public init() {}
    }

    /// Registered name.
    public let name: String
    /// The algorithm.
    public let mode: Mode
    /// The parameters.
    public let parameters: Parameters
    private var limits: BookingLimits?  // for a total of 1; scaled by `total` each decision
    private var memoryTotal = 1
    private var total = 1.0
    private var meanStagesPerRequest: Double
    private var decayedArrivals = 0.0
    private var lastArrivalSeconds = Double.nan
    private var firstArrivalSeconds = Double.nan
    private var meanIterationSeconds: Double
    private var seenEnqueued = 0
    private var batches = 0
    // WAIT: type of each slot's request, new requests waiting per type, this batch's cohort.
    private var slotType: [Int] = []
    private var freshWaiting: [Int] = []
    private var quota: [Int] = []
    // Nested WAIT, per segment: requests at the entry, inside, the entry limit this batch, admitted.
    private var segmentOfEntryStage: [Int] = []
    private var entryCount: [Int] = []
    private var insideCount: [Int] = []
    private var entryLimit: [Int] = []
    private var entryAdmitted: [Int] = []
    private var picked: [EngineState.Slot] = []
    private var pickedTokens: [Int] = []

    /// Creates the scheduler; the memory total is computed on first use from the engine's KV cache.
    /// - Parameter initialIterationSeconds: the iteration time assumed before one is measured (fluid total).
    public init(mode: Mode, parameters: Parameters = Parameters(), name: String, initialIterationSeconds: Double = 0.02) {
        self.mode = mode
        self.parameters = parameters
        self.name = name
        freshWaiting = Array(repeating: 0, count: parameters.types.count)
        quota = freshWaiting
        meanIterationSeconds = initialIterationSeconds
        let rate = parameters.types.reduce(0.0) { $0 + $1.arrivalRate }
        meanStagesPerRequest = mode == .wait
            ? parameters.types.reduce(0.0) { $0 + $1.arrivalRate * Double($1.outputTokens + 1) } / rate
            : parameters.types.reduce(0.0) { $0 + $1.arrivalRate * Double($1.outputTokens) } / rate
    }

    /// The equilibrium total in force at the latest decision (requests).
    public var totalInForce: Double { total }

    /// The memory total for `engine`: the KV cache and sequence cap it allows.
    public func memoryTotal(for engine: EngineState) -> Int {
        BookingLimits.derivedTotalLimit(
            types: parameters.types, nested: mode == .nested, kvCapacityTokens: engine.kv.totalBlocks * engine.kv.blockSizeTokens,
            memoryShare: parameters.memoryShare, maxRunning: engine.maxRunningSequences)
    }

    /// Learns the mean iteration time (fluid total).
    public mutating func didFinishIteration(_ engine: inout EngineState, plan: BatchPlan, durationSeconds: Double) {
        meanIterationSeconds += parameters.iterationTimeSmoothing * (durationSeconds - meanIterationSeconds)
    }

    /// The total for this decision.
    private mutating func updateTotal(now: Double) {
        switch parameters.totalLimit {
        case .fixed(let n): total = Double(n)
        case .memory: total = Double(memoryTotal)
        case .fluid:
            guard !firstArrivalSeconds.isNaN else { return }
            let decayed = decayedArrivals * exp(-(now - lastArrivalSeconds) / parameters.rateWindowSeconds)
            let window = min(parameters.rateWindowSeconds, max(now - firstArrivalSeconds, meanIterationSeconds))
            let rate = decayed / window
            let fluid = rate * meanIterationSeconds * meanStagesPerRequest * (1 + parameters.headroom)
            total = min(Double(memoryTotal), max(1, fluid))
        }
    }

    private mutating func prepare(_ engine: EngineState) {
        guard limits == nil else { return }
        limits = BookingLimits(types: parameters.types, totalLimit: 1)
        memoryTotal = memoryTotal(for: engine)
        total = Double(memoryTotal)
        guard let l = limits else { return }
        let n = l.segments.count
        entryCount = Array(repeating: 0, count: n)
        insideCount = entryCount
        entryLimit = entryCount
        entryAdmitted = entryCount
        segmentOfEntryStage = Array(repeating: -1, count: (l.segments.last.map { $0.entryStage + 1 } ?? 1))
        for (k, s) in l.segments.enumerated() where k > 0 { segmentOfEntryStage[s.entryStage] = k }
    }

    /// Classifies the requests that arrived since the last call (they are at the back of the waiting queue).
    private mutating func absorbArrivals(_ engine: EngineState) {
        let arrived = min(engine.enqueuedCount - seenEnqueued, engine.waiting.count)
        seenEnqueued = engine.enqueuedCount
        guard arrived > 0 else { return }
        let now = engine.nowSeconds
        if firstArrivalSeconds.isNaN {
            firstArrivalSeconds = now
            lastArrivalSeconds = now
        }
        decayedArrivals = decayedArrivals * exp(-(now - lastArrivalSeconds) / parameters.rateWindowSeconds) + Double(arrived)
        lastArrivalSeconds = now
        for i in (engine.waiting.count - arrived)..<engine.waiting.count {
            let slot = engine.waiting[i]
            let s = engine.sequences[Int(slot)]
            let j = mode == .wait
                ? BookingLimits.typeIndex(promptTokens: s.promptTokens, outputTokens: s.predictedOutputTokens, types: parameters.types) : 0
            while slotType.count <= Int(slot) { slotType.append(0) }
            slotType[Int(slot)] = j
            freshWaiting[j] += 1
        }
    }

    /// The earliest time from which a live request has been held: admitted ones since their latest token, new
    /// ones since arrival (the first new one in the queue is the oldest). O(R) plus the preempted prefix of the queue.
    private func oldestHoldStart(_ engine: EngineState) -> Double {
        var oldest = Double.infinity
        for slot in engine.running { oldest = min(oldest, engine.sequences[Int(slot)].lastTokenSeconds) }
        for slot in engine.waiting {
            let s = engine.sequences[Int(slot)]
            oldest = min(oldest, s.lastTokenSeconds)
            if s.firstScheduledSeconds == nil { break }
        }
        return oldest
    }

    /// Arrival of the first never-scheduled request in the queue (the oldest new one), or +∞.
    private func oldestFreshArrival(_ engine: EngineState) -> Double {
        for slot in engine.waiting where engine.sequences[Int(slot)].firstScheduledSeconds == nil {
            return engine.sequences[Int(slot)].arrivalSeconds
        }
        return .infinity
    }

    /// When gates hold every live request: the time the oldest will have waited `maxHoldSeconds` (liveness guard).
    public func nextDecisionSeconds(_ engine: EngineState) -> Double? {
        let oldest = oldestHoldStart(engine)
        return oldest.isFinite ? oldest + parameters.maxHoldSeconds : nil
    }

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        prepare(engine)
        absorbArrivals(engine)
        updateTotal(now: engine.nowSeconds)
        if engine.running.isEmpty && engine.waiting.isEmpty { return }
        // An empty batch because this batch's rotated share is 0 would idle the GPU for nothing: try the next shares.
        for _ in 0..<Self.maxIdleRotations {
            let held: Bool
            switch mode {
            case .wait: held = scheduleWait(&engine, into: &plan)
            case .nested: held = scheduleNested(&engine, into: &plan)
            }
            if !plan.isEmpty || !held { break }
            batches += 1
        }
        if !plan.isEmpty { batches += 1 }
    }

    /// Batches of rotation tried when a batch would be empty (fractional limits down to 1/64 find a non-zero share).
    public static let maxIdleRotations = 64

    /// One WAIT decision. - Returns: whether an empty plan holds new requests only because this batch's shares are 0.
    private mutating func scheduleWait(_ engine: inout EngineState, into plan: inout BatchPlan) -> Bool {
        guard let limits else { return false }
        var ready = true
        var shares = 0
        for j in quota.indices {
            quota[j] = BookingLimits.rotatedShare(of: total * limits.cohortSizes[j], batch: batches)
            shares += quota[j]
            if freshWaiting[j] < quota[j] { ready = false }
        }
        // Liveness guard: a request held `maxHoldSeconds` opens the gate (the same sum as the wake-up time).
        if !ready {
            if engine.nowSeconds < oldestHoldStart(engine) + parameters.maxHoldSeconds { return false }
            // Forced open: the cohort is what there is, and a type whose share is 0 this batch may send one.
            for j in quota.indices where quota[j] == 0 && freshWaiting[j] > 0 { quota[j] = 1 }
        }
        var budget = engine.maxBatchedTokens
        advanceRunning(&engine, into: &plan, budget: &budget)
        admitWaiting(&engine, into: &plan, budget: &budget)
        return plan.isEmpty && shares == 0 && freshWaiting.contains { $0 > 0 }
    }

    /// One Nested WAIT decision. - Returns: whether an empty plan holds requests only because of zero shares.
    private mutating func scheduleNested(_ engine: inout EngineState, into plan: inout BatchPlan) -> Bool {
        guard let limits else { return false }
        for k in entryCount.indices {
            entryCount[k] = 0
            insideCount[k] = 0
            entryAdmitted[k] = 0
        }
        entryCount[0] = freshWaiting[0]
        for slot in engine.running {
            let s = engine.sequences[Int(slot)]
            let k = segment(ofStage: s.generatedTokens, limits)
            if k > 0 && s.isDecoding && limits.segments[k].entryStage == s.generatedTokens {
                entryCount[k] += 1
            } else {
                insideCount[k] += 1
            }
        }
        var zeroShareHolds = false
        for (k, seg) in limits.segments.enumerated() {
            let budget = Int((total * seg.budget).rounded())
            let share = BookingLimits.rotatedShare(of: total * seg.perStageLimit, batch: batches)
            let open = entryCount[k] + insideCount[k] >= budget || entryCount[k] >= share
            entryLimit[k] = open ? min(share, max(0, budget - insideCount[k])) : 0
            if entryCount[k] > 0 && share == 0 { zeroShareHolds = true }
        }
        // Liveness guard for new requests: an overdue one opens the first gate for at least one (never past the budget
        // of requests it would have admitted had its share been 1; held requests inside pass in `mayRun`).
        if entryLimit[0] == 0 && entryCount[0] > 0 && engine.nowSeconds >= oldestFreshArrival(engine) + parameters.maxHoldSeconds {
            entryLimit[0] = 1
        }
        var budget = engine.maxBatchedTokens
        advanceRunning(&engine, into: &plan, budget: &budget)
        quota[0] = entryLimit[0]
        admitWaiting(&engine, into: &plan, budget: &budget)
        return plan.isEmpty && zeroShareHolds
    }

    /// The segment a stage belongs to (stages past the last breakpoint stay in the last segment).
    private func segment(ofStage stage: Int, _ limits: BookingLimits) -> Int {
        var k = limits.segments.count - 1
        while k > 0 && limits.segments[k].entryStage > stage { k -= 1 }
        return k
    }

    /// Whether a running sequence may run this batch (Nested WAIT holds it at a closed segment entry).
    private mutating func mayRun(_ s: SequenceState, now: Double) -> Bool {
        guard mode == .nested, s.isDecoding, s.generatedTokens < segmentOfEntryStage.count else { return true }
        let k = segmentOfEntryStage[s.generatedTokens]
        guard k > 0 else { return true }
        if now >= s.lastTokenSeconds + parameters.maxHoldSeconds { return true }  // liveness guard
        guard entryAdmitted[k] < entryLimit[k] else { return false }
        entryAdmitted[k] += 1
        return true
    }

    /// Advances admitted requests one stage (a decode, or a prefill chunk), preempting the newest for KV if needed.
    private mutating func advanceRunning(_ engine: inout EngineState, into plan: inout BatchPlan, budget: inout Int) {
        var i = 0
        running: while i < engine.running.count && budget > 0 {
            let slot = engine.running[i]
            let seq = engine.sequences[Int(slot)]
            guard mayRun(seq, now: engine.nowSeconds) else {
                i += 1
                continue
            }
            let tokens = min(seq.remainingTokens, budget)
            while !engine.growKV(slot, toTokens: seq.computedTokens + tokens) {
                guard let victim = engine.running.last else { break running }
                engine.preempt(victim, plan: &plan)
                if victim == slot { break running }
            }
            engine.schedule(slot, tokens: tokens, in: &plan)
            budget -= tokens
            i += 1
        }
    }

    /// Admits, in queue order, every preempted request that fits, and up to `quota[type]` new requests of each type.
    private mutating func admitWaiting(_ engine: inout EngineState, into plan: inout BatchPlan, budget: inout Int) {
        picked.removeAll(keepingCapacity: true)
        pickedTokens.removeAll(keepingCapacity: true)
        var wanted = quota.reduce(0, +)
        let watermark = engine.kv.watermarkBlocks
        var i = 0
        while i < engine.waiting.count && budget > 0 && engine.running.count + picked.count < engine.maxRunningSequences {
            let slot = engine.waiting[i]
            let seq = engine.sequences[Int(slot)]
            let fresh = seq.firstScheduledSeconds == nil && seq.preemptions == 0
            if fresh && wanted == 0 { break }
            i += 1
            let j = Int(slot) < slotType.count ? slotType[Int(slot)] : 0
            if fresh && quota[j] == 0 { continue }
            let tokens = min(seq.remainingTokens, budget)
            guard engine.growKV(slot, toTokens: seq.computedTokens + tokens, keepingFree: watermark) else { break }
            picked.append(slot)
            pickedTokens.append(tokens)
            budget -= tokens
            if fresh {
                quota[j] -= 1
                wanted -= 1
                freshWaiting[j] -= 1
                if mode == .nested { entryAdmitted[0] += 1 }
            }
        }
        guard !picked.isEmpty else { return }
        engine.admitWaiting(picked)
        for (slot, tokens) in zip(picked, pickedTokens) { engine.schedule(slot, tokens: tokens, in: &plan) }
    }
}

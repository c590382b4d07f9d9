import DequeModule
import HeapModule

/// Length-aware iteration scheduling from predicted output lengths, in three documented configurations:
///
/// * **ISRTF** (ELIS, Choi et al., arXiv 2505.09142): shortest *predicted remaining* tokens first, re-predicted every
///   K generated tokens (K = 50, as a public re-implementation does), any request preemptible.
/// * **Learning to rank** (vllm-ltr, Fu et al., NeurIPS'24, `vllm/core/scheduler.py:_get_opt_ordered_requests`):
///   requests ordered once by their predicted length (the rank score of a new request is never updated), with the
///   starvation guard: a request not scheduled for `starvationThreshold` (200) iterations is promoted to the top for
///   `starvationQuantum` (10) iterations.
/// * **TRAIL** (Shahout et al., ICLR'25, harvard-cns/TRAIL-llm-scheduling): shortest predicted remaining first with
///   *limited preemption*: once a request has generated `c × its initial prediction` tokens (c = 0.8) it can no longer
///   be deferred or evicted.
///
/// Each iteration: pinned requests first (promoted ones, or TRAIL's non-preemptible ones), then running and waiting
/// requests merged in key order under the token budget and the sequence cap. A running request left out keeps its KV
/// (deferred); when a shorter request needs a slot or KV blocks, the longest preemptible request not in the batch is
/// preempted by recompute. Only predictions are read, never true lengths.
///
/// Complexity per iteration: O(R log R) for the R running requests plus O(log W) per waiting request admitted.
public struct PredictedLengthScheduler: IterationScheduler {
    /// What orders requests.
    public enum Key: Sendable, Hashable {
        /// Predicted remaining output tokens (ISRTF, TRAIL).
        case predictedRemaining
        /// Predicted total output tokens, fixed at arrival (learning to rank).
        case initialPrediction
    }

    /// The scheduler's parameters.
    public struct Parameters: Sendable, Hashable {
        /// Ordering key.
        public var key = Key.predictedRemaining
        /// Starvation guard: iterations without service before promotion (`nil`: no guard).
        public var starvationThreshold: Int? = nil
        /// Iterations a promoted request stays on top.
        public var starvationQuantum = 10
        /// TRAIL's c: a request is preemptible only for its first `c × initial prediction` tokens (`nil`: always).
        public var preemptionLimit: Double? = nil

        /// The defaults (ISRTF).
        public init() {}

        /// The defaults changed by `change`.
        public static func with(_ change: (inout Parameters) -> Void) -> Parameters {
            var p = Parameters()
            change(&p)
            return p
        }
    }

    /// The parameters.
    public let parameters: Parameters
    /// Registered name.
    public let name: String
    private var waitingByKey = Heap<Entry>()
    private var enqueuedSeen = 0
    private var iteration = 0
    private var lastServed: [Int] = []  // by slot: iteration last scheduled (or first seen)
    private var promotedUntil: [Int] = []  // by slot
    private var servedRequest: [Int] = []  // by slot: request id the two arrays above describe
    private var order: [EngineState.Slot] = []

    /// Creates the scheduler.
    public init(parameters: Parameters = Parameters(), name: String) {
        self.parameters = parameters
        self.name = name
    }

    private struct Entry: Comparable, Sendable {
        var key: Double
        var requestID: Int
        var slot: EngineState.Slot
        static func < (a: Entry, b: Entry) -> Bool { (a.key, a.requestID) < (b.key, b.requestID) }
    }

    /// The ordering key of a sequence (smaller runs first).
    public func key(_ s: SequenceState) -> Double {
        switch parameters.key {
        case .predictedRemaining: max(s.predictedOutputTokens - Double(s.generatedTokens), 1)
        case .initialPrediction: s.initialPredictedOutputTokens
        }
    }

    /// Whether a sequence may still be deferred or evicted (TRAIL's limit).
    public func isPreemptible(_ s: SequenceState) -> Bool {
        guard let c = parameters.preemptionLimit else { return true }
        return Double(s.generatedTokens) < c * s.initialPredictedOutputTokens
    }

    private func isPromoted(_ slot: EngineState.Slot, _ s: SequenceState) -> Bool {
        let i = Int(slot)
        return i < promotedUntil.count && servedRequest[i] == s.requestID && promotedUntil[i] > iteration
    }

    private mutating func track(_ slot: EngineState.Slot, _ s: SequenceState) {
        let i = Int(slot)
        while lastServed.count <= i {
            lastServed.append(iteration)
            promotedUntil.append(0)
            servedRequest.append(-1)
        }
        if servedRequest[i] != s.requestID {
            servedRequest[i] = s.requestID
            lastServed[i] = iteration
            promotedUntil[i] = 0
        }
    }

    /// Promotes `slot` if it has starved.
    private mutating func checkStarvation(_ slot: EngineState.Slot, _ s: SequenceState) {
        guard let threshold = parameters.starvationThreshold else { return }
        track(slot, s)
        let i = Int(slot)
        if promotedUntil[i] <= iteration && iteration - lastServed[i] >= threshold {
            promotedUntil[i] = iteration + parameters.starvationQuantum
        }
    }

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        iteration += 1
        absorbArrivals(engine)
        let budget = engine.maxBatchedTokens
        var tokens = 0
        // Starvation: running requests, and the oldest waiting ones (the queue is in arrival order).
        if parameters.starvationThreshold != nil {
            for slot in engine.running { checkStarvation(slot, engine.sequences[Int(slot)]) }
            for slot in engine.waiting {
                let s = engine.sequences[Int(slot)]
                checkStarvation(slot, s)
                if !isPromoted(slot, s) { break }
            }
        }
        // Running requests by (pinned first, key).
        var sorted: [EngineState.Slot] = []
        swap(&sorted, &order)  // sort outside `self`: the comparator reads it
        sorted.removeAll(keepingCapacity: true)
        sorted.append(contentsOf: engine.running)
        sorted.sort { a, b in
            let sa = engine.sequences[Int(a)]
            let sb = engine.sequences[Int(b)]
            let pa = isPromoted(a, sa) || !isPreemptible(sa)
            let pb = isPromoted(b, sb) || !isPreemptible(sb)
            if pa != pb { return pa }
            return (key(sa), sa.requestID) < (key(sb), sb.requestID)
        }
        swap(&sorted, &order)
        // Promoted waiting requests go first of all new admissions.
        if parameters.starvationThreshold != nil {
            let k = 0  // promoted requests are taken from the front, one after another
            while k < engine.waiting.count, tokens < budget {
                let slot = engine.waiting[k]
                let s = engine.sequences[Int(slot)]
                guard isPromoted(slot, s) else { break }
                if admit(slot, at: k, engine: &engine, plan: &plan, tokens: &tokens, budget: budget, candidateKey: -1) { continue }
                break
            }
        }
        var r = 0
        var admissionBlocked = false
        while tokens < budget {
            let running: EngineState.Slot? = r < order.count ? order[r] : nil
            let waiting = admissionBlocked ? nil : nextWaiting(engine)
            if let slot = running {
                let s = engine.sequences[Int(slot)]
                let pinned = isPromoted(slot, s) || !isPreemptible(s)
                if pinned || waiting == nil || (key(s), s.requestID) <= (waiting!.key, waiting!.requestID) {
                    r += 1
                    guard s.isRunning, s.scheduledTokens == 0 else { continue }
                    let chunk = min(s.remainingTokens, budget - tokens)
                    if growRunning(slot, toTokens: s.computedTokens + chunk, engine: &engine, plan: &plan) {
                        engine.schedule(slot, tokens: chunk, in: &plan)
                        tokens += chunk
                        served(slot, engine.sequences[Int(slot)])
                    }
                    continue
                }
            }
            guard let w = waiting, let index = engine.waiting.firstIndex(of: w.slot) else { break }
            // A blocked admission stops admissions, not the running requests still to be served.
            if !admit(w.slot, at: index, engine: &engine, plan: &plan, tokens: &tokens, budget: budget, candidateKey: w.key) {
                admissionBlocked = true
            }
        }
    }

    private mutating func served(_ slot: EngineState.Slot, _ s: SequenceState) {
        guard parameters.starvationThreshold != nil else { return }
        track(slot, s)
        lastServed[Int(slot)] = iteration
    }

    /// Admits waiting `slot` (at `index`), evicting longer preemptible requests for a slot or KV if needed.
    private mutating func admit(
        _ slot: EngineState.Slot, at index: Int, engine: inout EngineState, plan: inout BatchPlan, tokens: inout Int, budget: Int,
        candidateKey: Double
    ) -> Bool {
        let s = engine.sequences[Int(slot)]
        let evictionKey = candidateKey < 0 ? Double.infinity : candidateKey
        while engine.running.count >= engine.maxRunningSequences {
            guard evictLongest(above: evictionKey, engine: &engine, plan: &plan) else { return false }
        }
        let chunk = min(s.remainingTokens, budget - tokens)
        guard growOrEvict(slot, toTokens: s.computedTokens + chunk, candidateKey: evictionKey, engine: &engine, plan: &plan, watermark: true) else {
            return false
        }
        if waitingByKey.min?.slot == slot { waitingByKey.removeMin() }
        // Evictions put requests at the front of `waiting`, so the index may have moved.
        let i = index < engine.waiting.count && engine.waiting[index] == slot ? index : engine.waiting.firstIndex(of: slot)
        guard let i else { return false }
        engine.admitWaiting(at: i)
        engine.schedule(slot, tokens: chunk, in: &plan)
        tokens += chunk
        served(slot, engine.sequences[Int(slot)])
        return true
    }

    /// Takes KV for running `slot` as vLLM does: while blocks are short, preempt the lowest-priority request not in the
    /// batch (largest key among the preemptible ones, `slot` itself included). - Returns: false if `slot` was evicted
    /// or nothing could be.
    private mutating func growRunning(_ slot: EngineState.Slot, toTokens: Int, engine: inout EngineState, plan: inout BatchPlan) -> Bool {
        while !engine.growKV(slot, toTokens: toTokens) {
            var victim: EngineState.Slot?
            var victimKey = -Double.infinity
            for other in engine.running {
                let o = engine.sequences[Int(other)]
                guard o.scheduledTokens == 0, isPreemptible(o) || other == slot, !isPromoted(other, o) || other == slot else { continue }
                let k = key(o)
                if k > victimKey || (k == victimKey && other == slot) { (victim, victimKey) = (other, k) }
            }
            guard let v = victim else { return false }
            engine.preempt(v, plan: &plan)
            push(v, engine: engine)
            if v == slot { return false }
        }
        return true
    }

    /// Takes KV for `slot`, evicting longer preemptible requests that are not in the batch when blocks run out.
    private mutating func growOrEvict(
        _ slot: EngineState.Slot, toTokens: Int, candidateKey: Double, engine: inout EngineState, plan: inout BatchPlan, watermark: Bool = false
    ) -> Bool {
        let reserve = watermark ? engine.kv.watermarkBlocks : 0
        while !engine.growKV(slot, toTokens: toTokens, keepingFree: reserve) {
            guard evictLongest(above: candidateKey, engine: &engine, plan: &plan, sparing: slot) else { return false }
        }
        return true
    }

    /// Preempts (recompute) the running request with the largest key above `bound` that is preemptible and not yet
    /// in the batch. - Returns: whether one was found.
    private mutating func evictLongest(
        above bound: Double, engine: inout EngineState, plan: inout BatchPlan, sparing: EngineState.Slot = -1
    ) -> Bool {
        var victim: EngineState.Slot?
        var victimKey = bound
        for slot in engine.running where slot != sparing {
            let s = engine.sequences[Int(slot)]
            guard s.scheduledTokens == 0, isPreemptible(s), !isPromoted(slot, s) else { continue }
            let k = key(s)
            if k > victimKey || (bound == .infinity && victim == nil) {
                victim = slot
                victimKey = k
            }
        }
        guard let v = victim else { return false }
        engine.preempt(v, plan: &plan)
        push(v, engine: engine)
        return true
    }

    private mutating func push(_ slot: EngineState.Slot, engine: EngineState) {
        let s = engine.sequences[Int(slot)]
        waitingByKey.insert(Entry(key: key(s), requestID: s.requestID, slot: slot))
    }

    private mutating func absorbArrivals(_ engine: EngineState) {
        let fresh = engine.enqueuedCount - enqueuedSeen
        enqueuedSeen = engine.enqueuedCount
        guard fresh > 0 else { return }
        for k in max(engine.waiting.count - fresh, 0)..<engine.waiting.count {
            let slot = engine.waiting[k]
            push(slot, engine: engine)
            if parameters.starvationThreshold != nil { track(slot, engine.sequences[Int(slot)]) }
        }
    }

    /// The waiting request with the smallest key (stale heap entries are dropped).
    private mutating func nextWaiting(_ engine: EngineState) -> Entry? {
        while let top = waitingByKey.min {
            let s = engine.sequences[Int(top.slot)]
            if s.requestID == top.requestID && !s.isRunning && engine.waiting.contains(top.slot) { return top }
            waitingByKey.removeMin()
        }
        return nil
    }
}

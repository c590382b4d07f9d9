/// One prompt type of the fluid model of Ao, Luo, Simchi-Levi & Wang, "Optimizing LLM Inference: Fluid-Guided
/// Online Scheduling with Memory Constraints" (arXiv 2504.11320): prompts of `promptTokens` tokens that generate
/// `outputTokens` tokens, arriving at `arrivalRate` (any unit: only ratios matter).
///
/// Invariants: `promptTokens >= 1`, `outputTokens >= 1`, `arrivalRate > 0`.
public struct PromptType: Sendable, Hashable {
    /// Prompt length l_j, tokens.
    public var promptTokens: Int
    /// Output length l'_j, tokens (a request of this type runs `outputTokens + 1` stages: its prefill and its decodes).
    public var outputTokens: Int
    /// Arrival rate λ_j (relative).
    public var arrivalRate: Double

    /// Creates a type.
    public init(promptTokens: Int, outputTokens: Int, arrivalRate: Double) {
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.arrivalRate = arrivalRate
    }

    /// The two-type synthetic workload of the authors' experiment scripts (Luoxiaogan/vidur_or; ALGORITHMS.md §6):
    /// prefill 50 and 100, decode 156 and 171, arrivals in the ratio 167 : 31.
    public static let paperTwoTypes = [
        PromptType(promptTokens: 50, outputTokens: 156, arrivalRate: 167),
        PromptType(promptTokens: 100, outputTokens: 171, arrivalRate: 31),
    ]

    /// Parses `PROMPT:OUTPUT:RATE[,PROMPT:OUTPUT:RATE...]` (e.g. `50:156:167,100:171:31`).
    /// - Throws: ``SluiceError`` naming the bad element and the expected form.
    public static func parseList(_ text: String, field: String) throws(SluiceError) -> [PromptType] {
        var types: [PromptType] = []
        for element in text.split(separator: ",") {
            let parts = element.split(separator: ":")
            guard parts.count == 3, let p = Int(parts[0]), let o = Int(parts[1]), let r = Double(parts[2]),
                p >= 1, o >= 1, r > 0, r.isFinite
            else {
                throw .invalidValue(
                    field: field, value: String(element),
                    allowed: "PROMPT:OUTPUT:RATE with positive integer token counts and a positive rate, e.g. 50:156:167,100:171:31")
            }
            types.append(PromptType(promptTokens: p, outputTokens: o, arrivalRate: r))
        }
        guard !types.isEmpty else { throw .invalidValue(field: field, value: text, allowed: "at least one PROMPT:OUTPUT:RATE") }
        return types
    }
}

/// The booking limits of WAIT and Nested WAIT (arXiv 2504.11320), computed from the fluid model exactly as the
/// authors' code does (Luoxiaogan/vidur_or `booking_limit_replica_scheduler.py`,
/// `general_nested_booking_limit_replica_scheduler.py`; ALGORITHMS.md §5).
///
/// * **WAIT** (known output lengths): type j gets a budget `total · λ_j(l'_j+1) / Σ_k λ_k(l'_k+1)` spread over its
///   `l'_j + 1` stages, so its per-stage limit (cohort size) is `n_j = total · λ_j / Σ_k λ_k(l'_k+1)`, at least 1.
/// * **Nested WAIT** (unknown output lengths): the distinct output lengths d_1 < d_2 < … cut the decode stages into
///   segments; segment k covers stages [d_{k−1}, d_k) (d_0 = 0, stage 0 is the prefill), has `c_k = d_k − d_{k−1}`
///   stages and sees `A_k = Σ_{j: l'_j > d_{k−1}} λ_j`; it receives the share `c_k·A_k / Σ_i c_i·A_i` of the total,
///   spread evenly over its stages (per-stage limit `n_k = total · A_k / Σ_i c_i·A_i`).
///
/// `total` is the number of requests in the system at the fluid equilibrium. When not given it is sized so the
/// equilibrium's expected KV (each request at stage s holds `prompt + s` tokens) fills `memoryShare` of the cache,
/// and no more than the sequence cap: this plays the role of the paper's safety buffer (ALGORITHMS.md §5).
public struct BookingLimits: Sendable, Hashable {
    /// One segment of Nested WAIT (WAIT has one per type, spanning all its stages).
    public struct Segment: Sendable, Hashable {
        /// First stage of the segment (its entry; 0 is the prefill).
        public var entryStage: Int
        /// Stages in the segment.
        public var stageCount: Int
        /// The segment's share of `total`, requests (its stages' limits sum to it).
        public var budget: Double
        /// Per-stage limit n_k, requests (may be fractional; a cohort admits its integer rotation).
        public var perStageLimit: Double
    }

    /// Requests in the system at the fluid equilibrium.
    public let totalLimit: Int
    /// WAIT: per-stage limit n_j per type (the mean cohort size), in the order of the types.
    public let cohortSizes: [Double]
    /// Nested WAIT: the segments in stage order.
    public let segments: [Segment]

    /// The integer share of batch number `batch` of a fractional per-stage limit, so that the shares of consecutive
    /// batches average `limit` (`⌊limit·(b+1)⌋ − ⌊limit·b⌋`). The authors' code rounds each limit up to 1 instead,
    /// which at small totals turns 167 : 31 into 1 : 1 and starves the common type.
    public static func rotatedShare(of limit: Double, batch: Int) -> Int {
        Int((limit * Double(batch + 1)).rounded(.down)) - Int((limit * Double(batch)).rounded(.down))
    }

    /// WAIT's relative weights w_j = λ_j / Σ_k λ_k(l'_k+1), so n_j = total · w_j.
    static func waitWeights(_ types: [PromptType]) -> [Double] {
        let denominator = types.reduce(0.0) { $0 + $1.arrivalRate * Double($1.outputTokens + 1) }
        return types.map { $0.arrivalRate / denominator }
    }

    /// Nested WAIT's segments for a total of 1 request.
    static func unitSegments(_ types: [PromptType]) -> [Segment] {
        let breakpoints = Set(types.map(\.outputTokens)).sorted()
        var segments: [Segment] = []
        var previous = 0
        for d in breakpoints {
            let arrivals = types.filter { $0.outputTokens > previous }.reduce(0.0) { $0 + $1.arrivalRate }
            segments.append(Segment(entryStage: previous, stageCount: d - previous, budget: Double(d - previous) * arrivals, perStageLimit: arrivals))
            previous = d
        }
        let weight = segments.reduce(0.0) { $0 + $1.budget }
        return segments.map { Segment(entryStage: $0.entryStage, stageCount: $0.stageCount, budget: $0.budget / weight, perStageLimit: $0.perStageLimit / weight) }
    }

    /// Expected KV tokens per request of `total` at the equilibrium (KV of total = total × this).
    static func kvTokensPerUnit(_ types: [PromptType], nested: Bool) -> Double {
        if nested {
            let rate = types.reduce(0.0) { $0 + $1.arrivalRate }
            let meanPrompt = types.reduce(0.0) { $0 + $1.arrivalRate * Double($1.promptTokens) } / rate
            return unitSegments(types).reduce(0.0) { sum, s in
                // Σ over the segment's stages of (prompt + stage), times the per-stage limit.
                let stages = Double(s.stageCount)
                let stageSum = stages * meanPrompt + stages * Double(s.entryStage) + stages * (stages - 1) / 2
                return sum + s.perStageLimit * stageSum
            }
        }
        return zip(types, waitWeights(types)).reduce(0.0) { sum, pair in
            let (t, w) = pair
            let stages = Double(t.outputTokens + 1)
            return sum + w * (stages * Double(t.promptTokens) + stages * (stages - 1) / 2)
        }
    }

    /// The equilibrium total that fills `memoryShare` of `kvCapacityTokens`, capped by `maxRunning`.
    public static func derivedTotalLimit(types: [PromptType], nested: Bool, kvCapacityTokens: Int, memoryShare: Double, maxRunning: Int) -> Int {
        let perUnit = kvTokensPerUnit(types, nested: nested)
        let byMemory = Int((Double(kvCapacityTokens) * memoryShare / perUnit).rounded(.down))
        return max(1, min(maxRunning, byMemory))
    }

    /// The limits for `types` and an equilibrium of `totalLimit` requests.
    public init(types: [PromptType], totalLimit: Int) {
        self.totalLimit = totalLimit
        let total = Double(totalLimit)
        cohortSizes = Self.waitWeights(types).map { total * $0 }
        segments = Self.unitSegments(types).map {
            Segment(entryStage: $0.entryStage, stageCount: $0.stageCount, budget: $0.budget * total, perStageLimit: $0.perStageLimit * total)
        }
    }

    /// The index of the type a request belongs to: the nearest output length, then the nearest prompt length.
    public static func typeIndex(promptTokens: Int, outputTokens: Double, types: [PromptType]) -> Int {
        var best = 0
        var bestKey = (Double.infinity, Int.max)
        for (j, t) in types.enumerated() {
            let key = (abs(Double(t.outputTokens) - outputTokens), abs(t.promptTokens - promptTokens))
            if key < bestKey {
                best = j
                bestKey = key
            }
        }
        return best
    }
}

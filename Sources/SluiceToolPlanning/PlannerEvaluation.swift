/// Offline evaluation of the planner on logged plans, holding tasks out (k-fold over tasks, a fixed seed): for each
/// held-out (task, sample), every method picks one of the plans logged for it — without seeing their scores — and is
/// credited with that plan's measured score and price. This is how CATP-LLM's claims can be checked without running
/// the tools (its GPT-4 baselines cannot be run here).
public enum PlannerEvaluation: Sendable {
    /// Mean outcome of one method.
    public struct Outcome: Sendable, Hashable, Codable {
        /// Mean QoP (at the evaluation's α).
        public var qop: Double
        /// Mean measured score.
        public var score: Double
        /// Mean price, USD.
        public var costUSD: Double
        /// Decisions evaluated.
        public var decisions: Int

        /// Creates an outcome.
        public init(qop: Double, score: Double, costUSD: Double, decisions: Int) {
            self.qop = qop
            self.score = score
            self.costUSD = costUSD
            self.decisions = decisions
        }
    }

    /// One point of an α sweep: the learned planner at `alpha`.
    public struct SweepPoint: Sendable, Hashable, Codable {
        /// α of the learned planner's QoP.
        public var alpha: Double
        /// Its outcome (QoP at the evaluation's α).
        public var outcome: Outcome

        /// Creates a point.
        public init(alpha: Double, outcome: Outcome) {
            self.alpha = alpha
            self.outcome = outcome
        }
    }

    /// The baselines and the learned planner, by the names the reports use.
    public static func methods(alpha: Double) -> [(String, CostAwarePlanner.Method)] {
        [("learned", .learned(alpha: alpha)), ("best-score", .bestScore), ("cheapest", .cheapest), ("fixed-chain", .fixedChain)]
    }

    /// The name of the hindsight choice: the logged plan with the best measured QoP — an upper bound no planner can
    /// reach without running every candidate, reported to show how much room there is.
    public static let hindsightName = "hindsight-best"

    /// Runs the evaluation of the learned planner at `alpha` and the baselines, QoP reported at `alpha`.
    /// - Returns: the outcome of each method, by name, and of ``hindsightName``.
    public static func kFold(
        pool: [LoggedPlan], catalog: ToolCatalog, signatures: [Int: TaskSignature], folds: Int = 5, seed: UInt64 = 42, alpha: Double = 0.5
    ) -> [String: Outcome] {
        evaluate(
            pool: pool, catalog: catalog, signatures: signatures, folds: folds, seed: seed, qopAlpha: alpha, methods: methods(alpha: alpha),
            includeHindsight: true)
    }

    /// The learned planner at each of `alphas` on the same folds (QoP reported at `qopAlpha`), best first by α.
    public static func sweep(
        pool: [LoggedPlan], catalog: ToolCatalog, signatures: [Int: TaskSignature], folds: Int = 5, seed: UInt64 = 42,
        qopAlpha: Double = 0.5, alphas: [Double]
    ) -> [SweepPoint] {
        let named = alphas.map { ("learned α=\($0)", CostAwarePlanner.Method.learned(alpha: $0)) }
        let out = evaluate(pool: pool, catalog: catalog, signatures: signatures, folds: folds, seed: seed, qopAlpha: qopAlpha, methods: named)
        return zip(alphas, named).compactMap { a, m in out[m.0].map { SweepPoint(alpha: a, outcome: $0) } }
    }

    /// The largest cost reduction against `reference` among the sweep's points whose mean score is at least the
    /// reference's: `(alpha, 1 − cost/referenceCost)`, or `nil` when no point scores as well.
    public static func costReductionAtEqualOrBetterScore(_ sweep: [SweepPoint], reference: Outcome) -> (alpha: Double, reduction: Double)? {
        sweep.filter { $0.outcome.score >= reference.score && reference.costUSD > 0 }
            .min { $0.outcome.costUSD < $1.outcome.costUSD }
            .map { ($0.alpha, 1 - $0.outcome.costUSD / reference.costUSD) }
    }

    /// The tasks of `pool` with a signature, shuffled by `seed` (Fisher-Yates with SplitMix64 steps: reproducible).
    static func shuffledTasks(_ pool: [LoggedPlan], signatures: [Int: TaskSignature], seed: UInt64) -> [Int] {
        var tasks = Array(Set(pool.map(\.taskID)).filter { signatures[$0] != nil }).sorted()
        var state = seed
        for i in stride(from: tasks.count - 1, to: 0, by: -1) {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            tasks.swapAt(i, Int((z ^ (z >> 31)) % UInt64(i + 1)))
        }
        return tasks
    }

    static func evaluate(
        pool: [LoggedPlan], catalog: ToolCatalog, signatures: [Int: TaskSignature], folds: Int, seed: UInt64, qopAlpha: Double,
        methods: [(String, CostAwarePlanner.Method)], includeHindsight: Bool = false
    ) -> [String: Outcome] {
        let tasks = shuffledTasks(pool, signatures: signatures, seed: seed)
        var q = catalog.qop
        q.alpha = qopAlpha
        var sums: [String: (qop: Double, score: Double, cost: Double, n: Int)] = [:]
        let k = max(1, folds)
        for fold in 0..<k {
            let held = Set(tasks.enumerated().filter { $0.offset % k == fold }.map(\.element))
            guard !held.isEmpty, let planner = CostAwarePlanner(training: pool.filter { !held.contains($0.taskID) }, catalog: catalog) else { continue }
            let groups = Dictionary(grouping: pool.filter { held.contains($0.taskID) && $0.valid }) { "\($0.taskID)/\($0.sampleID)" }
            for (_, logged) in groups.sorted(by: { $0.key < $1.key }) {
                guard let signature = signatures[logged[0].taskID] else { continue }
                var picks: [(String, LoggedPlan)] = []
                for (name, method) in methods {
                    guard let pick = planner.rank(logged.map(\.plan), for: signature, method: method).first,
                          let row = logged.first(where: { $0.plan == pick.plan }) else { continue }
                    picks.append((name, row))
                }
                if includeHindsight, let best = logged.max(by: {
                    q.value(score: $0.score, costUSD: catalog.price(of: $0.plan, usage: $0.usage))
                        < q.value(score: $1.score, costUSD: catalog.price(of: $1.plan, usage: $1.usage))
                }) {
                    picks.append((hindsightName, best))
                }
                for (name, row) in picks {
                    let price = catalog.price(of: row.plan, usage: row.usage)
                    var s = sums[name] ?? (0, 0, 0, 0)
                    s.qop += q.value(score: row.score, costUSD: price)
                    s.score += row.score
                    s.cost += price
                    s.n += 1
                    sums[name] = s
                }
            }
        }
        return sums.mapValues { s in
            Outcome(qop: s.qop / Double(max(1, s.n)), score: s.score / Double(max(1, s.n)), costUSD: s.cost / Double(max(1, s.n)), decisions: s.n)
        }
    }
}

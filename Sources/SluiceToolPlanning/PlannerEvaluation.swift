/// Offline evaluation of the planner on logged plans, holding tasks out (k-fold over tasks, a fixed seed): for each
/// held-out (task, sample), every method picks one of the plans logged for it — without seeing their scores — and is
/// credited with that plan's measured score and price. This is how CATP-LLM's claims can be checked without running
/// the tools (its GPT-4 baselines cannot be run here).
public enum PlannerEvaluation: Sendable {
    /// Mean outcome of one method.
    public struct Outcome: Sendable, Hashable, Codable {
        /// Mean QoP (at the catalog's α).
        public var qop: Double
        /// Mean measured score.
        public var score: Double
        /// Mean price, USD.
        public var costUSD: Double
        /// Decisions evaluated.
        public var decisions: Int
    }

    /// Runs the evaluation. - Returns: the outcome of each method, by name.
    public static func kFold(
        pool: [LoggedPlan], catalog: ToolCatalog, signatures: [Int: TaskSignature], folds: Int = 5, seed: UInt64 = 42, alpha: Double = 0.5
    ) -> [String: Outcome] {
        let methods: [(String, CostAwarePlanner.Method)] = [
            ("learned", .learned(alpha: alpha)), ("best-score", .bestScore), ("cheapest", .cheapest), ("fixed-chain", .fixedChain),
        ]
        var tasks = Array(Set(pool.map(\.taskID)).filter { signatures[$0] != nil }).sorted()
        var state = seed
        for i in stride(from: tasks.count - 1, to: 0, by: -1) {  // Fisher-Yates with a SplitMix step: reproducible
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            tasks.swapAt(i, Int((z ^ (z >> 31)) % UInt64(i + 1)))
        }
        var q = catalog.qop
        q.alpha = alpha
        var sums: [String: (qop: Double, score: Double, cost: Double, n: Int)] = [:]
        for fold in 0..<max(1, folds) {
            let held = Set(tasks.enumerated().filter { $0.offset % max(1, folds) == fold }.map(\.element))
            guard let planner = CostAwarePlanner(training: pool.filter { !held.contains($0.taskID) }, catalog: catalog) else { continue }
            let groups = Dictionary(grouping: pool.filter { held.contains($0.taskID) && $0.valid }) { "\($0.taskID)/\($0.sampleID)" }
            for (_, logged) in groups.sorted(by: { $0.key < $1.key }) {
                guard let signature = signatures[logged[0].taskID] else { continue }
                for (name, method) in methods {
                    guard let pick = planner.rank(logged.map(\.plan), for: signature, method: method).first,
                          let row = logged.first(where: { $0.plan == pick.plan }) else { continue }
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

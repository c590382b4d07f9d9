/// Chooses a plan for a task among type-valid candidates (ALGORITHMS.md §4.5): by predicted QoP with the score from a
/// ``PlanScoreModel`` and the price from each tool's median logged usage; or by one of the baselines.
public struct CostAwarePlanner: Sendable {
    /// How to choose.
    public enum Method: Sendable, Hashable {
        /// Highest predicted QoP at this α (1: quality only).
        case learned(alpha: Double)
        /// Highest predicted score, cost ignored.
        case bestScore
        /// Cheapest predicted price.
        case cheapest
        /// The fewest steps, ties broken by the catalog order of the tools (a fixed single-chain choice).
        case fixedChain
    }

    /// A candidate with its predictions.
    public struct Choice: Sendable {
        /// The plan.
        public var plan: ToolPlan
        /// Predicted score.
        public var predictedScore: Double
        /// Predicted price, USD.
        public var predictedPriceUSD: Double
        /// Predicted QoP at the planner's α.
        public var predictedQoP: Double
    }

    /// The catalog.
    public let catalog: ToolCatalog
    /// The score model.
    public let scoreModel: PlanScoreModel
    /// Median usage of each tool in the training plans (tools never seen cost their fallback).
    public let medianUsage: [Int: ToolCallUsage]

    /// Learns from `training`. - Returns: `nil` when it holds no valid plan.
    public init?(training: [LoggedPlan], catalog: ToolCatalog) {
        guard let model = PlanScoreModel(training: training, catalog: catalog) else { return nil }
        self.catalog = catalog
        scoreModel = model
        medianUsage = PlanPool.medianUsage(training)
    }

    /// Predicted price of `plan`, USD (a tool never seen in training: the largest median execution time seen).
    public func predictedPrice(_ plan: ToolPlan) -> Double {
        let fallback = ToolCallUsage(execMs: medianUsage.values.map(\.execMs).max() ?? 1000)
        return plan.steps.reduce(0) { $0 + catalog.price(tool: $1.tool, usage: medianUsage[$1.tool] ?? fallback) }
    }

    /// The candidates valid for `task`, ranked best first by `method` (invalid ones are never returned).
    public func rank(_ candidates: [ToolPlan], for task: TaskSignature, method: Method) -> [Choice] {
        var q = catalog.qop
        if case .learned(let alpha) = method { q.alpha = alpha }
        var choices: [Choice] = []
        for plan in candidates where (try? plan.validate(for: task, catalog: catalog)) != nil {
            let score = scoreModel.predict(plan)
            let price = predictedPrice(plan)
            choices.append(Choice(plan: plan, predictedScore: score, predictedPriceUSD: price, predictedQoP: q.value(score: score, costUSD: price)))
        }
        switch method {
        case .learned: choices.sort { $0.predictedQoP > $1.predictedQoP }
        case .bestScore: choices.sort { $0.predictedScore > $1.predictedScore }
        case .cheapest: choices.sort { $0.predictedPriceUSD < $1.predictedPriceUSD }
        case .fixedChain:
            choices.sort { a, b in
                a.plan.steps.count != b.plan.steps.count
                    ? a.plan.steps.count < b.plan.steps.count
                    : a.plan.steps.map(\.tool).lexicographicallyPrecedes(b.plan.steps.map(\.tool))
            }
        }
        return choices
    }
}

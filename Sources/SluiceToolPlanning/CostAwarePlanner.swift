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
        /// Predicted execution time (critical path), ms.
        public var predictedTimeMs: Double
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

    /// Predicted usage of a call of `tool`: its median logged usage (the logged samples' size levels are unknown), or
    /// at input size level `sizeLevel`, the time implied by the catalog's average price for that level (CATP-LLM's
    /// `tool_prices[tool][size_level]`) with the median logged memory. A tool never seen in training takes the largest
    /// median execution time seen.
    public func predictedUsage(tool: Int, sizeLevel: Int? = nil) -> ToolCallUsage {
        let logged = medianUsage[tool] ?? ToolCallUsage(execMs: medianUsage.values.map(\.execMs).max() ?? 1000)
        guard let level = sizeLevel, (0..<catalog.sizeLevelCount).contains(level) else { return logged }
        return catalog.usage(tool: tool, sizeLevel: level, memory: logged)
    }

    /// Predicted price of `plan`, USD (every call is paid, parallel branches included).
    public func predictedPrice(_ plan: ToolPlan, sizeLevel: Int? = nil) -> Double {
        plan.steps.reduce(0) { $0 + catalog.price(tool: $1.tool, usage: predictedUsage(tool: $1.tool, sizeLevel: sizeLevel)) }
    }

    /// Predicted execution time of `plan` with its branches in parallel (the critical path), ms.
    public func predictedTimeMs(_ plan: ToolPlan, sizeLevel: Int? = nil) -> Double {
        plan.criticalPathMs(execMs: plan.steps.map { predictedUsage(tool: $0.tool, sizeLevel: sizeLevel).execMs })
    }

    /// The candidates valid for `task`, ranked best first by `method` (invalid ones are never returned); prices and
    /// times at input size level `sizeLevel` (`nil`: the median logged call).
    public func rank(_ candidates: [ToolPlan], for task: TaskSignature, method: Method, sizeLevel: Int? = nil) -> [Choice] {
        var q = catalog.qop
        if case .learned(let alpha) = method { q.alpha = alpha }
        var choices: [Choice] = []
        for plan in candidates where (try? plan.validate(for: task, catalog: catalog)) != nil {
            let score = scoreModel.predict(plan)
            let price = predictedPrice(plan, sizeLevel: sizeLevel)
            choices.append(Choice(
                plan: plan, predictedScore: score, predictedPriceUSD: price, predictedQoP: q.value(score: score, costUSD: price),
                predictedTimeMs: predictedTimeMs(plan, sizeLevel: sizeLevel)))
        }
        switch method {
        case .learned:
            choices.sort { $0.predictedQoP != $1.predictedQoP ? $0.predictedQoP > $1.predictedQoP : $0.plan.steps.count < $1.plan.steps.count }
        case .bestScore:
            choices.sort { $0.predictedScore != $1.predictedScore ? $0.predictedScore > $1.predictedScore : $0.predictedPriceUSD < $1.predictedPriceUSD }
        case .cheapest:
            choices.sort { $0.predictedPriceUSD != $1.predictedPriceUSD ? $0.predictedPriceUSD < $1.predictedPriceUSD : $0.predictedScore > $1.predictedScore }
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

import SluiceCore

/// Predicts a plan's score from its structure, learned offline from logged plans (the non-neural stand-in for
/// CATP-LLM's CAORL value estimates, ALGORITHMS.md §4.5): ridge regression over plan features — which tools it
/// calls, and which edges it has (`input → tool`, `tool → tool`) — so a plan is judged by the measured scores of plans
/// sharing its tools and hand-offs on other tasks. Closed form `(XᵀX + λI) w = Xᵀy`, solved by Cholesky.
public struct PlanScoreModel: Sendable {
    /// The weights, one per feature (bias first).
    public let weights: [Double]
    let toolCount: Int

    /// Ridge penalty used when none is given.
    public static let defaultLambda = 1.0

    /// Feature vector of `plan`: bias, tool indicators, input→tool edges, tool→tool edges.
    static func features(_ plan: ToolPlan, toolCount n: Int) -> [Double] {
        var x = [Double](repeating: 0, count: 1 + 2 * n + n * n)
        x[0] = 1
        for s in plan.steps {
            x[1 + s.tool] = 1
            for d in s.dependencies {
                switch d {
                case .input: x[1 + n + s.tool] = 1
                case .step(let j): x[1 + 2 * n + plan.steps[j].tool * n + s.tool] = 1
                }
            }
        }
        return x
    }

    /// Fits the model to `plans` (valid ones only). - Returns: `nil` when there is nothing to learn from.
    public init?(training plans: [LoggedPlan], catalog: ToolCatalog, lambda: Double = PlanScoreModel.defaultLambda) {
        let n = catalog.tools.count
        let d = 1 + 2 * n + n * n
        var a = [Double](repeating: 0, count: d * d)
        var b = [Double](repeating: 0, count: d)
        var count = 0
        for p in plans where p.valid {
            let x = Self.features(p.plan, toolCount: n)
            let nonzero = x.indices.filter { x[$0] != 0 }
            for i in nonzero {
                b[i] += p.score
                for j in nonzero { a[i * d + j] += 1 }
            }
            count += 1
        }
        guard count > 0 else { return nil }
        for i in 0..<d { a[i * d + i] += i == 0 ? 1e-9 : lambda }  // the bias is not shrunk
        // Cholesky: a = L Lᵀ (a is symmetric positive definite thanks to the ridge term).
        guard let l = CholeskySolver.factor(a, d) else { return nil }
        let w = CholeskySolver.solve(l, b, d)
        weights = w
        toolCount = n
    }

    /// The predicted score of `plan`.
    public func predict(_ plan: ToolPlan) -> Double {
        let x = Self.features(plan, toolCount: toolCount)
        var s = 0.0
        for i in x.indices where x[i] != 0 { s += weights[i] * x[i] }
        return s
    }
}

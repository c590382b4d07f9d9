import Foundation
import SluiceCore
import SluiceToolPlanning
import Testing

/// The cost-aware planner: never an invalid plan; α trades score for cost; held-out evaluation runs end to end.
struct PlannerTests {
    static func signatures() throws -> [Int: TaskSignature] {
        try PlanPool.signatures(ToolPlanTests.data.appendingPathComponent("tasks.json"))
    }

    @Test func thePlannerNeverReturnsAnInvalidPlanAndAlphaTradesScoreForCost() throws {
        let catalog = try ToolPlanTests.catalog()
        let pool = try PlanPool.load(ToolPlanTests.data.appendingPathComponent("plan_pool_seq.jsonl"), catalog: catalog)
        let planner = try #require(CostAwarePlanner(training: pool, catalog: catalog))
        let task = TaskSignature(inputType: "image", outputTypes: ["text"])
        // Candidates: every distinct logged plan, valid for the task or not.
        var seen = Set<ToolPlan>()
        let candidates = pool.map(\.plan).filter { seen.insert($0).inserted }
        for method in [CostAwarePlanner.Method.learned(alpha: 0.5), .bestScore, .cheapest, .fixedChain] {
            let ranked = planner.rank(candidates, for: task, method: method)
            #expect(!ranked.isEmpty)
            for c in ranked { try c.plan.validate(for: task, catalog: catalog) }
        }
        let quality = try #require(planner.rank(candidates, for: task, method: .learned(alpha: 1)).first)
        let thrift = try #require(planner.rank(candidates, for: task, method: .learned(alpha: 0)).first)
        #expect(thrift.predictedPriceUSD <= quality.predictedPriceUSD && thrift.predictedScore <= quality.predictedScore)
    }

    @Test func heldOutEvaluationRunsEndToEnd() throws {
        let catalog = try ToolPlanTests.catalog()
        let pool = try PlanPool.load(ToolPlanTests.data.appendingPathComponent("plan_pool_seq.jsonl"), catalog: catalog)
        let outcomes = PlannerEvaluation.kFold(pool: pool, catalog: catalog, signatures: try Self.signatures(), folds: 3, seed: 7)
        #expect(Set(outcomes.keys) == ["learned", "best-score", "cheapest", "fixed-chain"])
        let learned = try #require(outcomes["learned"])
        let cheapest = try #require(outcomes["cheapest"])
        let best = try #require(outcomes["best-score"])
        #expect(learned.decisions > 100 && learned.decisions == cheapest.decisions)
        #expect(cheapest.costUSD <= learned.costUSD + 1e-12 && cheapest.costUSD <= best.costUSD + 1e-12)
        #expect(outcomes == PlannerEvaluation.kFold(pool: pool, catalog: catalog, signatures: try Self.signatures(), folds: 3, seed: 7),
                "the same seed gives the same result")
    }
}

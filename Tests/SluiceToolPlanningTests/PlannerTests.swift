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
        #expect(Set(outcomes.keys) == ["learned", "best-score", "cheapest", "fixed-chain", PlannerEvaluation.hindsightName])
        // Hindsight (the best measured QoP among the candidates) bounds every method from above.
        let hindsight = try #require(outcomes[PlannerEvaluation.hindsightName])
        for (name, o) in outcomes { #expect(o.qop <= hindsight.qop + 1e-12, "\(name) beats hindsight") }
        let learned = try #require(outcomes["learned"])
        let cheapest = try #require(outcomes["cheapest"])
        let best = try #require(outcomes["best-score"])
        #expect(learned.decisions > 100 && learned.decisions == cheapest.decisions)
        #expect(cheapest.costUSD <= learned.costUSD + 1e-12 && cheapest.costUSD <= best.costUSD + 1e-12)
        #expect(outcomes == PlannerEvaluation.kFold(pool: pool, catalog: catalog, signatures: try Self.signatures(), folds: 3, seed: 7),
                "the same seed gives the same result")
    }

    @Test func sizeLevelsPriceCallsByTheCatalogTable() throws {
        let catalog = try ToolPlanTests.catalog()
        let pool = try PlanPool.load(ToolPlanTests.data.appendingPathComponent("plan_pool_seq.jsonl"), catalog: catalog)
        let planner = try #require(CostAwarePlanner(training: pool, catalog: catalog))
        let sr = try #require(catalog.index(of: "image_super_resolution"))
        let plan = try ToolPlan(steps: [.init(tool: sr, dependencies: [.input])])
        #expect(catalog.sizeLevelCount == 4)
        var times: [Double] = []
        for level in 0..<4 {
            let table = catalog.tools[sr].estimatedPriceUSDBySizeLevel[level]
            #expect(abs(planner.predictedPrice(plan, sizeLevel: level) - table) < 1e-9 * max(1, table), "level \(level)")
            times.append(planner.predictedTimeMs(plan, sizeLevel: level))
        }
        #expect(times == times.sorted() && times[3] > times[0], "larger inputs take longer: \(times)")
        // No level: the median logged call.
        #expect(planner.predictedPrice(plan) == catalog.price(tool: sr, usage: try #require(planner.medianUsage[sr])))
    }

    @Test func costReductionAtEqualScoreTakesTheCheapestPointThatScoresAsWell() {
        let reference = PlannerEvaluation.Outcome(qop: 0, score: 0.8, costUSD: 0.2, decisions: 10)
        let sweep = [
            PlannerEvaluation.SweepPoint(alpha: 0.5, outcome: .init(qop: 0, score: 0.7, costUSD: 0.05, decisions: 10)),
            PlannerEvaluation.SweepPoint(alpha: 0.8, outcome: .init(qop: 0, score: 0.8, costUSD: 0.15, decisions: 10)),
            PlannerEvaluation.SweepPoint(alpha: 1, outcome: .init(qop: 0, score: 0.81, costUSD: 0.2, decisions: 10)),
        ]
        let r = PlannerEvaluation.costReductionAtEqualOrBetterScore(sweep, reference: reference)
        #expect(r?.alpha == 0.8 && abs((r?.reduction ?? 0) - 0.25) < 1e-12)
        #expect(PlannerEvaluation.costReductionAtEqualOrBetterScore(Array(sweep.prefix(1)), reference: reference) == nil)
    }
}

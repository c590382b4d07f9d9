import SluiceCore
import Testing

/// WAIT and Nested WAIT (arXiv 2504.11320): the fluid booking limits and the gates built on them.
struct BookingLimitTests {
    @Test func waitCohortsFollowTheFluidFormula() {
        // n_j = total · λ_j / Σ_k λ_k (l'_k + 1), the authors' booking_limit_replica_scheduler.py.
        let limits = BookingLimits(types: PromptType.paperTwoTypes, totalLimit: 31_551)
        let denominator = 167.0 * 157 + 31 * 172
        #expect(abs(limits.cohortSizes[0] - 31_551 * 167 / denominator) < 1e-9)
        #expect(abs(limits.cohortSizes[1] - 31_551 * 31 / denominator) < 1e-9)
        // Cohorts times stages fill the total exactly.
        #expect(abs(limits.cohortSizes[0] * 157 + limits.cohortSizes[1] * 172 - 31_551) < 1e-6)
    }

    @Test func nestedSegmentsAreWeightedByStagesAndSurvivingArrivals() {
        let types = [
            PromptType(promptTokens: 10, outputTokens: 10, arrivalRate: 3),
            PromptType(promptTokens: 10, outputTokens: 20, arrivalRate: 2),
            PromptType(promptTokens: 10, outputTokens: 30, arrivalRate: 1),
        ]
        let limits = BookingLimits(types: types, totalLimit: 600)
        #expect(limits.segments.map(\.entryStage) == [0, 10, 20])
        #expect(limits.segments.map(\.stageCount) == [10, 10, 10])
        // Weights (d_k − d_{k−1}) · Σ_{j: l'_j > d_{k−1}} λ_j = 60 : 30 : 10 of 600.
        #expect(limits.segments.map { $0.budget.rounded() } == [360, 180, 60])
        #expect(limits.segments.map { $0.perStageLimit.rounded() } == [36, 18, 6])
    }

    @Test func rotatedSharesAverageTheFractionalLimit() {
        for limit in [0.25, 1.35, 3.0, 0.01] {
            let sum = (0..<400).reduce(0) { $0 + BookingLimits.rotatedShare(of: limit, batch: $1) }
            #expect(sum == Int((limit * 400).rounded(.down)))
        }
    }

    @Test func memoryTotalFitsTheCache() {
        let kvTokens = 100_000
        let total = BookingLimits.derivedTotalLimit(
            types: PromptType.paperTwoTypes, nested: false, kvCapacityTokens: kvTokens, memoryShare: 0.9, maxRunning: 100_000)
        // Expected KV at equilibrium: Σ_j n_j Σ_{s=0}^{l'_j} (l_j + s).
        let n = BookingLimits(types: PromptType.paperTwoTypes, totalLimit: total).cohortSizes
        let kv = n[0] * (157 * 50 + 156 * 157 / 2) + n[1] * (172 * 100 + 171 * 172 / 2)
        #expect(kv <= 0.9 * Double(kvTokens) && kv > 0.85 * Double(kvTokens))
        #expect(BookingLimits.derivedTotalLimit(types: PromptType.paperTwoTypes, nested: true, kvCapacityTokens: kvTokens, memoryShare: 0.9, maxRunning: 64) == 64)
    }

    @Test func typesParseAndBadTypesAreRejected() throws {
        #expect(try PromptType.parseList("50:156:167,100:171:31", field: "types") == PromptType.paperTwoTypes)
        for bad in ["50:156", "0:10:1", "10:10:-1", "a:b:c", ""] {
            #expect(throws: SluiceError.self) { try PromptType.parseList(bad, field: "types") }
        }
        #expect(throws: SluiceError.self) {
            _ = try BookingLimitScheduler.Parameters(try SchedulerOptions(parsing: ["total-limit=lots"]))
        }
        let p = try BookingLimitScheduler.Parameters(try SchedulerOptions(parsing: ["total-limit=40", "max-hold=0.5"]))
        #expect(p.totalLimit == .fixed(40) && p.maxHoldSeconds == 0.5)
    }

    /// WAIT holds everything until each type has its cohort, then admits exactly the cohort.
    @Test func waitAdmitsWholeCohortsOnly() {
        // Total 157·2 + 172 = 486 with rates 2 : 1 gives cohorts of exactly 2 and 1.
        var parameters = BookingLimitScheduler.Parameters()
        parameters.types = [PromptType(promptTokens: 50, outputTokens: 156, arrivalRate: 2), PromptType(promptTokens: 100, outputTokens: 171, arrivalRate: 1)]
        parameters.totalLimit = .fixed(486)
        var wait = BookingLimitScheduler(mode: .wait, parameters: parameters, name: "wait")
        var engine = CoreFixtures.engine(blocks: 100_000, budget: 1 << 30)
        var plan = BatchPlan()
        func arrive(_ id: Int, prompt: Int, output: Double) {
            let slot = engine.enqueue(CoreFixtures.request(id, prompt: prompt, at: engine.nowSeconds))
            engine.sequences[Int(slot)].predictedOutputTokens = output
        }
        for id in 0..<5 { arrive(id, prompt: 50, output: 156) }
        wait.schedule(&engine, into: &plan)
        #expect(plan.isEmpty, "no request of the second type yet: the gate holds")
        #expect(wait.nextDecisionSeconds(engine) == 1.0, "the liveness guard opens after max-hold")
        arrive(5, prompt: 100, output: 171)
        wait.schedule(&engine, into: &plan)
        #expect(plan.slots.count == 3, "a cohort: two of the first type, one of the second")
        #expect(engine.waiting.count == 3)
        // The liveness guard: once the oldest waiter has waited max-hold, a batch runs even without a full cohort.
        CoreFixtures.apply(plan, to: &engine)
        plan.reset()
        engine.nowSeconds = 0.5
        wait.schedule(&engine, into: &plan)
        #expect(plan.isEmpty)
        engine.nowSeconds = 1.0
        wait.schedule(&engine, into: &plan)
        #expect(plan.slots.count == 5 && engine.waiting.count == 1, "the three running advance and a cohort of what there is (two) is admitted")
    }
}

import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceSimulator
import Testing

/// Tenant budgets: never exceeded in any period, including through the downgrade fallback.
struct BudgetTests {
    static let classes = SLOClassTable([
        SLOClass(name: "chat", targets: SLOTargets(ttftSeconds: 1), share: 0.5),
        SLOClass(name: "batch", targets: SLOTargets(e2eSeconds: 60), share: 0.5),
    ])
    static let dear = Fixtures.deployment()
    static var cheap: Deployment {
        var d = Fixtures.deployment()
        d.gpu.pricePerHourUSD = 1
        return d
    }

    @Test(arguments: TenantBudget.Overflow.allCases)
    func budgetsAreNeverExceeded(overflow: TenantBudget.Overflow) throws {
        let period = 20.0
        let limit = 0.004
        var sim = Simulation(
            replicas: [ReplicaSpec(deployment: Self.dear, scheduler: "vllm"), ReplicaSpec(deployment: Self.cheap, scheduler: "vllm")],
            router: "round-robin", sloClasses: Self.classes, seed: 1)
        sim.budgets = ["batch": TenantBudget(usdPerPeriod: limit, periodSeconds: period, overflow: overflow)]
        var source = ArrayRequestSource(Fixtures.requests(count: 1500, rate: 25, seed: 4, maxPrompt: 2000, maxOutput: 400, classes: 2))
        var sink = CollectingOutcomeSink()
        let result = try sim.run(&source, outcomes: &sink)
        #expect(sink.outcomes.count == 1500)
        let report = try #require(result.tenants["batch"])
        #expect(report.rejectedForBudget > 0, "the budget binds")
        #expect(report.peakBudgetShare <= 1 + 1e-12)
        if overflow == .downgrade { #expect(report.downgraded > 0) } else { #expect(report.downgraded == 0) }
        // Recompute each period's spending from the outcomes at the price of the replica that served each request.
        let pricing = [Self.dear, Self.cheap].map { TokenPricing(deployment: $0, stepModel: RooflineStepTimeModel(deployment: $0)) }
        var spent: [Int: Double] = [:]
        for o in sink.outcomes where o.sloClass == 1 && o.status == .completed {
            spent[Int(o.arrivalSeconds / period), default: 0] += pricing[o.replica].charge(promptTokens: o.promptTokens, outputTokens: o.outputTokens)
        }
        #expect(spent.values.allSatisfy { $0 <= limit + 1e-12 }, "largest period spend \(spent.values.max() ?? 0)")
        #expect(abs(spent.values.reduce(0, +) - report.spentUSD) < 1e-9)
        #expect(sink.outcomes.filter { $0.sloClass == 0 }.allSatisfy { $0.status == .completed }, "tenants without a budget are untouched")
    }

    @Test func badBudgetSpecsAreRejected() {
        for bad in ["chat", ":usd=1", "chat:usd=-1", "chat:period=10", "chat:usd=1,over=queue", "chat:cash=3"] {
            #expect(throws: SluiceError.self) { _ = try TenantBudget.parse(bad) }
        }
        #expect((try? TenantBudget.parse("a:usd=2,tokens=1e6,period=60,over=downgrade"))?.budget.overflow == .downgrade)
    }
}

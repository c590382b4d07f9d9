import Foundation
import SluiceCatalog
import SluiceCore
import SluiceEngineModel
import SluiceGateway
import SluiceSimulator
import Testing

private typealias G = GatewayTests

/// The gateway admits exactly what the simulator admits (issue 15): the same request stream, against the same tenant
/// budget, through `sluice gateway` in front of a metered fake engine and through the simulator, gets the same
/// admission decision request by request. Both reserve the worst case (prompt + the output limit the engine honours)
/// with SluiceCore's `BudgetLedger` and settle to what was used.
struct AdmissionParityTests {
    /// (prompt tokens, output tokens) of each request, sent one after another.
    static let stream: [(prompt: Int, output: Int)] = [
        (30, 200), (12, 40), (25, 180), (40, 10), (18, 200), (33, 120), (9, 60), (27, 200), (14, 90), (22, 150),
        (11, 30), (38, 200), (16, 70), (10, 20), (29, 110), (13, 5),
    ]
    /// The output limit every request carries (`max_tokens`), and the simulated engine's.
    static let maxOutputTokens = 200
    /// The tenant's token budget: a few requests' worth, so it binds part way through.
    static let budgetTokens = 1_690.0

    static func simulatedDecisions() throws -> [Bool] {
        let catalog = try CatalogLoader.bundled()
        let limits = EngineLimits(maxModelLenTokens: 8192, maxOutputTokens: maxOutputTokens)
        let deployment = Deployment(model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: "h100-sxm"), limits: limits)
        let spec = ReplicaSpec(deployment: deployment, scheduler: "vllm")
        var sim = Simulation(replicas: [spec], sloClasses: SLOClassTable([SLOClass(name: "any", targets: SLOTargets(), share: 1)]), seed: 1)
        sim.budgets = ["team": TenantBudget(tokensPerPeriod: budgetTokens, periodSeconds: G.periodLongerThanAnyTest)]
        // Far apart: each request has finished (and settled) before the next arrives, as the gateway's are sent.
        let requests = stream.enumerated().map { i, r in
            var request = Request(id: i, arrivalSeconds: Double(i) * 1000, promptTokens: r.prompt, outputTokens: r.output)
            request.tenant = "team"
            return request
        }
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        _ = try sim.run(&source, outcomes: &sink)
        let byID = Dictionary(uniqueKeysWithValues: sink.outcomes.map { ($0.requestID, $0.status == .completed) })
        return stream.indices.map { byID[$0] ?? false }
    }

    @Test func theGatewayAndTheSimulatorAdmitTheSameRequests() async throws {
        let simulated = try Self.simulatedDecisions()
        #expect(simulated.contains(false) && simulated.contains(true), "the budget binds part way: \(simulated)")
        // A smaller request admitted after a larger one was refused: the decision is per request, not a cut-off.
        let firstRefusal = try #require(simulated.firstIndex(of: false))
        #expect(simulated[firstRefusal...].contains(true), "\(simulated)")
        try await G.withGateway(upstreams: [("metered", false)], configure: { c in
            c.tenants = [GatewayConfig.TenantConfig(
                name: "team", keySHA256: APIKeys.sha256Hex("team-key"),
                budget: TenantBudget(tokensPerPeriod: Self.budgetTokens, periodSeconds: G.periodLongerThanAnyTest))]
        }) { base in
            var gateway: [Bool] = []
            for r in Self.stream {
                let prompt = Array(repeating: "7", count: r.prompt).joined(separator: ",")
                let body = #"{"model":"tiny","prompt":[\#(prompt)],"max_tokens":\#(Self.maxOutputTokens),"user":"out=\#(r.output)"}"#
                let answer = try await G.post(base + "/v1/completions", body, headers: [("authorization", "Bearer team-key")])
                #expect(answer.status == 200 || answer.status == 429, "\(answer.status) \(answer.body)")
                gateway.append(answer.status == 200)
            }
            #expect(gateway == simulated, "gateway \(gateway) vs simulator \(simulated)")
        }
    }
}

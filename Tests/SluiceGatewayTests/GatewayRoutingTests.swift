import Foundation
import SluiceCore
import SluiceGateway
import Testing

/// Routers at the gateway see what they see in the simulator (issue 15): cached prompt prefixes, sessions, hosted
/// APIs priced by the token; and `over=downgrade` budgets downgrade instead of refusing.
struct GatewayRoutingTests {
    typealias G = GatewayTests

    static func chat(_ content: String) -> String {
        #"{"model":"tiny","max_tokens":8,"messages":[{"role":"user","content":"\#(content)"}]}"#
    }

    @Test func prefixAffinitySendsASharedPromptWhereItWasSeen() async throws {
        // "slow-a" holds each answer 400 ms. The document's first request goes to it (a tie goes to the first); then,
        // while a short request keeps it busy, the document's second request still goes there: its cached prefix
        // (hundreds of tokens) outweighs the short request's outstanding tokens. Without prefix knowledge the busy
        // upstream loses to the idle "b".
        try await G.withGateway(upstreams: [("slow-a", false), ("b", false)], router: "prefix-affinity") { base in
            let document = String(repeating: "The same long system document. ", count: 40)
            let first = try await G.post(base + "/v1/chat/completions", Self.chat(document + "question 1"))
            #expect(first.headers["x-sluice-upstream"] == "slow-a")
            async let busy = G.post(base + "/v1/chat/completions", Self.chat("short"))
            try await Task.sleep(for: .milliseconds(100))
            let second = try await G.post(base + "/v1/chat/completions", Self.chat(document + "question 2"))
            #expect(second.headers["x-sluice-upstream"] == "slow-a", "the cached prefix wins over a short request's load")
            #expect(try await busy.status == 200)
        }
    }

    @Test func aSessionStaysOnItsUpstream() async throws {
        try await G.withGateway(upstreams: [("a", false), ("b", false)], router: "round-robin") { base in
            var bySession: [String: Set<String>] = [:]
            for i in 0..<8 {
                let session = i % 2 == 0 ? "s-even" : "s-odd"
                let r = try await G.post(base + "/v1/chat/completions", G.chat, headers: [("x-sluice-session-id", session)])
                bySession[session, default: []].insert(r.headers["x-sluice-upstream"] ?? "?")
            }
            #expect(bySession["s-even"]?.count == 1 && bySession["s-odd"]?.count == 1, "\(bySession)")
        }
    }

    @Test func costAwareSendsLooseWorkToACheapHostedAPI() async throws {
        try await G.withGateway(upstreams: [("gpu", false), ("api", false)], router: "cost-aware", configure: { c in
            c.upstreams[0].gpu = "h100-sxm"
            c.upstreams[0].catalogModel = "llama-3.1-8b"
            c.upstreams[0].pricePerHourUSD = 2.99
            c.upstreams[1].pricePerHourUSD = 0
            c.upstreams[1].inputPricePerMillionUSD = 0.01
            c.upstreams[1].outputPricePerMillionUSD = 0.02
        }) { base in
            var toAPI = 0
            for _ in 0..<6 {
                let r = try await G.post(base + "/v1/chat/completions", G.chat, headers: [("x-sluice-deadline-ms", "600000")])
                if r.headers["x-sluice-upstream"] == "api" { toAPI += 1 }
            }
            #expect(toAPI == 6, "the hosted API is far cheaper for loose work: \(toAPI) of 6")
            // A tight TTFT target needs a latency model: the GPU upstream has one (its catalog prior), the API none yet.
            let tight = try await G.post(base + "/v1/chat/completions", G.chat, headers: [("x-sluice-ttft-ms", "200")])
            #expect(tight.headers["x-sluice-upstream"] == "gpu")
        }
    }

    @Test func overBudgetRequestsAreDowngradedToTheCheapUpstream() async throws {
        try await G.withGateway(upstreams: [("dear", false), ("cheap", false)], router: "round-robin", configure: { c in
            c.upstreams[0].inputPricePerMillionUSD = 1000
            c.upstreams[0].outputPricePerMillionUSD = 1000
            c.upstreams[1].inputPricePerMillionUSD = 1
            c.upstreams[1].outputPricePerMillionUSD = 1
            c.tenants = [GatewayConfig.TenantConfig(
                name: "thrifty", keySHA256: APIKeys.sha256Hex("thrifty-key"),
                budget: TenantBudget(usdPerPeriod: 0.01, periodSeconds: G.periodLongerThanAnyTest, overflow: .downgrade))]
        }) { base in
            // Worst case on "dear": (1 + 8) tokens × $1000/M = $0.009 fits once; on "cheap" $0.000009 fits many times.
            var statuses: [Int] = []
            var upstreams: [String] = []
            for _ in 0..<3 {
                let r = try await G.post(base + "/v1/chat/completions", G.chat, headers: [("authorization", "Bearer thrifty-key")])
                statuses.append(r.status)
                upstreams.append(r.headers["x-sluice-upstream"] ?? "-")
            }
            #expect(statuses == [200, 200, 200], "\(statuses) \(upstreams)")
            #expect(upstreams.dropFirst().allSatisfy { $0 == "cheap" }, "\(upstreams)")
            // Counted as downgrades, not as refusals (the first choice's failed reservation is not a refusal).
            let metrics = try await GatewayHardeningTests.get(base + "/metrics").body
            #expect(metrics.contains(#"sluice_budget_downgraded_total{tenant="thrifty"} 2"#), "\(metrics)")
            #expect(!metrics.contains(#"code="budget_exceeded""#))
        }
    }

    @Test func budgetAdmissionTriesTheChosenReplicaThenTheCheapest() {
        let dear = BudgetAdmission.Candidate(index: 0, usdPerOutputToken: 1e-3, load: 0)
        let cheapBusy = BudgetAdmission.Candidate(index: 1, usdPerOutputToken: 1e-6, load: 5)
        let cheapIdle = BudgetAdmission.Candidate(index: 2, usdPerOutputToken: 1e-6, load: 1)
        #expect(BudgetAdmission.attempts(chosen: dear, candidates: [dear, cheapBusy, cheapIdle], overflow: .reject) == [dear])
        #expect(BudgetAdmission.attempts(chosen: dear, candidates: [dear, cheapBusy, cheapIdle], overflow: .downgrade) == [dear, cheapIdle])
        #expect(BudgetAdmission.attempts(chosen: cheapIdle, candidates: [dear, cheapIdle], overflow: .downgrade) == [cheapIdle])
    }
}

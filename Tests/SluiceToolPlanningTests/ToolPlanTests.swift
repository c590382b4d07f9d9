import Foundation
import SluiceCore
import SluiceToolPlanning
import Testing

/// CATP-LLM's plan language, type rules and cost model against OpenCATP's data (`../shared/data/catp`).
struct ToolPlanTests {
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/catp")
    static func catalog() throws -> ToolCatalog { try ToolCatalog(contentsOf: data.appendingPathComponent("tools.json")) }

    @Test func everyLoggedPlanRoundTripsThroughBothForms() throws {
        let catalog = try Self.catalog()
        for pool in ["plan_pool_seq.jsonl", "plan_pool_nonseq.jsonl"] {
            let plans = try PlanPool.load(Self.data.appendingPathComponent(pool), catalog: catalog)
            #expect(plans.count > 1000)
            for p in plans {
                #expect(try ToolPlan.parse(json: p.plan.listForm(catalog: catalog), catalog: catalog) == p.plan)
                #expect(try ToolPlan.parse(tokens: p.plan.tokens(catalog: catalog), catalog: catalog) == p.plan)
            }
        }
        let text = try ToolPlan.parse(tokens: [80000, 80005, 90000, 90017, 90001, 80006, 90000, 90005, 90001, 80001], catalog: catalog).text(catalog: catalog)
        #expect(text == "1. image_deblurring <- input_of_query\n2. image_denoising <- image_deblurring")
    }

    @Test func pricesAndCriticalPathsMatchTheLoggedOnes() throws {
        let catalog = try Self.catalog()
        var checked = 0
        for pool in ["plan_pool_seq.jsonl", "plan_pool_nonseq.jsonl"] {
            for p in try PlanPool.load(Self.data.appendingPathComponent(pool), catalog: catalog) {
                if let logged = p.loggedPriceUSD {
                    #expect(abs(catalog.price(of: p.plan, usage: p.usage) - logged) <= 1e-9 * max(1, logged))
                    checked += 1
                }
                if let path = p.loggedCriticalPathMs {
                    #expect(abs(p.plan.criticalPathMs(execMs: p.usage.map(\.execMs)) - path) < 1e-6)
                }
            }
        }
        #expect(checked > 2000)
    }

    @Test func aChainTakesTheSumAndAForkTheLongestBranch() throws {
        let catalog = try Self.catalog()
        let chain = try ToolPlan.parse(json: #"["image_deblurring",["input_of_query"],"image_denoising",["image_deblurring"],"image_captioning",["image_denoising"]]"#, catalog: catalog)
        #expect(chain.criticalPathMs(execMs: [100, 200, 300]) == 600)
        let fork = try ToolPlan.parse(json: #"["image_deblurring",["input_of_query"],"image_captioning",["image_deblurring"],"object_detection",["image_deblurring"]]"#, catalog: catalog)
        #expect(fork.criticalPathMs(execMs: [100, 200, 300]) == 400)
        #expect(fork.sinks == [1, 2])
        try fork.validate(for: TaskSignature(inputType: "image", outputTypes: ["text", "text"]), catalog: catalog)
    }

    @Test func invalidPlansAreRefusedWithTheirReason() throws {
        let catalog = try Self.catalog()
        let cases: [(String, String)] = [
            (#"["image_deblurring",["input_of_query"],"image_deblurring",["image_deblurring"]]"#, "appears twice"),
            (#"["teleport",["input_of_query"]]"#, "unknown tool 'teleport'"),
            (#"["image_captioning",["image_deblurring"],"image_deblurring",["input_of_query"]]"#, "not an earlier tool"),
            (#"["image_captioning"]"#, "alternates"),
            (#"{"plan": 1}"#, "not a JSON array"),
        ]
        for (json, words) in cases {
            do {
                _ = try ToolPlan.parse(json: json, catalog: catalog)
                Issue.record("accepted \(json)")
            } catch {
                #expect(error.description.contains(words), "\(error.description)")
            }
        }
        // Type rules: a text tool fed an image; a plan whose outputs miss one the task needs.
        let mistyped = try ToolPlan.parse(json: #"["image_captioning",["input_of_query"],"image_denoising",["image_captioning"]]"#, catalog: catalog)
        do {
            try mistyped.validate(for: TaskSignature(inputType: "image", outputTypes: ["image"]), catalog: catalog)
            Issue.record("accepted a text output into an image tool")
        } catch {
            #expect(error.step == 1 && error.description.contains("takes image but gets image_captioning (text)"), "\(error.description)")
        }
        let short = try ToolPlan.parse(json: #"["image_deblurring",["input_of_query"]]"#, catalog: catalog)
        #expect(throws: PlanError.self) { try short.validate(for: TaskSignature(inputType: "image", outputTypes: ["text"]), catalog: catalog) }
        #expect(throws: PlanError.self) { _ = try ToolPlan.parse(tokens: [80000, 80005, 90000, 90017, 80001], catalog: catalog) }
    }

    @Test func loggedPlansAreTypeValidForTheirTasks() throws {
        let catalog = try Self.catalog()
        let tasks = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.data.appendingPathComponent("tasks.json"))) as? [String: Any]
        var signatures: [Int: TaskSignature] = [:]
        for t in tasks?["tasks"] as? [[String: Any]] ?? [] {
            if let id = t["task_id"] as? Int, let input = t["input_type"] as? String, let outputs = t["output_types"] as? [String] {
                signatures[id] = TaskSignature(inputType: input, outputTypes: outputs)
            }
        }
        var checked = 0
        for p in try PlanPool.load(Self.data.appendingPathComponent("plan_pool_seq.jsonl"), catalog: catalog) where p.valid {
            guard let s = signatures[p.taskID] else { continue }
            try p.plan.validate(for: s, catalog: catalog)
            checked += 1
        }
        #expect(checked > 1000)
    }

    @Test func qopFollowsTheFormula() throws {
        let q = try Self.catalog().qop
        #expect(abs(q.value(score: 1, costUSD: 0) - 0.5) < 1e-12)
        #expect(abs(q.value(score: 0.9523651885986328, costUSD: 0.14727732405100372) - 0.34629407769100573) < 1e-9)
        #expect(q.invalidValue < -2)
    }

    @Test func aBrokenCatalogNamesTheField() {
        do {
            _ = try ToolCatalog(json: Data(#"{"tools":[{"name":"x"}]}"#.utf8), file: "t.json")
            Issue.record("accepted a tool without tokens")
        } catch {
            #expect(error.description.contains("t.json") && error.description.contains("tools[0].tool_token"))
        }
    }
}

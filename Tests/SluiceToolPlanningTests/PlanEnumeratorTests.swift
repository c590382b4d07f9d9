import Foundation
import SluiceCore
import SluiceToolPlanning
import Testing

/// Enumeration of type-valid plans: every plan valid, each DAG once, the logged plans among them.
struct PlanEnumeratorTests {
    /// A plan as a DAG regardless of step order: each tool with the tools (or the input) it reads.
    static func shape(_ plan: ToolPlan) -> Set<String> {
        Set(plan.steps.map { s in
            "\(s.tool)<-" + s.dependencies.map { d in
                if case .step(let j) = d { return "\(plan.steps[j].tool)" }
                return "in"
            }.sorted().joined(separator: ",")
        })
    }

    @Test func everyEnumeratedPlanIsValidAndEachDAGAppearsOnce() throws {
        let catalog = try ToolPlanTests.catalog()
        for outputs in [["image"], ["text"], ["image", "text"], ["text", "text"]] {
            let task = TaskSignature(inputType: "image", outputTypes: outputs)
            let (plans, truncated) = PlanEnumerator(maxSteps: 4).plans(for: task, catalog: catalog)
            #expect(!truncated && !plans.isEmpty, "\(outputs)")
            for p in plans {
                try p.validate(for: task, catalog: catalog)
                #expect(p.steps.count <= 4)
                #expect(p.sinks.map { catalog.tools[p.steps[$0].tool].outputType }.sorted() == outputs.sorted(), "no dangling branch")
                #expect(p.steps.allSatisfy { catalog.tools[$0.tool].isPlannable })
            }
            #expect(Set(plans.map(Self.shape)).count == plans.count, "each DAG once")
        }
    }

    @Test func oneStepPlansAreTheToolsOfTheRightTypes() throws {
        let catalog = try ToolPlanTests.catalog()
        let (plans, _) = PlanEnumerator(maxSteps: 1).plans(for: TaskSignature(inputType: "image", outputTypes: ["image"]), catalog: catalog)
        let names = Set(plans.map { catalog.tools[$0.steps[0].tool].name })
        #expect(names == ["image_colorization", "image_deblurring", "image_denoising", "image_super_resolution"])
        let cut = PlanEnumerator(maxSteps: 3, maxPlans: 5).plans(for: TaskSignature(inputType: "image", outputTypes: ["text"]), catalog: catalog)
        #expect(cut.truncated && cut.plans.count == 5)
    }

    @Test func theLoggedPlansAreAmongTheEnumeratedOnes() throws {
        let catalog = try ToolPlanTests.catalog()
        let signatures = try PlannerTests.signatures()
        var checked = 0
        for file in ["plan_pool_seq.jsonl", "plan_pool_nonseq.jsonl"] {
            let pool = try PlanPool.load(ToolPlanTests.data.appendingPathComponent(file), catalog: catalog)
            var enumerated: [TaskSignature: Set<Set<String>>] = [:]
            for row in pool where row.plan.steps.count <= 4 {
                let task = try #require(signatures[row.taskID])
                // Logged plans may end in extra outputs; the enumerator makes only exact ones.
                guard row.plan.sinks.map({ catalog.tools[row.plan.steps[$0].tool].outputType }).sorted() == task.outputTypes.sorted() else { continue }
                if enumerated[task] == nil {
                    enumerated[task] = Set(PlanEnumerator(maxSteps: 4).plans(for: task, catalog: catalog).plans.map(Self.shape))
                }
                #expect(enumerated[task]?.contains(Self.shape(row.plan)) == true, "\(row.plan.oneLine(catalog: catalog)) of task \(row.taskID)")
                checked += 1
            }
        }
        #expect(checked > 1000)
    }

    @Test func theValidatorRefusesAToolAfterAPredecessorItDoesNotAllow() throws {
        let catalog = try ToolPlanTests.catalog()
        let plan = try ToolPlan.parse(
            json: #"["image_captioning",["input_of_query"],"text_to_image",["image_captioning"],"image_colorization",["text_to_image"]]"#,
            catalog: catalog)
        #expect(throws: PlanError.self) { try plan.validate(for: TaskSignature(inputType: "image", outputTypes: ["image"]), catalog: catalog) }
        do {
            try plan.validate(for: TaskSignature(inputType: "image", outputTypes: ["image"]), catalog: catalog)
        } catch {
            #expect(error.step == 2 && error.reason.contains("may not follow 'text_to_image'"), "\(error)")
        }
    }
}

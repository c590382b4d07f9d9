import Foundation
import SluiceCore
import SluiceToolPlanning
import Testing

/// The executor runs independent branches at once, keeps the results of branches that did not fail, and prices what ran.
struct PlanExecutorTests {
    static func tools(_ catalog: ToolCatalog, ms: [String: Double], failing: Set<String> = []) -> [Int: any PlanTool] {
        var out: [Int: any PlanTool] = [:]
        for (name, t) in ms {
            let i = catalog.index(of: name)!
            out[i] = EmulatedTool(outputType: catalog.tools[i].outputType, usage: ToolCallUsage(execMs: t, shortTermGPUMemoryMB: 100), fails: failing.contains(name))
        }
        return out
    }

    @Test func branchesRunConcurrentlySoWallTimeIsTheCriticalPath() async throws {
        let catalog = try ToolPlanTests.catalog()
        let plan = try ToolPlan.parse(
            json: #"["image_deblurring",["input_of_query"],"image_captioning",["image_deblurring"],"object_detection",["image_deblurring"],"image_classification",["image_deblurring"]]"#,
            catalog: catalog)
        let ms = ["image_deblurring": 100.0, "image_captioning": 1_000, "object_detection": 1_000, "image_classification": 1_000]
        let executor = PlanExecutor(catalog: catalog, tools: Self.tools(catalog, ms: ms))
        let run = await executor.run(plan, input: ToolValue(type: "image", payload: "img"))
        #expect(run.succeeded)
        let critical = plan.criticalPathMs(execMs: [100, 1_000, 1_000, 1_000]) / 1000  // 1.1 s; the sum is 3.1 s
        // The branches overlap (each started before any ended), and the wall time is near the critical path, not the sum —
        // unless other suites held every thread meanwhile (then some call took far longer than it sleeps: only the
        // overlap is judged).
        #expect(run.wallSeconds >= critical)
        let nominal = [0.1, 1, 1, 1]
        let undisturbed = run.steps.indices.allSatisfy { i in
            if case .succeeded(_, _, let s, let e) = run.steps[i] { return e - s < nominal[i] + 0.3 }
            return false
        }
        // …and no step waited for a thread: every branch started within 0.3 s of the root's end, the run ended within
        // 0.3 s of the last branch (a sequential bug is still caught by the overlap check above).
        var rootEnd = 0.0
        var rootStart = Double.infinity
        if case .succeeded(_, _, let s, let e) = run.steps[0] { (rootStart, rootEnd) = (s, e) }
        var branchStarts: [Double] = []
        var branchEnds: [Double] = []
        for case .succeeded(_, _, let s, let e) in run.steps[1...] {
            branchStarts.append(s)
            branchEnds.append(e)
        }
        let promptly = rootStart < 0.3 && branchStarts.allSatisfy { $0 < rootEnd + 0.3 } && run.wallSeconds < (branchEnds.max() ?? 0) + 0.3
        if undisturbed && promptly {
            // The guard lets five points slip by up to 0.3 s each (root start, root end, branch start, branch end, the
            // run's end): 2.6 s at most, still well under the 3.1 s a sequential run needs.
            let slack = 5 * 0.3
            #expect(run.wallSeconds < critical + slack, "wall \(run.wallSeconds) s, critical path \(critical) s, sum 3.1 s")
        }
        var starts: [Double] = []
        var ends: [Double] = []
        for case .succeeded(_, _, let s, let e) in run.steps[1...] {
            starts.append(s)
            ends.append(e)
        }
        #expect(starts.count == 3 && starts.max()! < ends.min()!, "every branch started before any ended")
        let usage = plan.steps.map { ToolCallUsage(execMs: ms[catalog.tools[$0.tool].name]!, shortTermGPUMemoryMB: 100) }
        #expect(abs(run.actualPriceUSD - catalog.price(of: plan, usage: usage)) < 1e-12)
        if case .succeeded(let value, _, _, _) = run.steps[1] { #expect(value.type == "text" && value.payload == "img>>") }
    }

    @Test func aFailedBranchFailsOnlyItsDependents() async throws {
        let catalog = try ToolPlanTests.catalog()
        let plan = try ToolPlan.parse(
            json: #"["image_deblurring",["input_of_query"],"image_denoising",["image_deblurring"],"image_captioning",["image_denoising"],"object_detection",["image_deblurring"]]"#,
            catalog: catalog)
        let ms = ["image_deblurring": 10.0, "image_denoising": 10, "image_captioning": 10, "object_detection": 50]
        let run = await PlanExecutor(catalog: catalog, tools: Self.tools(catalog, ms: ms, failing: ["image_denoising"]))
            .run(plan, input: ToolValue(type: "image", payload: "img"))
        #expect(!run.succeeded)
        guard case .failed(let reason) = run.steps[1] else { Issue.record("denoising should fail"); return }
        #expect(reason.contains("image_denoising"))
        #expect(run.steps[2] == .skipped(failedDependency: 1))
        guard case .succeeded = run.steps[3] else { Issue.record("the other branch keeps its result"); return }
        guard case .succeeded = run.steps[0] else { Issue.record("the root ran"); return }
    }

    @Test func aSlowCallTimesOutAndAMissingToolIsReported() async throws {
        let catalog = try ToolPlanTests.catalog()
        let plan = try ToolPlan.parse(json: #"["image_deblurring",["input_of_query"],"image_captioning",["image_deblurring"]]"#, catalog: catalog)
        let slow = PlanExecutor(catalog: catalog, tools: Self.tools(catalog, ms: ["image_deblurring": 5_000, "image_captioning": 1]), callTimeoutSeconds: 0.1)
        // Had the timeout not fired, the 5 s call would have succeeded.
        let run = await slow.run(plan, input: ToolValue(type: "image", payload: "img"))
        guard case .failed(let reason) = run.steps[0] else { Issue.record("timeout expected"); return }
        #expect(reason.contains("timed out"))
        #expect(run.steps[1] == .skipped(failedDependency: 0))
        let missing = await PlanExecutor(catalog: catalog, tools: [:]).run(plan, input: ToolValue(type: "image", payload: "img"))
        #expect(missing.steps[0] == .failed(reason: "no implementation of 'image_deblurring'"))
    }

    @Test func emulatedToolsFromThePoolUseTheMedianUsage() throws {
        let catalog = try ToolPlanTests.catalog()
        let pool = try PlanPool.load(ToolPlanTests.data.appendingPathComponent("plan_pool_seq.jsonl"), catalog: catalog)
        let tools = EmulatedTool.fromPool(pool, catalog: catalog, timeScale: 0.001)
        #expect(tools.count >= 8)
        let deblur = try #require(tools[catalog.index(of: "image_deblurring")!] as? EmulatedTool)
        #expect(deblur.outputType == "image" && deblur.usage.execMs > 0)
    }
}

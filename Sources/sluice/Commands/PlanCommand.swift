import ArgumentParser
import Foundation
import SluiceCore
import SluiceToolCalls
import SluiceToolPlanning

/// `sluice plan`: the cost-aware tool plan for one task (CATP-LLM, ICCV 2025), its predictions and runners-up; with
/// `--execute`, the plan run on emulated, HTTP or gateway-LLM tools, actual cost next to predicted.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Choose the tool plan for a task by predicted quality-of-plan (CATP-LLM); optionally run it.",
        discussion: """
            Candidates: every type-valid plan up to --max-steps tools, plus the plans logged for tasks of the same \
            signature in OpenCATP's pools. The score model is learned from both pools; prices come from the tools' \
            median logged usage, or with --size-level from the catalog's average price per input size level. \
            --execute runs the chosen plan's DAG with its branches in parallel: tools are emulated from the logged \
            measurements unless --tool NAME=URL serves one over HTTP or --llm-tool NAME sends it through a gateway.
            """)

    @Option(help: "Task id of OpenCATP's tasks.json (0-86 sequential, 200-223 non-sequential).")
    var task: Int

    @Option(help: ArgumentHelp("Input size level 0-3 (images 490x402 … 1921x2624 px; texts 149 … 7003 chars).", valueName: "L"))
    var sizeLevel: Int?

    @Option(help: "α of QoP = α·score − (1−α)·cost (default: the catalog's, 0.5; 1: quality only).")
    var alpha: Double?

    @Option(help: "learned, best-score, cheapest or fixed-chain.")
    var method = "learned"

    @Option(help: "Most tools in an enumerated plan.")
    var maxSteps = PlanEnumerator.defaultMaxSteps

    @Option(help: "Candidates: all, enumerated or logged.")
    var candidates = "all"

    @Option(help: ArgumentHelp("Output types when tasks.json does not know them (comma-separated: image,text).", valueName: "TYPES"))
    var outputs: String?

    @Option(help: "Runner-up plans to list.")
    var runnersUp = 5

    @Option(help: ArgumentHelp("OpenCATP data folder.", valueName: "DIR"))
    var data = "../shared/data/catp"

    @Flag(help: "Run the chosen plan and report its actual cost and time.")
    var execute = false

    @Option(help: "Emulated tools wait their logged time times this.")
    var timeScale = 1.0

    @Option(name: .customLong("tool"), help: ArgumentHelp("Serve a tool over HTTP (repeatable).", valueName: "NAME=URL"))
    var toolEndpoints: [String] = []

    @Option(name: .customLong("llm-tool"), help: ArgumentHelp("Answer a text tool with an LLM through --gateway (repeatable).", valueName: "NAME"))
    var llmTools: [String] = []

    @Option(help: ArgumentHelp("Base URL of the Sluice gateway for --llm-tool.", valueName: "URL"))
    var gateway: String?

    @Option(help: "Model the LLM tools ask the gateway for.")
    var model = "default"

    @Option(help: ArgumentHelp("Environment variable holding the gateway API key.", valueName: "NAME"))
    var apiKeyEnv: String?

    @Option(help: "Seconds one tool call may take.")
    var callTimeout = 60.0

    @Option(help: ArgumentHelp("Predict (and with --execute run) this plan, in the list form, instead of choosing one.", valueName: "JSON"))
    var plan: String?

    @Option(help: ArgumentHelp("The task input passed to the first tools.", valueName: "TEXT"))
    var input = "input_of_query"

    @Option(help: ArgumentHelp("Write the choice (and the run) as JSON.", valueName: "FILE"))
    var json: String?

    func run() async throws {
        let methods = ["learned", "best-score", "cheapest", "fixed-chain"]
        guard methods.contains(method) else { throw SluiceError.unknownName(kind: "method", name: method, valid: methods) }
        guard ["all", "enumerated", "logged"].contains(candidates) else {
            throw SluiceError.unknownName(kind: "candidates", name: candidates, valid: ["all", "enumerated", "logged"])
        }
        guard (1...8).contains(maxSteps) else { throw SluiceError.invalidValue(field: "--max-steps", value: "\(maxSteps)", allowed: "1...8") }
        guard runnersUp >= 0 else { throw SluiceError.invalidValue(field: "--runners-up", value: "\(runnersUp)", allowed: "0 or more") }
        guard timeScale >= 0, timeScale.isFinite else { throw SluiceError.invalidValue(field: "--time-scale", value: "\(timeScale)", allowed: "≥ 0") }
        guard callTimeout > 0 else { throw SluiceError.invalidValue(field: "--call-timeout", value: "\(callTimeout)", allowed: "> 0") }
        let dir = URL(fileURLWithPath: data)
        let catalog = try ToolCatalog(contentsOf: dir.appendingPathComponent("tools.json"))
        if let alpha, !(0...1).contains(alpha) { throw SluiceError.invalidValue(field: "--alpha", value: "\(alpha)", allowed: "0...1") }
        if let sizeLevel, !(0..<catalog.sizeLevelCount).contains(sizeLevel) {
            throw SluiceError.invalidValue(field: "--size-level", value: "\(sizeLevel)", allowed: "0...\(catalog.sizeLevelCount - 1)")
        }
        let tasks = try PlanPool.tasks(dir.appendingPathComponent("tasks.json"))
        guard let entry = tasks[task] else {
            throw SluiceError.invalidValue(field: "--task", value: "\(task)", allowed: "a task id of tasks.json (\(Self.ranges(tasks.keys.sorted())))")
        }
        let signature = try signatureOf(entry)
        let pool = try ["seq", "nonseq"].flatMap { kind throws(SluiceError) in
            try PlanPool.load(dir.appendingPathComponent("plan_pool_\(kind).jsonl"), catalog: catalog)
        }
        // Learn from the tasks most like this one: the same signature, else the same number of outputs (scores of
        // multi-output tasks average their outputs' scores, a scale of their own), else every logged plan.
        let poolSignatures = tasks.compactMapValues(\.signature)
        let sameSignature = pool.filter { poolSignatures[$0.taskID] == signature }
        let sameArity = pool.filter { poolSignatures[$0.taskID]?.outputTypes.count == signature.outputTypes.count }
        let (training, trainedOn) = !sameSignature.isEmpty ? (sameSignature, "tasks of the same signature")
            : !sameArity.isEmpty ? (sameArity, "tasks with \(signature.outputTypes.count) output(s)") : (pool, "every task")
        guard let planner = CostAwarePlanner(training: training, catalog: catalog) else {
            throw SluiceError.malformed(file: dir.path, line: nil, field: nil, reason: "the plan pools hold no valid plan to learn from")
        }
        var plans: [ToolPlan] = []
        var enumeratedCount = 0, loggedCount = 0, truncated = false
        var seen = Set<ToolPlan>()
        if let plan {
            let given: ToolPlan
            do {
                given = try ToolPlan.parse(json: plan, catalog: catalog)
                try given.validate(for: signature, catalog: catalog)
            } catch {
                throw SluiceError.invalidValue(field: "--plan", value: plan, allowed: "a plan valid for task \(task) (\(error.description))")
            }
            plans = [given]
        }
        if self.plan == nil, candidates != "logged" {
            let e = PlanEnumerator(maxSteps: maxSteps).plans(for: signature, catalog: catalog)
            truncated = e.truncated
            for p in e.plans where seen.insert(p).inserted { plans.append(p) }
            enumeratedCount = e.plans.count
        }
        if self.plan == nil, candidates != "enumerated" {
            for row in pool where poolSignatures[row.taskID] == signature && seen.insert(row.plan).inserted {
                plans.append(row.plan)
                loggedCount += 1
            }
        }
        let chosenMethod: CostAwarePlanner.Method = switch method {
        case "best-score": .bestScore
        case "cheapest": .cheapest
        case "fixed-chain": .fixedChain
        default: .learned(alpha: alpha ?? catalog.qop.alpha)
        }
        let ranked = planner.rank(plans, for: signature, method: chosenMethod, sizeLevel: sizeLevel)
        guard let best = ranked.first else {
            throw SluiceError.invalidValue(
                field: "--task", value: "\(task)",
                allowed: "a task with a type-valid plan within \(maxSteps) tools (none found for \(signature.inputType) → \(signature.outputTypes.joined(separator: "+")); raise --max-steps)")
        }
        let level = sizeLevel.map { "size level \($0)" } ?? "median logged call"
        print("task \(task): \(signature.inputType) → \(signature.outputTypes.joined(separator: " + ")), \(method)\(method == "learned" ? " α = \(fixed(alpha ?? catalog.qop.alpha, 2))" : ""), prices at \(level)")
        print("\(plans.count) candidates (\(enumeratedCount) enumerated up to \(maxSteps) tools\(truncated ? ", truncated" : ""), \(loggedCount) more logged for tasks of this signature); score model from \(training.count) logged plans of \(Set(training.map(\.taskID)).count) \(trainedOn)")
        print("\n\(plan == nil ? "chosen" : "given") plan:\n" + best.plan.text(catalog: catalog).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        print("  tokens: \(best.plan.tokens(catalog: catalog).map(String.init).joined(separator: " "))")
        print("  predicted score \(fixed(best.predictedScore, 4)), price $\(fixed(best.predictedPriceUSD, 5)), time \(fixed(best.predictedTimeMs, 0)) ms, QoP \(fixed(best.predictedQoP, 4))")
        if runnersUp > 0, ranked.count > 1 {
            var table = TextTable(["rank", "QoP", "score", "price USD", "time ms", "plan"])
            for (i, c) in ranked.dropFirst().prefix(runnersUp).enumerated() {
                table.add(["\(i + 2)", fixed(c.predictedQoP, 4), fixed(c.predictedScore, 4), "$" + fixed(c.predictedPriceUSD, 5), fixed(c.predictedTimeMs, 0), c.plan.oneLine(catalog: catalog)])
            }
            print("\nrunners-up:\n" + table.render(), terminator: "")
        }
        var object: [String: Any] = [
            "task": task, "inputType": signature.inputType, "outputTypes": signature.outputTypes, "method": method,
            "alpha": alpha ?? catalog.qop.alpha, "sizeLevel": sizeLevel as Any, "candidates": plans.count, "enumerated": enumeratedCount,
            "logged": loggedCount, "truncated": truncated, "trainingPlans": training.count, "chosen": Self.describe(best, catalog),
            "runnersUp": ranked.dropFirst().prefix(runnersUp).map { Self.describe($0, catalog) },
        ]
        if execute {
            let run = try await runPlan(best, inputType: signature.inputType, pool: pool, training: training, catalog: catalog)
            object["run"] = run
        }
        if let json {
            try writeData(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), to: json)
        }
    }

    private func signatureOf(_ entry: (inputType: String, signature: TaskSignature?)) throws(SluiceError) -> TaskSignature {
        if let outputs {
            let types = outputs.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !types.isEmpty, types.allSatisfy({ ["image", "text"].contains($0) }) else {
                throw SluiceError.invalidValue(field: "--outputs", value: outputs, allowed: "a comma-separated list of image, text")
            }
            return TaskSignature(inputType: entry.inputType, outputTypes: types)
        }
        guard let s = entry.signature else {
            throw SluiceError.invalidValue(
                field: "--task", value: "\(task)",
                allowed: "a task whose outputs tasks.json knows (task \(task)'s are only in the OpenCATP dataset; give them with --outputs image,text)")
        }
        return s
    }

    /// Runs the chosen plan; prints and returns what happened.
    private func runPlan(_ best: CostAwarePlanner.Choice, inputType signatureInput: String, pool: [LoggedPlan], training: [LoggedPlan], catalog: ToolCatalog) async throws -> [String: Any] {
        // Emulated from the plans the predictions came from; tools they never call, from every logged plan.
        var tools = EmulatedTool.fromPool(pool, catalog: catalog, timeScale: timeScale)
            .merging(EmulatedTool.fromPool(training, catalog: catalog, timeScale: timeScale)) { $1 }
        var how = [Int: String]()
        for spec in toolEndpoints {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let i = catalog.index(of: parts[0]), parts[1].hasPrefix("http") else {
                throw SluiceError.invalidValue(field: "--tool", value: spec, allowed: "NAME=URL with a catalog tool name and an http(s) URL")
            }
            tools[i] = HTTPTool(name: catalog.tools[i].name, outputType: catalog.tools[i].outputType, url: parts[1], timeoutSeconds: callTimeout)
            how[i] = "http"
        }
        if !llmTools.isEmpty {
            guard let gateway else { throw SluiceError.invalidValue(field: "--gateway", value: "(none)", allowed: "the gateway's base URL, needed by --llm-tool") }
            var apiKey: String?
            if let apiKeyEnv {
                guard let key = ProcessInfo.processInfo.environment[apiKeyEnv], !key.isEmpty else {
                    throw SluiceError.invalidValue(field: "--api-key-env", value: apiKeyEnv, allowed: "a set, non-empty environment variable")
                }
                apiKey = key
            }
            for name in llmTools {
                guard let i = catalog.index(of: name), catalog.tools[i].outputType == "text" else {
                    throw SluiceError.invalidValue(field: "--llm-tool", value: name, allowed: "a catalog tool with text output")
                }
                tools[i] = GatewayLLMTool(name: catalog.tools[i].name, gatewayURL: gateway, model: model, apiKey: apiKey, timeoutSeconds: callTimeout)
                how[i] = "llm"
            }
        }
        let executor = PlanExecutor(catalog: catalog, tools: tools, callTimeoutSeconds: callTimeout)
        let run = await executor.run(best.plan, input: ToolValue(type: signatureInput, payload: input))
        var table = TextTable(["step", "tool", "via", "outcome", "start ms", "end ms", "price USD"])
        var steps: [[String: Any]] = []
        for (i, outcome) in run.steps.enumerated() {
            let tool = best.plan.steps[i].tool
            let name = catalog.tools[tool].name
            let via = how[tool] ?? "emulated"
            switch outcome {
            case .succeeded(let value, let usage, let start, let end):
                let price = catalog.price(tool: tool, usage: usage)
                table.add(["\(i + 1)", name, via, "ok", fixed(start * 1000, 0), fixed(end * 1000, 0), "$" + fixed(price, 5)])
                steps.append(["tool": name, "via": via, "outcome": "ok", "startMs": start * 1000, "endMs": end * 1000, "priceUSD": price, "output": value.payload])
            case .failed(let reason):
                table.add(["\(i + 1)", name, via, "failed: \(reason)", "", "", ""])
                steps.append(["tool": name, "via": via, "outcome": "failed", "reason": reason])
            case .skipped(let j):
                table.add(["\(i + 1)", name, via, "skipped (step \(j + 1) failed)", "", "", ""])
                steps.append(["tool": name, "via": via, "outcome": "skipped", "failedDependency": j + 1])
            }
        }
        print("\nrun:\n" + table.render(), terminator: "")
        print("actual price $\(fixed(run.actualPriceUSD, 5)) (predicted $\(fixed(best.predictedPriceUSD, 5))), wall \(fixed(run.wallSeconds * 1000, 0)) ms (predicted critical path \(fixed(best.predictedTimeMs * timeScale, 0)) ms at time scale \(fixed(timeScale, 2)))")
        if !run.succeeded { print("the plan did not complete: a failed step's dependants were skipped; the other branches' results are above") }
        return [
            "succeeded": run.succeeded, "actualPriceUSD": run.actualPriceUSD, "predictedPriceUSD": best.predictedPriceUSD,
            "wallMs": run.wallSeconds * 1000, "predictedTimeMs": best.predictedTimeMs * timeScale, "steps": steps,
        ]
    }

    static func describe(_ c: CostAwarePlanner.Choice, _ catalog: ToolCatalog) -> [String: Any] {
        [
            "plan": c.plan.listForm(catalog: catalog), "tokens": c.plan.tokens(catalog: catalog), "predictedScore": c.predictedScore,
            "predictedPriceUSD": c.predictedPriceUSD, "predictedTimeMs": c.predictedTimeMs, "predictedQoP": c.predictedQoP,
        ]
    }

    /// `0-86, 200-223` from sorted ids.
    static func ranges(_ ids: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < ids.count {
            var j = i
            while j + 1 < ids.count, ids[j + 1] == ids[j] + 1 { j += 1 }
            parts.append(i == j ? "\(ids[i])" : "\(ids[i])-\(ids[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}

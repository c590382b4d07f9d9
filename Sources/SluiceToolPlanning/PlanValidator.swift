/// The type rules of CATP-LLM's grammar masks (`src/catpllm/model/offline_rl.py:create_action_mask`; ALGORITHMS.md
/// §4.2): the types a step's dependencies provide (the query's input provides the task's input type) must be exactly
/// the tool's input type (`image-text` takes one image and one text, in any order); and the plan's sinks together must
/// produce every output the task requires; a tool with a list of allowed predecessors (upstream `tool_dependencies`)
/// follows only those. Unknown tools, repeated tools and forward dependencies are refused when the
/// plan is parsed.
public struct TaskSignature: Sendable, Hashable {
    /// The query's input type (`image`, `text`).
    public var inputType: String
    /// Required output types (a multiset: `["text", "text"]` needs two text outputs).
    public var outputTypes: [String]

    /// Creates a signature.
    public init(inputType: String, outputTypes: [String]) {
        self.inputType = inputType
        self.outputTypes = outputTypes
    }
}

extension ToolPlan {
    /// Checks the type rules for `task`. - Throws: ``PlanError`` naming the first offending step.
    public func validate(for task: TaskSignature, catalog: ToolCatalog) throws(PlanError) {
        func components(_ type: String) -> [String] { type.split(separator: "-").map(String.init).sorted() }
        for (i, s) in steps.enumerated() {
            let tool = catalog.tools[s.tool]
            var provided: [String] = []
            var from: [String] = []
            var disallowed: String?
            for d in s.dependencies {
                switch d {
                case .input:
                    provided += components(task.inputType)
                    from.append("\(ToolCatalog.inputNode) (\(task.inputType))")
                case .step(let j):
                    let dep = catalog.tools[steps[j].tool]
                    if !tool.allowedPredecessors.isEmpty, !tool.allowedPredecessors.contains(steps[j].tool), disallowed == nil { disallowed = dep.name }
                    provided += components(dep.outputType)
                    from.append("\(dep.name) (\(dep.outputType))")
                }
            }
            guard provided.sorted() == components(tool.inputType) else {
                throw PlanError(step: i, reason: "'\(tool.name)' takes \(tool.inputType) but gets \(from.joined(separator: " + "))")
            }
            if let disallowed {
                let allowed = tool.allowedPredecessors.sorted().map { catalog.tools[$0].name }.joined(separator: ", ")
                throw PlanError(step: i, reason: "'\(tool.name)' may not follow '\(disallowed)' (allowed: \(allowed))")
            }
        }
        var outputs = sinks.map { catalog.tools[steps[$0].tool].outputType }
        for needed in task.outputTypes {
            guard let k = outputs.firstIndex(of: needed) else {
                let produced = sinks.map { "\(catalog.tools[steps[$0].tool].name) (\(catalog.tools[steps[$0].tool].outputType))" }
                throw PlanError(step: nil, reason: "the task needs outputs \(task.outputTypes) but the plan's outputs are \(produced.joined(separator: ", "))")
            }
            outputs.remove(at: k)
        }
    }
}

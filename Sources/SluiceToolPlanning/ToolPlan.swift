import Foundation

/// A tool plan in CATP-LLM's planning language (ALGORITHMS.md §4.2): steps in order, each a tool and the earlier steps
/// (or the query's input) it takes its input from. Several dependencies join; several steps on one parent branch, so
/// a plan is a DAG whose independent branches may run in parallel.
///
/// Forms: the list form `["tool", ["dep", ...], "tool", [...], ...]` (JSON), the token form
/// `SOP tool SOD dep... EOD ... EOP`, and a readable text form (`1. image_deblurring <- input_of_query`).
/// Invariants (checked when parsing): every tool is a catalog tool, appears at most once, and depends only on earlier
/// steps or the input.
public struct ToolPlan: Sendable, Hashable {
    /// Where a step's input comes from.
    public enum Source: Sendable, Hashable {
        /// The query's input.
        case input
        /// The output of the step at this index.
        case step(Int)
    }

    /// One call.
    public struct Step: Sendable, Hashable {
        /// Index of the tool in the catalog.
        public var tool: Int
        /// Its inputs.
        public var dependencies: [Source]

        /// Creates a step.
        public init(tool: Int, dependencies: [Source]) {
            self.tool = tool
            self.dependencies = dependencies
        }
    }

    /// The steps, in plan order.
    public var steps: [Step]

    /// Creates a plan. - Throws: ``PlanError`` when a step depends on a later step or repeats a tool.
    public init(steps: [Step]) throws(PlanError) {
        var seen = Set<Int>()
        for (i, s) in steps.enumerated() {
            guard seen.insert(s.tool).inserted else { throw PlanError(step: i, reason: "tool #\(s.tool) appears twice") }
            guard !s.dependencies.isEmpty else { throw PlanError(step: i, reason: "has no dependency (use input_of_query for the query's input)") }
            for d in s.dependencies {
                if case .step(let j) = d, !(0..<i).contains(j) {
                    throw PlanError(step: i, reason: "depends on step \(j + 1), which does not come before it")
                }
            }
        }
        self.steps = steps
    }

    /// Steps no other step depends on: the plan's outputs.
    public var sinks: [Int] {
        var used = Set<Int>()
        for s in steps { for case .step(let j) in s.dependencies { used.insert(j) } }
        return steps.indices.filter { !used.contains($0) }
    }

    /// Parses the list form, given as JSON text. - Throws: ``PlanError`` naming the step.
    public static func parse(json text: String, catalog: ToolCatalog) throws(PlanError) -> ToolPlan {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] else {
            throw PlanError(step: nil, reason: "not a JSON array [\"tool\", [\"dependency\", ...], ...]")
        }
        return try parse(list: list, catalog: catalog)
    }

    /// Parses the list form (alternating tool names and dependency lists). - Throws: ``PlanError`` naming the step.
    public static func parse(list: [Any], catalog: ToolCatalog) throws(PlanError) -> ToolPlan {
        guard list.count % 2 == 0, !list.isEmpty else {
            throw PlanError(step: nil, reason: "a plan alternates tool names and dependency lists (got \(list.count) elements)")
        }
        var steps: [Step] = []
        var stepOfTool: [Int: Int] = [:]
        for pair in 0..<(list.count / 2) {
            guard let name = list[2 * pair] as? String else { throw PlanError(step: pair, reason: "the tool must be a name") }
            guard let tool = catalog.index(of: name) else { throw PlanError(step: pair, reason: "unknown tool '\(name)'") }
            guard let deps = list[2 * pair + 1] as? [String] else {
                throw PlanError(step: pair, reason: "the dependencies of '\(name)' must be a list of names")
            }
            var sources: [Source] = []
            for d in deps {
                let n = ToolCatalog.normalise(d)
                if n.contains("input") {
                    sources.append(.input)
                } else if let t = catalog.index(of: n), let j = stepOfTool[t] {
                    sources.append(.step(j))
                } else {
                    throw PlanError(step: pair, reason: "'\(name)' depends on '\(d)', which is not an earlier tool of the plan")
                }
            }
            if stepOfTool[tool] != nil { throw PlanError(step: pair, reason: "tool '\(name)' appears twice") }
            stepOfTool[tool] = steps.count
            steps.append(Step(tool: tool, dependencies: sources))
        }
        return try ToolPlan(steps: steps)
    }

    /// Parses the token form. - Throws: ``PlanError`` naming the step or the token.
    public static func parse(tokens: [Int], catalog: ToolCatalog) throws(PlanError) -> ToolPlan {
        var list: [Any] = []
        var i = 0
        func token(_ k: Int) -> Int? { k < tokens.count ? tokens[k] : nil }
        guard token(0) == catalog.startOfPlan else { throw PlanError(step: nil, reason: "the token form starts with SOP (\(catalog.startOfPlan))") }
        i = 1
        while let t = token(i), t != catalog.endOfPlan {
            let step = list.count / 2
            guard let tool = catalog.tools.first(where: { $0.toolToken == t }) else { throw PlanError(step: step, reason: "token \(t) is not a tool token") }
            guard token(i + 1) == catalog.startOfDependencies else { throw PlanError(step: step, reason: "'\(tool.name)' is not followed by SOD") }
            i += 2
            var deps: [String] = []
            while let d = token(i), d != catalog.endOfDependencies {
                if d == catalog.inputDependencyToken {
                    deps.append(ToolCatalog.inputNode)
                } else if let dep = catalog.tools.first(where: { $0.dependencyToken == d }) {
                    deps.append(dep.name)
                } else {
                    throw PlanError(step: step, reason: "token \(d) is not a dependency token")
                }
                i += 1
            }
            guard token(i) == catalog.endOfDependencies else { throw PlanError(step: step, reason: "the dependencies of '\(tool.name)' are not closed by EOD") }
            i += 1
            list.append(tool.name)
            list.append(deps)
        }
        guard token(i) == catalog.endOfPlan, i == tokens.count - 1 else { throw PlanError(step: nil, reason: "the token form ends with EOP (\(catalog.endOfPlan))") }
        return try parse(list: list, catalog: catalog)
    }

    /// The token form.
    public func tokens(catalog: ToolCatalog) -> [Int] {
        var out = [catalog.startOfPlan]
        for s in steps {
            out.append(catalog.tools[s.tool].toolToken)
            out.append(catalog.startOfDependencies)
            for d in s.dependencies {
                switch d {
                case .input: out.append(catalog.inputDependencyToken)
                case .step(let j): out.append(catalog.tools[steps[j].tool].dependencyToken)
                }
            }
            out.append(catalog.endOfDependencies)
        }
        out.append(catalog.endOfPlan)
        return out
    }

    /// Dependency names of step `i`.
    func dependencyNames(_ i: Int, catalog: ToolCatalog) -> [String] {
        steps[i].dependencies.map {
            switch $0 {
            case .input: ToolCatalog.inputNode
            case .step(let j): catalog.tools[steps[j].tool].name
            }
        }
    }

    /// The list form as compact JSON (`["a",["input_of_query"],"b",["a"]]`).
    public func listForm(catalog: ToolCatalog) -> String {
        var parts: [String] = []
        for (i, s) in steps.enumerated() {
            parts.append("\"\(catalog.tools[s.tool].name)\"")
            parts.append("[" + dependencyNames(i, catalog: catalog).map { "\"\($0)\"" }.joined(separator: ",") + "]")
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    /// One line: `a → b → c` for a chain from the input, else the steps with their sources (`a; b(a); c(a)`).
    public func oneLine(catalog: ToolCatalog) -> String {
        let isChain = steps.indices.allSatisfy { i in steps[i].dependencies == [i == 0 ? .input : .step(i - 1)] }
        if isChain { return steps.map { catalog.tools[$0.tool].name }.joined(separator: " → ") }
        return steps.indices.map { i in
            let deps = dependencyNames(i, catalog: catalog).filter { $0 != ToolCatalog.inputNode }
            return catalog.tools[steps[i].tool].name + (deps.isEmpty ? "" : "(" + deps.joined(separator: ",") + ")")
        }.joined(separator: "; ")
    }

    /// The readable form: one line per step, `2. image_denoising <- image_deblurring`.
    public func text(catalog: ToolCatalog) -> String {
        steps.indices.map { "\($0 + 1). \(catalog.tools[steps[$0].tool].name) <- \(dependencyNames($0, catalog: catalog).joined(separator: " + "))" }
            .joined(separator: "\n")
    }
}

/// Why a plan is not valid: the step (0-based; `nil`: the plan as a whole) and the reason.
public struct PlanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offending step, 0-based.
    public var step: Int?
    /// What is wrong.
    public var reason: String

    /// Creates an error.
    public init(step: Int?, reason: String) {
        self.step = step
        self.reason = reason
    }

    /// `step 2: 'image_captioning' takes image but gets text from 'text_summarization'`.
    public var description: String { step.map { "step \($0 + 1): \(reason)" } ?? reason }
}

/// Enumerates every type-valid plan of a task up to a number of steps — the search space CATP-LLM's grammar masks
/// allow (ALGORITHMS.md §4.2, §4.5: "enumerate type-valid plans; tiny search space: ≤ 15 tools, short plans").
///
/// A plan is produced once per DAG (step orders of the same DAG are one plan), and only when its outputs are exactly
/// the task's (no dangling branch that is paid for and thrown away). Every plan returned passes
/// ``ToolPlan/validate(for:catalog:)``.
public struct PlanEnumerator: Sendable {
    /// Most steps in a plan (OpenCATP's logged plans have 1–6).
    public var maxSteps: Int
    /// Stop after this many plans (the result says it was truncated).
    public var maxPlans: Int
    /// Use only the tools upstream implements and uses (``ToolCatalog/Tool/isPlannable``).
    public var plannableOnly: Bool

    /// Steps allowed when none is given.
    public static let defaultMaxSteps = 4
    /// Plan limit when none is given.
    public static let defaultMaxPlans = 100_000

    /// Creates an enumerator.
    public init(maxSteps: Int = PlanEnumerator.defaultMaxSteps, maxPlans: Int = PlanEnumerator.defaultMaxPlans, plannableOnly: Bool = true) {
        self.maxSteps = maxSteps
        self.maxPlans = maxPlans
        self.plannableOnly = plannableOnly
    }

    /// The plans of `task`, in a deterministic order (shorter first), and whether `maxPlans` cut the list.
    public func plans(for task: TaskSignature, catalog: ToolCatalog) -> (plans: [ToolPlan], truncated: Bool) {
        let tools = catalog.tools.indices.filter { !plannableOnly || catalog.tools[$0].isPlannable }
        let required = task.outputTypes.sorted()
        var found: [ToolPlan] = []
        var seen = Set<String>()
        var truncated = false
        var steps: [ToolPlan.Step] = []
        var used = Set<Int>()
        var consumers = [Int](repeating: 0, count: max(0, maxSteps))

        func components(_ type: String) -> [String] { type.split(separator: "-").map(String.init).sorted() }
        func outputType(_ source: ToolPlan.Source) -> String {
            switch source {
            case .input: task.inputType
            case .step(let j): catalog.tools[steps[j].tool].outputType
            }
        }
        func allowed(_ tool: Int, after source: ToolPlan.Source) -> Bool {
            guard case .step(let j) = source else { return true }
            let allowed = catalog.tools[tool].allowedPredecessors
            return allowed.isEmpty || allowed.contains(steps[j].tool)
        }
        /// Source combinations whose types are exactly `tool`'s input (unordered, distinct sources).
        func sourceSets(for tool: Int) -> [[ToolPlan.Source]] {
            let needed = components(catalog.tools[tool].inputType)
            let sources: [ToolPlan.Source] = [.input] + steps.indices.map { .step($0) }
            let usable = sources.filter { allowed(tool, after: $0) && needed.contains(components(outputType($0)).first ?? "") && components(outputType($0)).count == 1 }
            var out: [[ToolPlan.Source]] = []
            func pick(_ from: Int, _ chosen: [ToolPlan.Source], _ types: [String]) {
                if chosen.count == needed.count {
                    if types.sorted() == needed { out.append(chosen) }
                    return
                }
                guard from < usable.count else { return }
                for k in from..<usable.count { pick(k + 1, chosen + [usable[k]], types + [outputType(usable[k])]) }
            }
            pick(0, [], [])
            return out
        }
        /// A key equal for every step order of the same DAG (each tool appears once, so subtrees name themselves).
        func canonicalKey() -> String {
            var memo = [String?](repeating: nil, count: steps.count)
            func key(_ i: Int) -> String {
                if let k = memo[i] { return k }
                let deps = steps[i].dependencies.map { d -> String in
                    if case .step(let j) = d { return key(j) }
                    return "in"
                }.sorted()
                let k = "\(steps[i].tool)(\(deps.joined(separator: ",")))"
                memo[i] = k
                return k
            }
            return steps.indices.filter { consumers[$0] == 0 }.map(key).sorted().joined(separator: "|")
        }
        func search() {
            guard !truncated else { return }
            let sinks = steps.indices.filter { consumers[$0] == 0 }
            if !steps.isEmpty, sinks.map({ catalog.tools[steps[$0].tool].outputType }).sorted() == required, seen.insert(canonicalKey()).inserted {
                guard found.count < maxPlans else { truncated = true; return }
                if let plan = try? ToolPlan(steps: steps) { found.append(plan) }
            }
            guard steps.count < maxSteps else { return }
            // Each further step removes at most one sink net (a join of two removes one), so too many sinks cannot
            // be brought down to the required outputs in the steps left.
            guard sinks.count - (maxSteps - steps.count) <= required.count else { return }
            for tool in tools where !used.contains(tool) {
                for deps in sourceSets(for: tool) {
                    steps.append(ToolPlan.Step(tool: tool, dependencies: deps))
                    used.insert(tool)
                    for case .step(let j) in deps { consumers[j] += 1 }
                    search()
                    for case .step(let j) in deps { consumers[j] -= 1 }
                    used.remove(tool)
                    steps.removeLast()
                    if truncated { return }
                }
            }
        }
        search()
        found.sort { $0.steps.count < $1.steps.count }
        return (found, truncated)
    }
}

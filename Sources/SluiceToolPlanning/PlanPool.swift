public import Foundation
public import SluiceCore

/// A logged candidate plan of OpenCATP's plan pools (`plan_pool_{seq,nonseq}.jsonl`): the plan executed on one data
/// sample of a task, with its measured score and each call's time and memory — the offline data a cost-aware planner
/// learns from.
public struct LoggedPlan: Sendable {
    /// Task id.
    public var taskID: Int
    /// Sample of the task.
    public var sampleID: Int
    /// The plan.
    public var plan: ToolPlan
    /// Measured score (0...1; ViT similarity or BERTScore).
    public var score: Double
    /// Whether upstream judged it valid.
    public var valid: Bool
    /// What each step's call used, in plan order.
    public var usage: [ToolCallUsage]
    /// Upstream-derived price and critical path, for checking (`derived_price_usd`, `derived_critical_path_ms`).
    public var loggedPriceUSD: Double?, loggedCriticalPathMs: Double?
}

/// Reads the plan pools.
public enum PlanPool: Sendable {
    /// Reads a `plan_pool_*.jsonl` file. - Throws: ``SluiceError`` naming the file, line and field.
    public static func load(_ url: URL, catalog: ToolCatalog) throws(SluiceError) -> [LoggedPlan] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        var out: [LoggedPlan] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let lineNumber = n + 1
            guard let row = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw .malformed(file: url.path, line: lineNumber, field: nil, reason: "not a JSON object")
            }
            func numbers(_ key: String) throws(SluiceError) -> [Double] {
                guard let v = row[key] as? [NSNumber] else {
                    throw .malformed(file: url.path, line: lineNumber, field: key, reason: "must be a list of numbers")
                }
                return v.map(\.doubleValue)
            }
            guard let task = row["task_id"] as? Int, let sample = row["sample_id"] as? Int else {
                throw .malformed(file: url.path, line: lineNumber, field: "task_id/sample_id", reason: "must be integers")
            }
            guard let list = row["plan"] as? [Any] else { throw .malformed(file: url.path, line: lineNumber, field: "plan", reason: "must be a list") }
            let plan: ToolPlan
            do { plan = try ToolPlan.parse(list: list, catalog: catalog) } catch {
                throw .malformed(file: url.path, line: lineNumber, field: "plan", reason: error.description)
            }
            let times = try numbers("tool_exec_time_ms")
            let cpu = try numbers("tool_short_term_cpu_mem_mb")
            let gpu = try numbers("tool_short_term_gpu_mem_mb")
            guard times.count == plan.steps.count, cpu.count == times.count, gpu.count == times.count else {
                throw .malformed(file: url.path, line: lineNumber, field: "tool_exec_time_ms", reason: "needs one entry per step (\(plan.steps.count))")
            }
            out.append(LoggedPlan(
                taskID: task, sampleID: sample, plan: plan, score: (row["score"] as? NSNumber)?.doubleValue ?? 0,
                valid: row["valid"] as? Bool ?? true,
                usage: (0..<times.count).map { ToolCallUsage(execMs: times[$0], shortTermCPUMemoryMB: cpu[$0], shortTermGPUMemoryMB: gpu[$0]) },
                loggedPriceUSD: (row["derived_price_usd"] as? NSNumber)?.doubleValue,
                loggedCriticalPathMs: (row["derived_critical_path_ms"] as? NSNumber)?.doubleValue))
        }
        return out
    }
}

extension PlanPool {
    /// Each tool's median logged usage over `plans` (time and both memories, each its own median).
    public static func medianUsage(_ plans: [LoggedPlan]) -> [Int: ToolCallUsage] {
        var calls: [Int: [ToolCallUsage]] = [:]
        for p in plans { for (s, u) in zip(p.plan.steps, p.usage) { calls[s.tool, default: []].append(u) } }
        return calls.mapValues { list in
            func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
            return ToolCallUsage(
                execMs: median(list.map(\.execMs)), shortTermCPUMemoryMB: median(list.map(\.shortTermCPUMemoryMB)),
                shortTermGPUMemoryMB: median(list.map(\.shortTermGPUMemoryMB)))
        }
    }

    /// Task signatures (input type, output types) from OpenCATP's `tasks.json`, for the tasks whose outputs are known.
    /// - Throws: ``SluiceError`` naming the file.
    public static func signatures(_ url: URL) throws(SluiceError) -> [Int: TaskSignature] {
        try tasks(url).compactMapValues(\.signature)
    }

    /// Every task of OpenCATP's `tasks.json`: its input type and, where known, its signature (the non-sequential test
    /// tasks' outputs are only in the OpenCATP dataset). - Throws: ``SluiceError`` naming the file.
    public static func tasks(_ url: URL) throws(SluiceError) -> [Int: (inputType: String, signature: TaskSignature?)] {
        guard let data = try? Data(contentsOf: url), let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let list = root["tasks"] as? [[String: Any]] else {
            throw .malformed(file: url.path, line: nil, field: "tasks", reason: "not a JSON object with a 'tasks' list")
        }
        var out: [Int: (inputType: String, signature: TaskSignature?)] = [:]
        for (i, t) in list.enumerated() {
            guard let id = t["task_id"] as? Int, let input = t["input_type"] as? String else {
                throw .malformed(file: url.path, line: nil, field: "tasks[\(i)]", reason: "needs an integer task_id and a string input_type")
            }
            out[id] = (input, (t["output_types"] as? [String]).map { TaskSignature(inputType: input, outputTypes: $0) })
        }
        return out
    }
}

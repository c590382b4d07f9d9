/// What one tool call used: its execution time and its per-call peak memory (the pools' `tool_exec_time_ms`,
/// `tool_short_term_cpu_mem_mb`, `tool_short_term_gpu_mem_mb`).
public struct ToolCallUsage: Sendable, Hashable {
    /// Execution time, ms.
    public var execMs: Double
    /// Extra peak CPU memory during the call, MB.
    public var shortTermCPUMemoryMB: Double
    /// Extra peak GPU memory during the call, MB.
    public var shortTermGPUMemoryMB: Double

    /// Creates a usage record.
    public init(execMs: Double, shortTermCPUMemoryMB: Double = 0, shortTermGPUMemoryMB: Double = 0) {
        self.execMs = execMs
        self.shortTermCPUMemoryMB = shortTermCPUMemoryMB
        self.shortTermGPUMemoryMB = shortTermGPUMemoryMB
    }
}

extension ToolCatalog {
    /// The rate of the smallest tier holding `memoryMB` (the largest tier beyond the table), USD per ms.
    static func rate(_ tiers: [Tier], memoryMB: Double) -> Double {
        (tiers.first { $0.memoryMB >= memoryMB } ?? tiers[tiers.count - 1]).usdPerMs
    }

    /// The price of one call of tool `tool`, USD — OpenCATP's AWS-Lambda-style formula (`cost_utils.py`), with its
    /// quirk kept: the tier rate is multiplied by the tool's memory as well.
    public func price(tool: Int, usage: ToolCallUsage) -> Double {
        pricePerRequestUSD + usage.execMs * usdPerMs(tool: tool, usage: usage)
    }

    /// What one ms of a call of `tool` costs with `usage`'s memory, USD (the formula's bracket).
    public func usdPerMs(tool: Int, usage: ToolCallUsage) -> Double {
        let t = tools[tool]
        return t.longTermCPUMemoryMB * Self.rate(cpuTiers, memoryMB: t.longTermCPUMemoryMB)
            + usage.shortTermCPUMemoryMB * cpuShortTermUSDPerMBPerMs
            + t.longTermGPUMemoryMB * Self.rate(gpuTiers, memoryMB: t.longTermGPUMemoryMB)
            + usage.shortTermGPUMemoryMB * gpuShortTermUSDPerMBPerMs
    }

    /// How many input size levels the price table has (OpenCATP: 4).
    public var sizeLevelCount: Int { tools.map(\.estimatedPriceUSDBySizeLevel.count).min() ?? 0 }

    /// The usage of a call of `tool` at input size level `level` implied by the table of average prices per level:
    /// `memory`'s per-call memory, and the execution time for which the formula gives the table's price.
    public func usage(tool: Int, sizeLevel level: Int, memory: ToolCallUsage) -> ToolCallUsage {
        let perMs = usdPerMs(tool: tool, usage: memory)
        let table = tools[tool].estimatedPriceUSDBySizeLevel[level]
        var u = memory
        u.execMs = perMs > 0 ? max(0, table - pricePerRequestUSD) / perMs : 0
        return u
    }

    /// The price of a plan: every call is paid, parallel branches included. `usage[i]` is step `i`'s.
    public func price(of plan: ToolPlan, usage: [ToolCallUsage]) -> Double {
        zip(plan.steps, usage).reduce(0) { $0 + price(tool: $1.0.tool, usage: $1.1) }
    }
}

extension ToolPlan {
    /// The plan's execution time with maximal parallelism: the critical path, `finish(step) = exec(step) +
    /// max(finish(dependency))` with the input finished at 0 (`src/plan/plan.py`). A chain takes the sum, a fork the
    /// longest branch.
    public func criticalPathMs(execMs: [Double]) -> Double {
        var finish = [Double](repeating: 0, count: steps.count)
        var longest = 0.0
        for (i, s) in steps.enumerated() {
            var start = 0.0
            for case .step(let j) in s.dependencies { start = max(start, finish[j]) }
            finish[i] = start + (i < execMs.count ? execMs[i] : 0)
            longest = max(longest, finish[i])
        }
        return longest
    }
}

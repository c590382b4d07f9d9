import SluiceCore

/// A value flowing between tools: its type (`image`, `text`) and a payload (text, or a reference to an image).
public struct ToolValue: Sendable, Hashable {
    /// Type.
    public var type: String
    /// Content or reference.
    public var payload: String

    /// Creates a value.
    public init(type: String, payload: String) {
        self.type = type
        self.payload = payload
    }
}

/// A callable tool: an HTTP endpoint, an LLM behind Sluice's gateway, or an emulated tool. It gets the values of its
/// dependencies (in the plan's order) and returns its output with what the call used, for the cost model.
public protocol PlanTool: Sendable {
    /// Runs the tool. Cancellation (a timeout) must end it promptly.
    func call(_ inputs: [ToolValue]) async throws -> (value: ToolValue, usage: ToolCallUsage)
}

/// What happened to one step of a run.
public enum StepOutcome: Sendable, Hashable {
    /// It ran: its output, what it used, when it started and ended (seconds from the run's start).
    case succeeded(value: ToolValue, usage: ToolCallUsage, startSeconds: Double, endSeconds: Double)
    /// It failed (an error or a timeout), with why.
    case failed(reason: String)
    /// It did not run because a dependency failed.
    case skipped(failedDependency: Int)
}

/// A finished run of a plan.
public struct PlanRun: Sendable {
    /// Per step, in plan order.
    public var steps: [StepOutcome]
    /// Wall time of the whole run, seconds.
    public var wallSeconds: Double
    /// Price of the calls that ran, from their measured usage, USD.
    public var actualPriceUSD: Double
    /// Whether every step succeeded.
    public var succeeded: Bool { steps.allSatisfy { if case .succeeded = $0 { true } else { false } } }
}

/// Runs a plan's DAG with maximal parallelism (structured concurrency: one child task per step, started as soon as
/// all of its dependencies have finished), each call under a timeout. A failing step fails only the steps that
/// depend on it; the other branches run to the end and keep their results. The actual price is recorded from each
/// call's measured usage, next to the price the planner predicted.
public struct PlanExecutor: Sendable {
    /// The catalog (for prices).
    public let catalog: ToolCatalog
    /// The implementation of each catalog tool, by index.
    public let tools: [Int: any PlanTool]
    /// Seconds one call may take.
    public let callTimeoutSeconds: Double

    /// Creates an executor.
    public init(catalog: ToolCatalog, tools: [Int: any PlanTool], callTimeoutSeconds: Double = 60) {
        self.catalog = catalog
        self.tools = tools
        self.callTimeoutSeconds = callTimeoutSeconds
    }

    private struct Timeout: Error {}

    /// Runs `plan` on `input`.
    public func run(_ plan: ToolPlan, input: ToolValue) async -> PlanRun {
        let clock = ContinuousClock()
        let start = clock.now
        @Sendable func since(_ t: ContinuousClock.Instant) -> Double {
            start.duration(to: t).inSeconds
        }
        var outcomes = [StepOutcome?](repeating: nil, count: plan.steps.count)
        var started = Set<Int>()
        let timeout = callTimeoutSeconds
        await withTaskGroup(of: (Int, StepOutcome).self) { group in
            func launchReady() {
                for (i, step) in plan.steps.enumerated() where !started.contains(i) {
                    var inputs: [ToolValue] = []
                    var ready = true
                    var failedDependency: Int?
                    for d in step.dependencies {
                        switch d {
                        case .input: inputs.append(input)
                        case .step(let j):
                            switch outcomes[j] {
                            case .succeeded(let value, _, _, _)?: inputs.append(value)
                            case .failed?, .skipped?: failedDependency = j
                            case nil: ready = false
                            }
                        }
                    }
                    if let j = failedDependency {
                        started.insert(i)
                        outcomes[i] = .skipped(failedDependency: j)
                        launchReady()
                        return
                    }
                    guard ready else { continue }
                    started.insert(i)
                    guard let tool = tools[step.tool] else {
                        outcomes[i] = .failed(reason: "no implementation of '\(catalog.tools[step.tool].name)'")
                        launchReady()
                        return
                    }
                    let name = catalog.tools[step.tool].name
                    let arguments = inputs
                    group.addTask {
                        let began = clock.now
                        do {
                            let result = try await withThrowingTaskGroup(of: (value: ToolValue, usage: ToolCallUsage)?.self) { race in
                                race.addTask { try await tool.call(arguments) }
                                race.addTask {
                                    try await Task.sleep(for: .seconds(timeout))
                                    return nil
                                }
                                defer { race.cancelAll() }
                                guard let first = try await race.next(), let result = first else { throw Timeout() }
                                return result
                            }
                            return (i, .succeeded(value: result.value, usage: result.usage, startSeconds: since(began), endSeconds: since(clock.now)))
                        } catch is Timeout {
                            return (i, .failed(reason: "'\(name)' timed out after \(timeout) s"))
                        } catch {
                            return (i, .failed(reason: "'\(name)' failed: \(error)"))
                        }
                    }
                }
            }
            launchReady()
            for await (i, outcome) in group {
                outcomes[i] = outcome
                launchReady()
            }
        }
        let steps = outcomes.map { $0 ?? .failed(reason: "never became ready") }
        var price = 0.0
        for (i, o) in steps.enumerated() {
            if case .succeeded(_, let usage, _, _) = o { price += catalog.price(tool: plan.steps[i].tool, usage: usage) }
        }
        return PlanRun(steps: steps, wallSeconds: since(clock.now), actualPriceUSD: price)
    }
}

/// A tool emulated from logged measurements: it waits its execution time (times `timeScale`) and returns a value of
/// the tool's output type, reporting the logged usage; optionally it fails.
public struct EmulatedTool: PlanTool {
    /// Output type.
    public var outputType: String
    /// What a call uses (its `execMs` is the wait, before scaling).
    public var usage: ToolCallUsage
    /// Wall seconds per logged second (tests run faster than the tools did).
    public var timeScale: Double
    /// Fail instead of answering.
    public var fails: Bool

    /// Creates an emulated tool.
    public init(outputType: String, usage: ToolCallUsage, timeScale: Double = 1, fails: Bool = false) {
        self.outputType = outputType
        self.usage = usage
        self.timeScale = timeScale
        self.fails = fails
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "emulated failure" }
    }

    public func call(_ inputs: [ToolValue]) async throws -> (value: ToolValue, usage: ToolCallUsage) {
        try await Task.sleep(for: .seconds(usage.execMs / 1000 * timeScale))
        if fails { throw Failure() }
        return (ToolValue(type: outputType, payload: inputs.map(\.payload).joined(separator: "+") + ">"), usage)
    }

    /// One emulated tool per catalog tool seen in `pool`: the median logged usage of its calls.
    public static func fromPool(_ pool: [LoggedPlan], catalog: ToolCatalog, timeScale: Double = 1) -> [Int: any PlanTool] {
        var out: [Int: any PlanTool] = [:]
        for (tool, usage) in PlanPool.medianUsage(pool) {
            out[tool] = EmulatedTool(outputType: catalog.tools[tool].outputType, usage: usage, timeScale: timeScale)
        }
        return out
    }
}

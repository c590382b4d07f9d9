public import SluiceCore
import SluiceEngineModel

/// Times a scheduler's decision alone: an engine with `running` decoding sequences and `waiting` queued prompts,
/// scheduled, advanced and told the batch time for `iterations` iterations (sequences never finish, so the state
/// stays the same size). Reports microseconds per iteration and per scheduled request.
public struct DecisionBenchmark: Sendable {
    /// Result of one measurement.
    public struct Result: Sendable {
        /// Iterations timed.
        public var iterations: Int
        /// Requests scheduled over all iterations.
        public var scheduledRequests: Int
        /// Wall seconds.
        public var seconds: Double
        /// Microseconds per iteration.
        public var microsecondsPerIteration: Double { seconds / Double(iterations) * 1e6 }
        /// Microseconds per scheduled request.
        public var microsecondsPerScheduledRequest: Double { seconds / Double(max(scheduledRequests, 1)) * 1e6 }
    }

    /// Scheduler name.
    public var scheduler: String
    /// Decoding sequences.
    public var running: Int
    /// Waiting prompts.
    public var waiting: Int
    /// Iterations to time.
    public var iterations: Int
    /// Batch time told to the scheduler, seconds.
    public static let batchSeconds = 0.03
    /// Prompt length of every sequence, tokens.
    public static let promptTokens = 256
    /// TBT target of every sequence, seconds.
    public static let tbtSeconds = 0.2

    /// Creates a benchmark.
    public init(scheduler: String, running: Int, waiting: Int, iterations: Int) {
        self.scheduler = scheduler
        self.running = running
        self.waiting = waiting
        self.iterations = iterations
    }

    /// Runs it. - Throws: ``SluiceError`` for an unknown scheduler.
    public func run(deployment: Deployment) throws(SluiceError) -> Result {
        let entry = try SchedulerRegistry.entry(named: scheduler)
        let model = RooflineStepTimeModel(deployment: deployment)
        var s = try entry.instantiate(SchedulerContext(deployment: deployment, stepModel: model))
        // Room for every running sequence to grow one token per iteration without preemption, and for the prompts.
        let growth = Self.promptTokens + iterations + 10 * running
        let blocks = running * (growth / 16 + 2) + waiting * ((Self.promptTokens + 1000) / 16 + 1) + 1024
        var engine = EngineState(
            kv: KVBlockPool(totalBlocks: blocks, blockSizeTokens: 16, watermarkFraction: 0), maxRunningSequences: running,
            maxBatchedTokens: entry.defaultMaxBatchedTokens ?? 2048, maxOutputTokens: 1 << 20, maxModelLenTokens: 1 << 30)
        var plan = BatchPlan()
        func step(_ now: Double) -> Int {
            engine.nowSeconds = now
            plan.reset()
            s.schedule(&engine, into: &plan)
            for slot in plan.slots {
                let i = Int(slot)
                engine.sequences[i].computedTokens += engine.sequences[i].scheduledTokens
                engine.sequences[i].scheduledTokens = 0
                if engine.sequences[i].computedTokens == engine.sequences[i].totalTokens { engine.sequences[i].generatedTokens += 1 }
            }
            s.didFinishIteration(&engine, plan: plan, durationSeconds: Self.batchSeconds)
            return plan.slots.count
        }
        // Fill the running set: `running` prompts admitted and prefilled until all decode.
        for i in 0..<running {
            _ = engine.enqueue(Request(id: i, arrivalSeconds: 0, promptTokens: Self.promptTokens, outputTokens: 1 << 20), tbtTargetSeconds: Self.tbtSeconds)
        }
        var now = 0.0
        var warm = 0
        while engine.running.contains(where: { !engine.sequences[Int($0)].isDecoding }) || engine.running.count < running {
            _ = step(now)
            now += Self.batchSeconds
            warm += 1
            if warm > 10 * running { break }
        }
        for i in 0..<waiting {
            _ = engine.enqueue(
                Request(id: running + i, arrivalSeconds: now, promptTokens: Self.promptTokens + i % 1000, outputTokens: 1 << 20),
                tbtTargetSeconds: Self.tbtSeconds)
        }
        var scheduled = 0
        let start = monotonicSeconds()
        for _ in 0..<iterations {
            scheduled += step(now)
            now += Self.batchSeconds
        }
        return Result(iterations: iterations, scheduledRequests: scheduled, seconds: monotonicSeconds() - start)
    }
}

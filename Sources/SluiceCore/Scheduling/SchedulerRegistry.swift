/// What a scheduler may know about the replica it runs on when it is made.
public struct SchedulerContext: Sendable {
    /// The deployment.
    public var deployment: Deployment
    /// The replica's step-time model (throughput-aware schedulers size their batches with it).
    public var stepModel: any StepTimeModel
    /// Overrides of the scheduler's parameters.
    public var options: SchedulerOptions

    /// Creates a context.
    public init(deployment: Deployment, stepModel: any StepTimeModel, options: SchedulerOptions = SchedulerOptions()) {
        self.deployment = deployment
        self.stepModel = stepModel
        self.options = options
    }
}

/// The iteration schedulers users pick by name (`--scheduler NAME`), each a documented configuration.
public enum SchedulerRegistry: Sendable {
    /// One registered scheduler.
    public struct Entry: Sendable {
        /// Name on the command line.
        public let name: String
        /// One-line description with its defaults.
        public let summary: String
        /// Token budget per iteration when `--chunk-size` is not given (`nil`: unlimited).
        public let defaultMaxBatchedTokens: Int?
        /// Makes a fresh scheduler (one per replica) for a deployment, its step-time model and option overrides.
        public let make: @Sendable (SchedulerContext) throws(SluiceError) -> any IterationScheduler
        /// Keys of `--scheduler-option` this scheduler accepts.
        public let optionKeys: [String]
        /// Whether the scheduler reads predicted output lengths (the simulator then runs a predictor).
        public let usesPredictor: Bool
        /// Re-predict every this many generated tokens (`nil`: once, at arrival).
        public let repredictEveryTokens: Int?

        /// Creates an entry.
        public init(
            name: String, summary: String, defaultMaxBatchedTokens: Int?, usesPredictor: Bool = false, repredictEveryTokens: Int? = nil,
            optionKeys: [String] = [], make: @escaping @Sendable (SchedulerContext) throws(SluiceError) -> any IterationScheduler
        ) {
            self.optionKeys = optionKeys + (usesPredictor ? ["repredict-every"] : [])
            self.name = name
            self.summary = summary
            self.defaultMaxBatchedTokens = defaultMaxBatchedTokens
            self.usesPredictor = usesPredictor
            self.repredictEveryTokens = repredictEveryTokens
            self.make = make
        }

        /// A scheduler for `context`, after checking its option keys. - Throws: ``SluiceError`` for a bad option.
        public func instantiate(_ context: SchedulerContext) throws(SluiceError) -> any IterationScheduler {
            try context.options.validate(scheduler: name, allowed: optionKeys)
            return try make(context)
        }

        /// Tokens between re-predictions in force (`repredict-every` overrides the default).
        public func repredictEvery(_ options: SchedulerOptions) throws(SluiceError) -> Int? {
            guard usesPredictor else { return nil }
            let k = try options.int("repredict-every", repredictEveryTokens ?? 0, in: 0...1_000_000)
            return k > 0 ? k : nil
        }
    }

    /// All registered schedulers, in the order `--help` lists them.
    public static let entries: [Entry] = [
        Entry(
            name: "vllm",
            summary: "vLLM v1: running first (decodes, chunked prefills), then waiting FCFS; budget 2048; recompute preemption",
            defaultMaxBatchedTokens: VLLMScheduler.defaultMaxBatchedTokens, make: { _ in VLLMScheduler() }),
        Entry(
            name: "sarathi",
            summary: "Sarathi-Serve stall-free: decodes, partial prefills, new prefills FCFS; chunk 512",
            defaultMaxBatchedTokens: SarathiScheduler.defaultChunkTokens, make: { _ in SarathiScheduler(order: .fcfs) }),
        Entry(
            name: "sarathi-spf",
            summary: "Sarathi-Serve with shortest-prompt-first admission; chunk 512",
            defaultMaxBatchedTokens: SarathiScheduler.defaultChunkTokens,
            make: { _ in SarathiScheduler(order: .shortestPromptFirst) }),
        Entry(
            name: "orca",
            summary: "Orca iteration-level: whole prompts, worst-case KV reservation, no preemption",
            defaultMaxBatchedTokens: nil, make: { _ in OrcaScheduler() }),
        Entry(
            name: "static",
            summary: "request-level static batching (FasterTransformer): a batch runs until all its requests finish",
            defaultMaxBatchedTokens: nil, make: { _ in StaticBatchScheduler() }),
        Entry(
            name: "rad",
            summary: "RAD (arXiv 2508.01002, reconstructed): work-conserving batches of k* tokens (the efficient tile), backlog-driven decode/prefill split",
            defaultMaxBatchedTokens: nil, optionKeys: RADScheduler.optionKeys,
            make: { c throws(SluiceError) in RADScheduler(stepModel: c.stepModel, parameters: try RADScheduler.Parameters(c.options)) }),
        Entry(
            name: "isrtf",
            summary: "ELIS ISRTF: shortest predicted remaining tokens first, re-predicted every 50 tokens; budget 2048",
            defaultMaxBatchedTokens: VLLMScheduler.defaultMaxBatchedTokens, usesPredictor: true, repredictEveryTokens: 50,
            optionKeys: PredictedLengthScheduler.optionKeys,
            make: { c throws(SluiceError) in PredictedLengthScheduler(parameters: try .init(PredictedLengthScheduler.Parameters(), c.options), name: "isrtf") }),
        Entry(
            name: "ltr",
            summary: "learning to rank (vllm-ltr): shortest predicted length first, starvation guard 200 iterations / 10",
            defaultMaxBatchedTokens: VLLMScheduler.defaultMaxBatchedTokens, usesPredictor: true,
            optionKeys: PredictedLengthScheduler.optionKeys,
            make: { c throws(SluiceError) in
                PredictedLengthScheduler(
                    parameters: try .init(.with { $0.key = .initialPrediction; $0.starvationThreshold = 200; $0.starvationQuantum = 10 }, c.options),
                    name: "ltr")
            }),
        Entry(
            name: "trail",
            summary: "TRAIL: shortest predicted remaining first, preemptible only for the first 0.8 x predicted length; re-predicted every 8 tokens",
            defaultMaxBatchedTokens: VLLMScheduler.defaultMaxBatchedTokens, usesPredictor: true, repredictEveryTokens: 8,
            optionKeys: PredictedLengthScheduler.optionKeys,
            make: { c throws(SluiceError) in
                PredictedLengthScheduler(parameters: try .init(.with { $0.preemptionLimit = 0.8 }, c.options), name: "trail")
            }),
        Entry(
            name: "wait",
            summary: "WAIT (arXiv 2504.11320): per-type cohorts of n_j new requests admitted together (fluid booking limits); known lengths: use --predictor oracle",
            defaultMaxBatchedTokens: nil, usesPredictor: true, optionKeys: BookingLimitScheduler.optionKeys,
            make: { c throws(SluiceError) in BookingLimitScheduler(mode: .wait, parameters: try .init(c.options), name: "wait") }),
        Entry(
            name: "nested-wait",
            summary: "Nested WAIT (arXiv 2504.11320): segment gates at output-length breakpoints; unknown lengths",
            defaultMaxBatchedTokens: nil, optionKeys: BookingLimitScheduler.optionKeys,
            make: { c throws(SluiceError) in BookingLimitScheduler(mode: .nested, parameters: try .init(c.options), name: "nested-wait") }),
        Entry(
            name: "slai",
            summary: "SLAI (arXiv 2508.01002): defer decodes to their TBT deadline, SPF prefills, dynamic offset 5/10 at 96% KV; budget 512",
            defaultMaxBatchedTokens: SLAIScheduler.Parameters().tokenBudget, optionKeys: SLAIScheduler.optionKeys,
            make: { c throws(SluiceError) in SLAIScheduler(parameters: try .init(SLAIScheduler.Parameters(), c.options)) }),
        Entry(
            name: "slai-priority",
            summary: "SLAI with strict-TBT users' prompts first (user_priority)",
            defaultMaxBatchedTokens: SLAIScheduler.Parameters().tokenBudget,
            optionKeys: SLAIScheduler.optionKeys,
            make: { c throws(SluiceError) in
                SLAIScheduler(parameters: try .init(.with { $0.strictUsersFirst = true }, c.options), name: "slai-priority")
            }),
        Entry(
            name: "slai-spf-fixed",
            summary: "SLAI ablation: SPF prefills, fixed offset of 10 batch times",
            defaultMaxBatchedTokens: SLAIScheduler.Parameters().tokenBudget,
            optionKeys: SLAIScheduler.optionKeys,
            make: { c throws(SluiceError) in
                SLAIScheduler(parameters: try .init(.with { $0.fixedOffset = 10 }, c.options), name: "slai-spf-fixed")
            }),
        Entry(
            name: "slai-fcfs-fixed",
            summary: "SLAI ablation: FCFS prefills, fixed offset of 10 batch times",
            defaultMaxBatchedTokens: SLAIScheduler.Parameters().tokenBudget,
            optionKeys: SLAIScheduler.optionKeys,
            make: { c throws(SluiceError) in
                SLAIScheduler(parameters: try .init(.with { $0.fixedOffset = 10; $0.prefillOrder = .fcfs }, c.options), name: "slai-fcfs-fixed")
            }),
    ]

    /// Registered names.
    public static var names: [String] { entries.map(\.name) }

    /// The entry called `name`. - Throws: ``SluiceError`` listing the valid names.
    public static func entry(named name: String) throws(SluiceError) -> Entry {
        guard let e = entries.first(where: { $0.name == name.lowercased() }) else {
            throw .unknownName(kind: "scheduler", name: name, valid: names)
        }
        return e
    }
}

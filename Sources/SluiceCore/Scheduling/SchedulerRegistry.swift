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
        /// Makes a fresh scheduler (one per replica).
        public let make: @Sendable () -> any IterationScheduler
    }

    /// All registered schedulers, in the order `--help` lists them.
    public static let entries: [Entry] = [
        Entry(
            name: "vllm",
            summary: "vLLM v1: running first (decodes, chunked prefills), then waiting FCFS; budget 2048; recompute preemption",
            defaultMaxBatchedTokens: VLLMScheduler.defaultMaxBatchedTokens, make: { VLLMScheduler() }),
        Entry(
            name: "sarathi",
            summary: "Sarathi-Serve stall-free: decodes, partial prefills, new prefills FCFS; chunk 512",
            defaultMaxBatchedTokens: SarathiScheduler.defaultChunkTokens, make: { SarathiScheduler(order: .fcfs) }),
        Entry(
            name: "sarathi-spf",
            summary: "Sarathi-Serve with shortest-prompt-first admission; chunk 512",
            defaultMaxBatchedTokens: SarathiScheduler.defaultChunkTokens,
            make: { SarathiScheduler(order: .shortestPromptFirst) }),
        Entry(
            name: "orca",
            summary: "Orca iteration-level: whole prompts, worst-case KV reservation, no preemption",
            defaultMaxBatchedTokens: nil, make: { OrcaScheduler() }),
        Entry(
            name: "static",
            summary: "request-level static batching (FasterTransformer): a batch runs until all its requests finish",
            defaultMaxBatchedTokens: nil, make: { StaticBatchScheduler() }),
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

public import SluiceCore

/// One measured closed-loop run (a row of a `concurrency-csv` file): a deployment driven by `concurrency` clients
/// sending fixed-length requests, and the mean TTFT and TPOT the engine reached.
public struct MeasuredConcurrencyRun: Sendable, Hashable {
    /// Where the row is (`file.csv:12`).
    public var label: String
    /// Catalog model and GPU names, tensor parallelism, precision (`bf16`, `fp8`) and engine (`nil`: not given).
    public var model: String
    public var gpu: String
    public var tensorParallel: Int
    public var dtype: String
    public var engine: String?
    /// Clients in the closed loop.
    public var concurrency: Int
    /// Prompt and output lengths of every request, tokens.
    public var inputTokens: Int
    public var outputTokens: Int
    /// Measured mean time to first token and mean time per output token, seconds.
    public var ttftSeconds: Double
    public var tpotSeconds: Double

    /// Creates a measured run.
    public init(
        label: String, model: String, gpu: String, tensorParallel: Int, dtype: String, engine: String?, concurrency: Int,
        inputTokens: Int, outputTokens: Int, ttftSeconds: Double, tpotSeconds: Double
    ) {
        self.label = label
        self.model = model
        self.gpu = gpu
        self.tensorParallel = tensorParallel
        self.dtype = dtype
        self.engine = engine
        self.concurrency = concurrency
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.ttftSeconds = ttftSeconds
        self.tpotSeconds = tpotSeconds
    }

    /// The configuration group: rows that differ only in load and lengths.
    public var group: String {
        "\(model)@\(gpu) tp\(tensorParallel) \(dtype)" + (engine.map { " \($0)" } ?? "")
    }

    /// Measured mean end-to-end latency implied by the means, seconds (TTFT + (output - 1) × TPOT).
    public var e2eSeconds: Double { ttftSeconds + Double(max(outputTokens - 1, 0)) * tpotSeconds }
}

/// One measured request of a replay (`requests-jsonl` or `vllm-bench`).
public struct MeasuredRequest: Sendable, Hashable {
    /// Where it is (`file.jsonl:3`, `bench.json[17]`).
    public var label: String
    /// Arrival time since the start of the run, seconds (`nil`: not recorded; the replay's load decides).
    public var arrivalSeconds: Double?
    public var inputTokens: Int
    public var outputTokens: Int
    /// Measured latencies, seconds.
    public var ttftSeconds: Double
    public var tpotSeconds: Double
    public var e2eSeconds: Double
    /// Prefix block hashes, when the file gives them.
    public var prefixHashes: [UInt64]
}

/// A measured per-request replay: the requests and how they were sent.
public struct MeasuredReplay: Sendable, Hashable {
    /// How the requests were sent.
    public enum Load: Sendable, Hashable {
        /// At their recorded arrival times.
        case recorded
        /// By a closed loop of this many clients.
        case closedLoop(Int)
        /// Poisson arrivals at this rate, requests per second.
        case poisson(Double)
        /// All at once.
        case burst
    }

    /// The file it came from (no directory).
    public var source: String
    public var load: Load
    public var requests: [MeasuredRequest]
}

/// What `sluice validate` reads.
public enum MeasuredData: Sendable {
    case concurrency([MeasuredConcurrencyRun])
    case replay(MeasuredReplay)

    /// The formats, by the name `--format` takes.
    public static let formats = ["concurrency-csv", "requests-jsonl", "vllm-bench"]
}

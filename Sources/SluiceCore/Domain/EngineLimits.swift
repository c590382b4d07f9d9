/// The knobs of one serving engine replica (vLLM's `--max-num-batched-tokens`, `--max-num-seqs`, `--block-size`,
/// `--gpu-memory-utilization`, `--num-gpu-blocks-override`, `--max-model-len`).
///
/// `nil` means "the scheduler's or the model's default"; see each property.
public struct EngineLimits: Sendable, Hashable, Codable {
    /// Token budget of one iteration (the chunked-prefill chunk size). `nil`: the scheduler's default
    /// (vLLM 2048, Sarathi 512, unlimited for Orca and static batching).
    public var maxBatchedTokens: Int?
    /// Cap on sequences admitted at once (vLLM `max_num_seqs`, default 256).
    public var maxRunningSequences: Int
    /// Tokens per KV-cache block (vLLM default 16).
    public var blockSizeTokens: Int
    /// Explicit KV block count; `nil` derives it from memory (``Deployment/kvBlockCapacity()``).
    public var kvBlocks: Int?
    /// Fraction of GPU memory the engine may use for weights, activations and KV (vLLM default 0.9).
    public var gpuMemoryUtilization: Double
    /// Memory kept for activations and the CUDA graph pool per GPU, bytes (vLLM profiles this; about 1-2 GiB).
    public var activationReserveBytes: Double
    /// Fraction of KV blocks kept free when admitting new requests (vLLM v0 / Vidur watermark, 0.01).
    public var watermarkFraction: Double
    /// Longest prompt plus output a request may have, tokens; `nil` uses the model's context length.
    public var maxModelLenTokens: Int?
    /// Cap on output tokens of one request (a server's `max_tokens` limit); longer outputs are truncated.
    /// Schedulers that reserve worst-case memory (Orca, static batching) reserve prompt + this many tokens.
    public var maxOutputTokens: Int
    /// Iterations between a token being sampled and the client receiving it. 0: vLLM's synchronous loop streams a
    /// step's tokens when it ends. 1: an overlap scheduler processes iteration n's output while iteration n + 1 runs
    /// (TensorRT-LLM's executor), so every token, the first included, reaches the client one step later: TTFT is the
    /// prefill step plus the next step. The NIM TensorRT-LLM measurements (`data/measured/`) show it at concurrency 1:
    /// TTFT of a 200-token prompt is 1.7-2.2 decode steps, and fitting TTFT as prefill + one step halves the held-out
    /// step error (13.7 % to 6.8 %). Only 0 and 1 are modelled.
    public var outputLagSteps: Int

    /// Defaults of vLLM v1 where it has one.
    public init(
        maxBatchedTokens: Int? = nil, maxRunningSequences: Int = 256, blockSizeTokens: Int = 16, kvBlocks: Int? = nil,
        gpuMemoryUtilization: Double = 0.9, activationReserveBytes: Double = 1.5 * 1_073_741_824,
        watermarkFraction: Double = 0.01, maxModelLenTokens: Int? = nil, maxOutputTokens: Int = 4096, outputLagSteps: Int = 0
    ) {
        self.outputLagSteps = outputLagSteps
        self.maxBatchedTokens = maxBatchedTokens
        self.maxRunningSequences = maxRunningSequences
        self.blockSizeTokens = blockSizeTokens
        self.kvBlocks = kvBlocks
        self.gpuMemoryUtilization = gpuMemoryUtilization
        self.activationReserveBytes = activationReserveBytes
        self.watermarkFraction = watermarkFraction
        self.maxModelLenTokens = maxModelLenTokens
        self.maxOutputTokens = maxOutputTokens
    }

    private enum CodingKeys: String, CodingKey {
        case maxBatchedTokens, maxRunningSequences, blockSizeTokens, kvBlocks, gpuMemoryUtilization, activationReserveBytes
        case watermarkFraction, maxModelLenTokens, maxOutputTokens, outputLagSteps
    }

    /// Decodes limits; `outputLagSteps` is optional (0 when absent, as written before it existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            maxBatchedTokens: try c.decodeIfPresent(Int.self, forKey: .maxBatchedTokens),
            maxRunningSequences: try c.decode(Int.self, forKey: .maxRunningSequences),
            blockSizeTokens: try c.decode(Int.self, forKey: .blockSizeTokens),
            kvBlocks: try c.decodeIfPresent(Int.self, forKey: .kvBlocks),
            gpuMemoryUtilization: try c.decode(Double.self, forKey: .gpuMemoryUtilization),
            activationReserveBytes: try c.decode(Double.self, forKey: .activationReserveBytes),
            watermarkFraction: try c.decode(Double.self, forKey: .watermarkFraction),
            maxModelLenTokens: try c.decodeIfPresent(Int.self, forKey: .maxModelLenTokens),
            maxOutputTokens: try c.decode(Int.self, forKey: .maxOutputTokens),
            outputLagSteps: try c.decodeIfPresent(Int.self, forKey: .outputLagSteps) ?? 0)
    }
}

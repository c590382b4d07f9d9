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

    /// Defaults of vLLM v1 where it has one.
    public init(
        maxBatchedTokens: Int? = nil, maxRunningSequences: Int = 256, blockSizeTokens: Int = 16, kvBlocks: Int? = nil,
        gpuMemoryUtilization: Double = 0.9, activationReserveBytes: Double = 1.5 * 1_073_741_824,
        watermarkFraction: Double = 0.01, maxModelLenTokens: Int? = nil, maxOutputTokens: Int = 4096
    ) {
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
}

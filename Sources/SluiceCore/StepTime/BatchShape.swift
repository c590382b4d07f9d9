/// The running sums that describe one engine iteration to a ``StepTimeModel``.
///
/// A batch holds prefill chunks `(cᵢ new tokens, kᵢ tokens of the same request already in KV)` and decodes
/// (one new token each over a context of `xⱼ` tokens). Everything a step-time model needs is a sum over these,
/// so a scheduler builds the shape in O(1) per added item and a model evaluates it in O(1)
/// (SIMULATION.md §2.7, "keep per-replica running sums").
public struct BatchShape: Sendable, Hashable {
    /// Number of prefill chunks (sequences in prefill).
    public var prefillSequences: Int = 0
    /// Σ cᵢ: new prompt tokens in the batch.
    public var prefillTokens: Int = 0
    /// Σ kᵢ: tokens already in KV for the prefilling sequences (earlier chunks or a cached prefix).
    public var prefillContextTokens: Int = 0
    /// Σ cᵢ·(kᵢ + cᵢ/2): query-key pairs of causal prefill attention.
    public var prefillAttentionPairs: Double = 0
    /// Σ cᵢ²: Vidur collapses all prefills of a batch into one chunk of size √(Σ cᵢ²).
    public var prefillChunkSquares: Double = 0
    /// D: decoding sequences (one token each).
    public var decodeSequences: Int = 0
    /// Σ xⱼ: context tokens read by decode attention.
    public var decodeContextTokens: Int = 0

    /// An empty batch.
    public init() {}

    /// Adds a prefill chunk of `newTokens` over `contextTokens` tokens already in KV.
    @inlinable
    public mutating func addPrefill(newTokens: Int, contextTokens: Int) {
        let c = Double(newTokens)
        prefillSequences += 1
        prefillTokens += newTokens
        prefillContextTokens += contextTokens
        prefillAttentionPairs += c * (Double(contextTokens) + c / 2)
        prefillChunkSquares += c * c
    }

    /// Adds one decode over `contextTokens` tokens of context.
    @inlinable
    public mutating func addDecode(contextTokens: Int) {
        decodeSequences += 1
        decodeContextTokens += contextTokens
    }

    /// N: tokens processed by the step.
    @inlinable public var totalTokens: Int { prefillTokens + decodeSequences }

    /// S: sequences in the step (each produces logits or at least a scheduler entry).
    @inlinable public var sequences: Int { prefillSequences + decodeSequences }

    /// Whether the batch is empty.
    @inlinable public var isEmpty: Bool { prefillSequences == 0 && decodeSequences == 0 }
}

/// The architecture of a decoder-only transformer, as much as the step-time and memory models need.
///
/// Invariants: all sizes positive; `kvHeads` divides `heads`; `activeExperts <= experts`
/// (`experts == 1` for a dense model). Counts follow the Hugging Face `config.json` fields
/// (`num_hidden_layers`, `hidden_size`, `num_attention_heads`, `num_key_value_heads`, `head_dim`,
/// `intermediate_size`, `vocab_size`, `num_local_experts`, `num_experts_per_tok`).
public struct ModelSpec: Sendable, Hashable, Codable {
    /// Catalog name, lower-case kebab form (`llama-3.1-8b`).
    public var name: String
    /// Transformer layers.
    public var layers: Int
    /// Model (residual) width `d`.
    public var hiddenSize: Int
    /// Query heads `h`.
    public var heads: Int
    /// Key/value heads `h_kv` (grouped-query attention when smaller than `heads`).
    public var kvHeads: Int
    /// Width of one head `d_h`.
    public var headDim: Int
    /// FFN intermediate width `d_ff` (per expert for MoE).
    public var ffnSize: Int
    /// Gated MLP (SwiGLU: gate, up and down matrices) rather than two matrices.
    public var gatedMLP: Bool
    /// Vocabulary size `V` (embedding and LM head).
    public var vocabSize: Int
    /// Bytes per weight (2 for BF16, 1 for FP8).
    public var bytesPerWeight: Double
    /// Bytes per KV-cache element (2 for BF16, 1 for FP8 KV).
    public var bytesPerKVElement: Double
    /// FFN experts per layer (1 for a dense model).
    public var experts: Int
    /// Experts each token is routed to (1 for a dense model).
    public var activeExperts: Int
    /// Longest context the model supports, tokens.
    public var contextLengthTokens: Int

    /// Creates a model spec.
    public init(
        name: String, layers: Int, hiddenSize: Int, heads: Int, kvHeads: Int, headDim: Int, ffnSize: Int,
        gatedMLP: Bool, vocabSize: Int, bytesPerWeight: Double = 2, bytesPerKVElement: Double = 2,
        experts: Int = 1, activeExperts: Int = 1, contextLengthTokens: Int
    ) {
        self.name = name
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.ffnSize = ffnSize
        self.gatedMLP = gatedMLP
        self.vocabSize = vocabSize
        self.bytesPerWeight = bytesPerWeight
        self.bytesPerKVElement = bytesPerKVElement
        self.experts = experts
        self.activeExperts = activeExperts
        self.contextLengthTokens = contextLengthTokens
    }

    /// Numeric precisions the step-time and memory models know, with their bytes per element.
    public static let precisions: [String: Double] = ["bf16": 2, "fp16": 2, "fp8": 1]

    /// The same model with weights (and so GEMMs) in `weights` and the KV cache in `kv` (`bf16`, `fp16` or `fp8`).
    /// - Throws: ``SluiceError`` naming the flag for an unknown precision.
    public func withPrecision(weights: String, kv: String) throws(SluiceError) -> ModelSpec {
        guard let w = Self.precisions[weights.lowercased()] else {
            throw .unknownName(kind: "--dtype", name: weights, valid: Self.precisions.keys.sorted())
        }
        guard let k = Self.precisions[kv.lowercased()] else {
            throw .unknownName(kind: "--kv-dtype", name: kv, valid: Self.precisions.keys.sorted())
        }
        var m = self
        m.bytesPerWeight = w
        m.bytesPerKVElement = k
        return m
    }

    /// Attention projection parameters of one layer: Q and O (`2·h·d_h·d`) plus K and V (`2·h_kv·d_h·d`).
    public var attentionParametersPerLayer: Double {
        Double(2 * heads * headDim * hiddenSize + 2 * kvHeads * headDim * hiddenSize)
    }

    /// FFN parameters of one expert in one layer (`3·d·d_ff` gated, `2·d·d_ff` otherwise).
    public var ffnParametersPerExpert: Double {
        Double((gatedMLP ? 3 : 2) * hiddenSize * ffnSize)
    }

    /// All weights: attention and every expert's FFN in every layer, plus embedding and LM head (`2·V·d`).
    public var totalParameters: Double {
        Double(layers) * (attentionParametersPerLayer + Double(experts) * ffnParametersPerExpert)
            + 2 * Double(vocabSize * hiddenSize)
    }

    /// Bytes of all weights.
    public var weightBytes: Double { totalParameters * bytesPerWeight }

    /// KV-cache bytes one token occupies over all layers (`2·L·h_kv·d_h·b_kv`), before tensor parallelism.
    public var kvBytesPerToken: Double {
        2 * Double(layers * kvHeads * headDim) * bytesPerKVElement
    }
}

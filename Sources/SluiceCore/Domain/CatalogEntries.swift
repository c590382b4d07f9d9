/// A GPU as written in a catalog file (datasheet units).
public struct GPUEntry: Sendable, Codable, Hashable {
    /// Catalog name (`h100-sxm`).
    public var name: String
    /// Human description (vendor name, memory).
    public var description: String?
    /// Peak dense BF16 TFLOP/s (no sparsity).
    public var peakDenseTflops: Double
    /// Peak dense FP8 TFLOP/s (no sparsity); absent on GPUs without FP8 tensor cores.
    public var peakFP8DenseTflops: Double?
    /// HBM bandwidth, TB/s.
    public var hbmTBps: Double
    /// Device memory, GiB.
    public var memoryGiB: Double
    /// GPU-to-GPU bandwidth per direction, GB/s (NVLink, or PCIe when the card has none).
    public var linkGBps: Double
    /// On-demand list price per GPU-hour, USD.
    public var pricePerHourUSD: Double
    /// Where the price comes from (provider, instance type, date).
    public var priceSource: String?
    /// Spot price per GPU-hour, USD (optional).
    public var spotPricePerHourUSD: Double?

    /// The spec in SI units.
    public var spec: GPUSpec {
        var s = GPUSpec(
            name: name, peakFlopsPerSecond: peakDenseTflops * 1e12, memoryBandwidthBytesPerSecond: hbmTBps * 1e12,
            memoryBytes: memoryGiB * 1_073_741_824, linkBandwidthBytesPerSecond: linkGBps * 1e9,
            pricePerHourUSD: pricePerHourUSD)
        s.spotPricePerHourUSD = spotPricePerHourUSD
        s.peakFP8FlopsPerSecond = peakFP8DenseTflops.map { $0 * 1e12 }
        return s
    }

    func validate(file: String) throws(SluiceError) {
        let checks: [(String, Double)] = [
            ("peakDenseTflops", peakDenseTflops), ("hbmTBps", hbmTBps), ("memoryGiB", memoryGiB), ("linkGBps", linkGBps),
        ]
        for (field, value) in checks where !(value > 0) || !value.isFinite {
            throw .malformed(file: file, line: nil, field: "gpus[\(name)].\(field)", reason: "must be a positive number, got \(value)")
        }
        if !(pricePerHourUSD >= 0) || !pricePerHourUSD.isFinite {
            throw .malformed(file: file, line: nil, field: "gpus[\(name)].pricePerHourUSD", reason: "must be >= 0, got \(pricePerHourUSD)")
        }
        if let fp8 = peakFP8DenseTflops, !(fp8 > 0) || !fp8.isFinite {
            throw .malformed(file: file, line: nil, field: "gpus[\(name)].peakFP8DenseTflops", reason: "must be a positive number, got \(fp8)")
        }
        if let spot = spotPricePerHourUSD, !(spot >= 0) || !spot.isFinite {
            throw .malformed(file: file, line: nil, field: "gpus[\(name)].spotPricePerHourUSD", reason: "must be >= 0, got \(spot)")
        }
    }
}

/// A model as written in a catalog file (Hugging Face `config.json` terms).
public struct ModelEntry: Sendable, Codable, Hashable {
    /// Catalog name (`llama-3.1-8b`).
    public var name: String
    /// Human description.
    public var description: String?
    /// `num_hidden_layers`.
    public var layers: Int
    /// `hidden_size`.
    public var hiddenSize: Int
    /// `num_attention_heads`.
    public var heads: Int
    /// `num_key_value_heads`.
    public var kvHeads: Int
    /// `head_dim` (hidden size / heads when absent from the config).
    public var headDim: Int
    /// `intermediate_size` (per expert for MoE).
    public var ffnSize: Int
    /// SwiGLU-style gated MLP.
    public var gatedMLP: Bool
    /// `vocab_size`.
    public var vocabSize: Int
    /// Bytes per weight (2 BF16, 1 FP8); default 2.
    public var bytesPerWeight: Double?
    /// Bytes per KV element; default 2.
    public var bytesPerKVElement: Double?
    /// `num_local_experts`; default 1.
    public var experts: Int?
    /// `num_experts_per_tok`; default 1.
    public var activeExperts: Int?
    /// `max_position_embeddings`.
    public var contextLengthTokens: Int
    /// Where the figures come from.
    public var source: String?

    /// The spec.
    public var spec: ModelSpec {
        ModelSpec(
            name: name, layers: layers, hiddenSize: hiddenSize, heads: heads, kvHeads: kvHeads, headDim: headDim,
            ffnSize: ffnSize, gatedMLP: gatedMLP, vocabSize: vocabSize, bytesPerWeight: bytesPerWeight ?? 2,
            bytesPerKVElement: bytesPerKVElement ?? 2, experts: experts ?? 1, activeExperts: activeExperts ?? 1,
            contextLengthTokens: contextLengthTokens)
    }

    func validate(file: String) throws(SluiceError) {
        let ints: [(String, Int)] = [
            ("layers", layers), ("hiddenSize", hiddenSize), ("heads", heads), ("kvHeads", kvHeads), ("headDim", headDim),
            ("ffnSize", ffnSize), ("vocabSize", vocabSize), ("contextLengthTokens", contextLengthTokens),
            ("experts", experts ?? 1), ("activeExperts", activeExperts ?? 1),
        ]
        for (field, value) in ints where value <= 0 {
            throw .malformed(file: file, line: nil, field: "models[\(name)].\(field)", reason: "must be a positive integer, got \(value)")
        }
        if heads % kvHeads != 0 {
            throw .malformed(file: file, line: nil, field: "models[\(name)].kvHeads", reason: "must divide heads (\(heads)), got \(kvHeads)")
        }
        if (activeExperts ?? 1) > (experts ?? 1) {
            throw .malformed(file: file, line: nil, field: "models[\(name)].activeExperts", reason: "must be <= experts")
        }
        for (field, value) in [("bytesPerWeight", bytesPerWeight ?? 2), ("bytesPerKVElement", bytesPerKVElement ?? 2)] where !(value > 0) {
            throw .malformed(file: file, line: nil, field: "models[\(name)].\(field)", reason: "must be positive, got \(value)")
        }
    }
}

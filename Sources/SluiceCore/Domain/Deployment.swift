/// A model served on a GPU type with a tensor-parallel degree and engine limits: the unit a replica runs.
///
/// Invariants: `tensorParallel >= 1`. The KV capacity follows vLLM: usable memory per GPU is
/// `memory·gpuMemoryUtilization − weights/TP − activationReserve`, and one block holds `blockSize` tokens of
/// `kvBytesPerToken/TP` bytes each.
public struct Deployment: Sendable, Hashable {
    /// The model.
    public var model: ModelSpec
    /// The GPU type (all GPUs of a replica are alike).
    public var gpu: GPUSpec
    /// Tensor-parallel degree: GPUs per replica.
    public var tensorParallel: Int
    /// Engine limits.
    public var limits: EngineLimits

    /// Creates a deployment.
    public init(model: ModelSpec, gpu: GPUSpec, tensorParallel: Int = 1, limits: EngineLimits = EngineLimits()) {
        self.model = model
        self.gpu = gpu
        self.tensorParallel = tensorParallel
        self.limits = limits
    }

    /// Short label in `--fleet` syntax, e.g. `llama-3.1-8b@h100-sxm` or `llama-3.1-70b@h100-sxm:tp4`.
    public var label: String { "\(model.name)@\(gpu.name)" + (tensorParallel > 1 ? ":tp\(tensorParallel)" : "") }

    /// Price of the replica (all its GPUs) per hour, USD.
    public var pricePerHourUSD: Double { gpu.pricePerHourUSD * Double(tensorParallel) }

    /// Longest prompt plus output a request may have on this deployment, tokens.
    public var maxModelLenTokens: Int { limits.maxModelLenTokens ?? model.contextLengthTokens }

    /// KV bytes of one block on one GPU shard.
    public var kvBytesPerBlockPerGPU: Double {
        model.kvBytesPerToken * Double(limits.blockSizeTokens) / Double(tensorParallel)
    }

    /// Number of KV blocks the replica can hold.
    /// - Throws: ``SluiceError`` when the weights do not fit in the usable memory, saying by how much.
    public func kvBlockCapacity() throws(SluiceError) -> Int {
        if let explicit = limits.kvBlocks {
            guard explicit > 0 else { throw .invalidValue(field: "kvBlocks", value: "\(explicit)", allowed: "a positive block count") }
            return explicit
        }
        let usable = gpu.memoryBytes * limits.gpuMemoryUtilization
        let weightsPerGPU = model.weightBytes / Double(tensorParallel)
        let free = usable - weightsPerGPU - limits.activationReserveBytes
        let blocks = Int(free / kvBytesPerBlockPerGPU)
        guard free > 0, blocks > 0 else {
            let short = (weightsPerGPU + limits.activationReserveBytes + kvBytesPerBlockPerGPU) - usable
            throw .modelDoesNotFit(
                model: model.name, gpu: gpu.name, tensorParallel: tensorParallel,
                neededGB: (weightsPerGPU + limits.activationReserveBytes) / 1e9, usableGB: usable / 1e9, shortGB: short / 1e9)
        }
        return blocks
    }
}

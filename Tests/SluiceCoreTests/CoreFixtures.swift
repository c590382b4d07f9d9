import SluiceCore

enum CoreFixtures {
    static let llama8B = ModelSpec(
        name: "llama-3.1-8b", layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128, ffnSize: 14336,
        gatedMLP: true, vocabSize: 128_256, contextLengthTokens: 131_072)
    static let h100 = GPUSpec(
        name: "h100-sxm", peakFlopsPerSecond: 989e12, memoryBandwidthBytesPerSecond: 3.35e12,
        memoryBytes: 80 * 1_073_741_824, linkBandwidthBytesPerSecond: 450e9, pricePerHourUSD: 4)

    /// An engine with `blocks` KV blocks of 16 tokens and the given caps.
    static func engine(blocks: Int, maxRunning: Int = 256, budget: Int = 2048, watermark: Double = 0) -> EngineState {
        EngineState(
            kv: KVBlockPool(totalBlocks: blocks, blockSizeTokens: 16, watermarkFraction: watermark),
            maxRunningSequences: maxRunning, maxBatchedTokens: budget, maxOutputTokens: 4096, maxModelLenTokens: 131_072)
    }

    static func request(_ id: Int, prompt: Int, at t: Double = 0) -> Request {
        Request(id: id, arrivalSeconds: t, promptTokens: prompt, outputTokens: 100)
    }

    /// Applies a plan as the engine would: computed tokens advance; a fully computed sequence samples a token.
    static func apply(_ plan: BatchPlan, to engine: inout EngineState) {
        for slot in plan.slots {
            let i = Int(slot)
            engine.sequences[i].computedTokens += engine.sequences[i].scheduledTokens
            engine.sequences[i].scheduledTokens = 0
            if engine.sequences[i].computedTokens == engine.sequences[i].totalTokens { engine.sequences[i].generatedTokens += 1 }
        }
    }
}

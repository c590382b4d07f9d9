/// RAD (Resource-Aware Dynamic), the throughput-optimal scheduler of Bari, Hegde & de Veciana, "Optimal Scheduling
/// Algorithms for LLM Inference: Theory and Practice" (arXiv 2508.01002), **as reconstructed** (ALGORITHMS.md §1.2):
/// the paper's method section was not available, so the exact rule, tile size and conditions are ours, built on its
/// two stated principles.
///
/// * **Optimal tiling**: every iteration aims at `k*` tokens, the smallest multiple of `tileTokens` whose
///   throughput `k / T(k)` under the replica's step-time model reaches `throughputShare` of the best throughput at
///   any `k ≤ maxTokens` (a batch past `k*` buys little throughput and costs latency; one below wastes the GPU).
/// * **Dynamic resource allocation**: each iteration splits `k*` between decodes and prefill chunks from the
///   backlog: decodes first, but while prompts wait, at most `k* − reserve` decodes run, where the prefill reserve is
///   `prefillReserveShare·k*` (or the whole prefill backlog if smaller), so neither phase starves; decodes left out
///   rotate to the front next time. Prefill chunks (unfinished prompts first, then new ones first come first served)
///   fill the rest. It is work-conserving: whenever work is queued the batch is filled to `k*`.
///
/// Work conservation at a fixed, efficient tile is what the throughput-optimality argument needs (cf. arXiv
/// 2504.07347): the queue stays bounded for any load below `k*/T(k*)` tokens per second.
public struct RADScheduler: IterationScheduler {
    /// RAD's parameters.
    public struct Parameters: Sendable, Hashable {
        /// Tile granularity of the token budget (GEMM tiles of 64–128 tokens).
        public var tileTokens = 64
        /// Largest budget considered, tokens.
        public var maxTokens = 8192
        /// Share of the best throughput that `k*` must reach.
        public var throughputShare = 0.95
        /// Share of `k*` kept for prefill chunks while prompts wait.
        public var prefillReserveShare = 0.25

        /// The defaults.
        public init() {}
    }

    /// The parameters.
    public let parameters: Parameters
    /// The token budget `k*` per iteration.
    public let tileBudgetTokens: Int
    /// Tokens per second at `k*` under the step-time model: the replica's service rate.
    public let serviceTokensPerSecond: Double
    private var rotation = 0

    /// `rad`.
    public var name: String { "rad" }

    /// Sizes `k*` with the replica's step-time model.
    public init(stepModel: some StepTimeModel, parameters: Parameters = Parameters()) {
        self.parameters = parameters
        let (k, rate) = Self.optimalTile(stepModel: stepModel, parameters: parameters)
        tileBudgetTokens = k
        serviceTokensPerSecond = rate
    }

    /// `k*` and its throughput (tokens/s) for a step-time model, from prefill-only batches.
    public static func optimalTile(stepModel: some StepTimeModel, parameters: Parameters) -> (tokens: Int, tokensPerSecond: Double) {
        func throughput(_ k: Int) -> Double {
            var shape = BatchShape()
            shape.addPrefill(newTokens: k, contextTokens: 0)
            return Double(k) / stepModel.stepSeconds(shape)
        }
        let tile = max(parameters.tileTokens, 1)
        let candidates = stride(from: tile, through: max(parameters.maxTokens, tile), by: tile)
        let best = candidates.map(throughput).max() ?? 0
        for k in candidates where throughput(k) >= parameters.throughputShare * best { return (k, throughput(k)) }
        return (tile, throughput(tile))
    }

    /// Builds the next batch.
    public mutating func schedule(_ engine: inout EngineState, into plan: inout BatchPlan) {
        let budget = min(tileBudgetTokens, engine.maxBatchedTokens)
        var tokens = 0
        // The prefill backlog: unfinished prompts of running requests plus waiting prompts (bounded look-ahead).
        var prefillBacklog = 0
        var decodeCount = 0
        for slot in engine.running {
            let s = engine.sequences[Int(slot)]
            if s.isDecoding { decodeCount += 1 } else { prefillBacklog += s.remainingTokens }
        }
        if let first = engine.waiting.first { prefillBacklog += engine.sequences[Int(first)].remainingTokens }
        let reserve = min(prefillBacklog, Int(parameters.prefillReserveShare * Double(budget)))
        let decodeLimit = max(budget - reserve, 1)
        // Decodes, rotating the starting point so that capped-out decodes go first next time.
        let n = engine.running.count
        if n > 0 && decodeCount > 0 {
            let start = rotation % n
            var visited = 0
            var scheduled = 0
            var i = start
            while visited < n && scheduled < decodeLimit && tokens < budget {
                guard i < engine.running.count else { break }
                let slot = engine.running[i]
                let seq = engine.sequences[Int(slot)]
                if seq.isDecoding && seq.scheduledTokens == 0 {
                    if !engine.growKV(slot, toTokens: seq.computedTokens + 1) {
                        guard let victim = engine.running.last else { break }
                        engine.preempt(victim, plan: &plan)
                        if victim == slot { break }
                        continue
                    }
                    engine.schedule(slot, tokens: 1, in: &plan)
                    tokens += 1
                    scheduled += 1
                }
                visited += 1
                i = (i + 1) % max(engine.running.count, 1)
            }
            rotation = i
        }
        // Unfinished prompts, then new ones.
        var j = 0
        while j < engine.running.count && tokens < budget {
            let slot = engine.running[j]
            let seq = engine.sequences[Int(slot)]
            j += 1
            if seq.isDecoding || seq.scheduledTokens > 0 { continue }
            let chunk = min(seq.remainingTokens, budget - tokens)
            guard engine.growKV(slot, toTokens: seq.computedTokens + chunk) else { continue }
            engine.schedule(slot, tokens: chunk, in: &plan)
            tokens += chunk
        }
        let watermark = engine.kv.watermarkBlocks
        while tokens < budget, engine.running.count < engine.maxRunningSequences, let slot = engine.waiting.first {
            let seq = engine.sequences[Int(slot)]
            let chunk = min(seq.remainingTokens, budget - tokens)
            guard engine.growKV(slot, toTokens: seq.computedTokens + chunk, keepingFree: watermark) else { break }
            engine.admitFirstWaiting()
            engine.schedule(slot, tokens: chunk, in: &plan)
            tokens += chunk
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The roofline step-time model of SIMULATION.md §2.7 (after BLIS `sim/latency/roofline.go` and LLM-Viewer's
/// per-operator roofline, with phase-specific efficiencies from public kernel tables).
///
/// ```
/// F_lin  = (2·N·P_lin + 2·S·V·d) / t            W = b_w·(P_lin + V·d) / t
/// T_lin  = max(F_lin/(η_c·F), W/(η_w·B)) + loss·min(…)
/// T_att  = F_att·((1−s)/(η_a·F_bf16) + s/(η_a·F_fp8)) + M_kv/(η_kv·B)      (s = fp8AttentionShare for an FP8 KV cache, else 0)
/// T_comm = [t>1]·2·L·(τ_ar + (t−1)·τ_peer + 2(t−1)/t·N·d·b_a/(η_l·B_link))
/// T_step = T_lin + T_att + T_comm + τ_step + τ_req·S + L·τ_layer
/// ```
/// For a mixture of experts the FFN FLOPs use the active experts and the FFN bytes the expected number of
/// distinct experts a step touches, `E·(1 − (1 − k/E)^N)` (BLIS).
///
/// Every constant of the deployment is folded in at construction, so ``stepSeconds(_:)`` is a handful of
/// multiply-adds: O(1) and allocation-free.
public struct RooflineStepTimeModel: StepTimeModel, Hashable {
    /// The efficiencies and overheads in use.
    public let parameters: RooflineParameters

    private let linearFlopsPerToken: Double
    private let lmHeadFlopsPerSequence: Double
    private let denseWeightBytes: Double
    private let expertWeightBytes: Double  // one expert, all layers, one shard
    private let experts: Double
    private let activeShare: Double  // k/E
    private let attentionFlopsPerPair: Double
    private let kvBytesPerToken: Double
    private let computeRate: Double  // η_c·F (FP8 weights double F)
    private let weightRate: Double  // η_w·B
    private let attentionRate: Double  // η_a·F_bf16, or the harmonic mix with η_a·F_fp8 for an FP8 KV cache
    private let kvRate: Double  // η_kv·B
    private let commFixedSeconds: Double  // 2·L·(τ_ar + (t−1)·τ_peer)  (0 at TP 1)
    private let commSecondsPerToken: Double  // 2·L·2(t−1)/t·d·b_a/(η_l·B_link)
    private let fixedSeconds: Double  // τ_step + L·τ_layer
    private let kvHeadsPerShard: Double
    private let saturationItems: Double  // P_sat (0: no occupancy limit)

    /// Bytes per LM-head weight: quantised checkpoints keep it in BF16.
    public static let lmHeadBytesPerWeight = 2.0

    /// Activation bytes per element moved by the all-reduce (BF16).
    public static let activationBytes = 2.0

    /// Builds the model for a deployment.
    public init(deployment: Deployment, parameters: RooflineParameters = RooflineParameters()) {
        let m = deployment.model
        let g = deployment.gpu
        let t = Double(deployment.tensorParallel)
        let L = Double(m.layers)
        self.parameters = parameters
        let activeFFN = Double(m.activeExperts) * m.ffnParametersPerExpert
        linearFlopsPerToken = 2 * L * (m.attentionParametersPerLayer + activeFFN) / t
        lmHeadFlopsPerSequence = 2 * Double(m.vocabSize * m.hiddenSize) / t
        let lmHead = Double(m.vocabSize * m.hiddenSize)
        // FP8 checkpoints (vLLM, TensorRT-LLM) keep the LM head in BF16: it streams at 2 bytes per weight.
        let lmHeadBytes = max(m.bytesPerWeight, Self.lmHeadBytesPerWeight) * lmHead / t
        if m.experts > 1 {
            denseWeightBytes = m.bytesPerWeight * L * m.attentionParametersPerLayer / t + lmHeadBytes
            expertWeightBytes = m.bytesPerWeight * L * m.ffnParametersPerExpert / t
        } else {
            denseWeightBytes = m.bytesPerWeight * L * (m.attentionParametersPerLayer + m.ffnParametersPerExpert) / t + lmHeadBytes
            expertWeightBytes = 0
        }
        experts = Double(m.experts)
        activeShare = Double(m.activeExperts) / Double(m.experts)
        attentionFlopsPerPair = 4 * Double(m.heads * m.headDim) * L / t
        let kvHeadsPerShard = max(Double(m.kvHeads) / t, 1)
        self.kvHeadsPerShard = kvHeadsPerShard
        saturationItems = parameters.decodeAttentionSaturationItems
        kvBytesPerToken = 2 * L * kvHeadsPerShard * Double(m.headDim) * m.bytesPerKVElement
        // FP8 weights run FP8 GEMMs where the GPU has FP8 tensor cores (its FP8 peak), else BF16 GEMMs after dequantising.
        let gemmPeak = m.bytesPerWeight <= 1 ? (g.peakFP8FlopsPerSecond ?? g.peakFlopsPerSecond) : g.peakFlopsPerSecond
        computeRate = parameters.computeEfficiency * gemmPeak
        weightRate = parameters.weightStreamEfficiency * g.memoryBandwidthBytesPerSecond
        // An FP8 KV cache lets the engine run a share of the attention math on FP8 tensor cores (time-weighted mix).
        let fp8Share = m.bytesPerKVElement <= 1 && g.peakFP8FlopsPerSecond != nil ? parameters.fp8AttentionShare : 0
        let attentionPeakBF16 = g.peakFlopsPerSecond
        let attentionPeakFP8 = g.peakFP8FlopsPerSecond ?? g.peakFlopsPerSecond
        attentionRate = parameters.attentionEfficiency / ((1 - fp8Share) / attentionPeakBF16 + fp8Share / attentionPeakFP8)
        kvRate = parameters.kvBandwidthEfficiency * g.memoryBandwidthBytesPerSecond
        if deployment.tensorParallel > 1 {
            commFixedSeconds = 2 * L * (parameters.allReduceLatencySeconds + (t - 1) * parameters.allReducePerPeerLatencySeconds)
            commSecondsPerToken =
                2 * L * 2 * (t - 1) / t * Double(m.hiddenSize) * Self.activationBytes
                / (parameters.linkEfficiency * g.linkBandwidthBytesPerSecond)
        } else {
            commFixedSeconds = 0
            commSecondsPerToken = 0
        }
        fixedSeconds = parameters.stepOverheadSeconds + L * parameters.perLayerOverheadSeconds
    }

    /// Iteration time of `batch`, seconds. - Complexity: O(1).
    @inlinable
    public func stepSeconds(_ batch: BatchShape) -> Double {
        evaluate(batch)
    }

    @usableFromInline
    func evaluate(_ batch: BatchShape) -> Double {
        if batch.isEmpty { return 0 }
        let n = Double(batch.totalTokens)
        let s = Double(batch.sequences)
        let flops = linearFlopsPerToken * n + lmHeadFlopsPerSequence * s
        var weights = denseWeightBytes
        if expertWeightBytes > 0 {
            let touched = experts * (1 - pow(1 - activeShare, n))
            weights += expertWeightBytes * touched
        }
        let compute = flops / computeRate
        let stream = weights / weightRate
        let linear = max(compute, stream) + parameters.gemmOverlapLoss * min(compute, stream)
        let attention = attentionSeconds(batch)
        let comm = commFixedSeconds + commSecondsPerToken * n
        return linear + attention + comm + fixedSeconds + parameters.perSequenceOverheadSeconds * s
    }
}

extension RooflineStepTimeModel {
    /// `T_att` of SIMULATION.md §2.7 for `batch`: attention math plus KV-cache reads and writes, seconds.
    ///
    /// The same terms ``stepSeconds(_:)`` adds; table-driven models (``ProfileTableStepTimeModel``) take attention
    /// from here when their profile has only the token-level operators. - Complexity: O(1).
    ///
    /// Decode KV reads slow down when the batch has fewer (sequence, KV head) work items per GPU than
    /// ``RooflineParameters/decodeAttentionSaturationItems``: the kernel then occupies only part of the GPU.
    package func attentionSeconds(_ batch: BatchShape) -> Double {
        if batch.isEmpty { return 0 }
        let attentionFlops = attentionFlopsPerPair * (batch.prefillAttentionPairs + Double(batch.decodeContextTokens))
        let otherKVBytes = kvBytesPerToken * Double(batch.prefillContextTokens + batch.totalTokens)
        var decodeKVSeconds = kvBytesPerToken * Double(batch.decodeContextTokens) / kvRate
        if saturationItems > 0 && batch.decodeSequences > 0 {
            let occupancy = min(1, Double(batch.decodeSequences) * kvHeadsPerShard / saturationItems)
            decodeKVSeconds /= occupancy
        }
        return attentionFlops / attentionRate + otherKVBytes / kvRate + decodeKVSeconds
    }

    /// `T_comm` of SIMULATION.md §2.7 for `batch`: the tensor-parallel all-reduces, seconds (0 at TP 1).
    /// - Complexity: O(1).
    package func communicationSeconds(_ batch: BatchShape) -> Double {
        if batch.isEmpty { return 0 }
        return commFixedSeconds + commSecondsPerToken * Double(batch.totalTokens)
    }
}

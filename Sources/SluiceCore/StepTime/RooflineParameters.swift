/// The named efficiency factors and overheads of ``RooflineStepTimeModel``.
///
/// Defaults are the uncalibrated values of SIMULATION.md §2.7 (datasheet × the H100 kernel-table evidence of §2.6).
/// `sluice calibrate` fits them to measured step times and stores them as a calibration file.
public struct RooflineParameters: Sendable, Hashable, Codable {
    /// η_c: fraction of peak FLOP/s the GEMMs reach when compute-bound (0.75-0.85 on H100 above ~1k tokens).
    public var computeEfficiency: Double
    /// η_w: fraction of HBM bandwidth reached while streaming weights at small batch (0.63-0.75 on H100).
    public var weightStreamEfficiency: Double
    /// η_a: fraction of peak BF16 FLOP/s reached by attention math (≈0.6 for long prompts).
    public var attentionEfficiency: Double
    /// η_kv: fraction of HBM bandwidth reached reading and writing the KV cache (≈0.9).
    public var kvBandwidthEfficiency: Double
    /// η_l: fraction of link bandwidth reached by the tensor-parallel all-reduce.
    public var linkEfficiency: Double
    /// τ_ar: fixed latency of one all-reduce, seconds.
    public var allReduceLatencySeconds: Double
    /// τ_step: fixed engine overhead per iteration (scheduling, sampling, launch), seconds.
    public var stepOverheadSeconds: Double
    /// τ_req: overhead per sequence in the batch (input preparation, sampling, detokenisation), seconds.
    public var perSequenceOverheadSeconds: Double
    /// τ_layer: overhead per layer per step (kernel launches without CUDA graphs), seconds.
    public var perLayerOverheadSeconds: Double
    /// Share of the shorter of GEMM compute time and weight-streaming time that does *not* overlap with the
    /// longer one: 0 is the ideal roofline `max`, 1 adds them. Real engines sit between near the knee.
    public var gemmOverlapLoss: Double
    /// Decode-attention work items (a sequence's KV head on one GPU) needed to reach ``kvBandwidthEfficiency``: with
    /// fewer, the kernel leaves streaming multiprocessors idle and reads the KV cache proportionally slower. A batch-1
    /// decode of a model with one KV head per GPU (Llama-3.1-70B at TP 8) reads KV at a few percent of HBM bandwidth in
    /// TensorRT-LLM (measured end to end, `data/measured/`); split-KV kernels (flash-decoding) need fewer items.
    /// 0 turns the limit off.
    public var decodeAttentionSaturationItems: Double
    /// τ_peer: added latency of one all-reduce per peer GPU beyond the first, seconds: the all-reduce of a tensor-parallel
    /// group of `t` GPUs takes `τ_ar + (t − 1)·τ_peer` plus its bandwidth term. A ring all-reduce passes `2(t − 1)`
    /// latency-bound steps (NCCL's α-β model, Thakur et al. 2005); TensorRT-LLM's one-shot all-reduce for small
    /// messages reads `t − 1` peers' buffers and synchronises `t` flags. Decode steps of the same model at TP 2, 4
    /// and 8 tell the two terms apart. 0 (the default, and files written before it existed) makes the latency
    /// independent of the group size.
    public var allReducePerPeerLatencySeconds: Double
    /// Share of the attention math of a model with an FP8 KV cache that runs on the GPU's FP8 tensor cores, in [0, 1]:
    /// TensorRT-LLM's FP8 context FMHA computes `QKᵀ` and `PV` in FP8 when the KV cache is FP8, vLLM's default
    /// attention backends dequantise to BF16 first. Attention time is `F·(1 − s)/(η_a·F_bf16) + F·s/(η_a·F_fp8)`.
    /// 0 (the default, and files written before it existed) runs all attention at the BF16 peak; no effect on a BF16
    /// KV cache or a GPU without FP8 tensor cores.
    public var fp8AttentionShare: Double

    /// Creates parameters; every argument defaults to SIMULATION.md §2.7.
    public init(
        computeEfficiency: Double = 0.80, weightStreamEfficiency: Double = 0.75, attentionEfficiency: Double = 0.60,
        kvBandwidthEfficiency: Double = 0.90, linkEfficiency: Double = 0.70, allReduceLatencySeconds: Double = 25e-6,
        stepOverheadSeconds: Double = 150e-6, perSequenceOverheadSeconds: Double = 5e-6,
        perLayerOverheadSeconds: Double = 0, gemmOverlapLoss: Double = 0, decodeAttentionSaturationItems: Double = 0,
        allReducePerPeerLatencySeconds: Double = 0, fp8AttentionShare: Double = 0
    ) {
        self.fp8AttentionShare = fp8AttentionShare
        self.allReducePerPeerLatencySeconds = allReducePerPeerLatencySeconds
        self.decodeAttentionSaturationItems = decodeAttentionSaturationItems
        self.computeEfficiency = computeEfficiency
        self.weightStreamEfficiency = weightStreamEfficiency
        self.attentionEfficiency = attentionEfficiency
        self.kvBandwidthEfficiency = kvBandwidthEfficiency
        self.linkEfficiency = linkEfficiency
        self.allReduceLatencySeconds = allReduceLatencySeconds
        self.stepOverheadSeconds = stepOverheadSeconds
        self.perSequenceOverheadSeconds = perSequenceOverheadSeconds
        self.perLayerOverheadSeconds = perLayerOverheadSeconds
        self.gemmOverlapLoss = gemmOverlapLoss
    }

    /// Names of the parameters, in the order of ``values`` (used by calibration and its files).
    public static let names = [
        "computeEfficiency", "weightStreamEfficiency", "attentionEfficiency", "kvBandwidthEfficiency",
        "linkEfficiency", "allReduceLatencySeconds", "stepOverheadSeconds", "perSequenceOverheadSeconds",
        "perLayerOverheadSeconds", "gemmOverlapLoss", "decodeAttentionSaturationItems", "allReducePerPeerLatencySeconds",
        "fp8AttentionShare",
    ]

    /// The parameters as a vector, in the order of ``names``.
    public var values: [Double] {
        get {
            [
                computeEfficiency, weightStreamEfficiency, attentionEfficiency, kvBandwidthEfficiency, linkEfficiency,
                allReduceLatencySeconds, stepOverheadSeconds, perSequenceOverheadSeconds, perLayerOverheadSeconds,
                gemmOverlapLoss, decodeAttentionSaturationItems, allReducePerPeerLatencySeconds, fp8AttentionShare,
            ]
        }
        set {
            precondition(newValue.count == Self.names.count, "RooflineParameters.values needs \(Self.names.count) values")
            computeEfficiency = newValue[0]
            weightStreamEfficiency = newValue[1]
            attentionEfficiency = newValue[2]
            kvBandwidthEfficiency = newValue[3]
            linkEfficiency = newValue[4]
            allReduceLatencySeconds = newValue[5]
            stepOverheadSeconds = newValue[6]
            perSequenceOverheadSeconds = newValue[7]
            perLayerOverheadSeconds = newValue[8]
            gemmOverlapLoss = newValue[9]
            decodeAttentionSaturationItems = newValue[10]
            allReducePerPeerLatencySeconds = newValue[11]
            fp8AttentionShare = newValue[12]
        }
    }

    private enum CodingKeys: String, CodingKey {
        case computeEfficiency, weightStreamEfficiency, attentionEfficiency, kvBandwidthEfficiency, linkEfficiency
        case allReduceLatencySeconds, stepOverheadSeconds, perSequenceOverheadSeconds, perLayerOverheadSeconds, gemmOverlapLoss
        case decodeAttentionSaturationItems, allReducePerPeerLatencySeconds, fp8AttentionShare
    }

    /// Decodes parameters; `decodeAttentionSaturationItems`, `allReducePerPeerLatencySeconds` and `fp8AttentionShare`
    /// are optional (files written before they existed mean 0).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            computeEfficiency: try c.decode(Double.self, forKey: .computeEfficiency),
            weightStreamEfficiency: try c.decode(Double.self, forKey: .weightStreamEfficiency),
            attentionEfficiency: try c.decode(Double.self, forKey: .attentionEfficiency),
            kvBandwidthEfficiency: try c.decode(Double.self, forKey: .kvBandwidthEfficiency),
            linkEfficiency: try c.decode(Double.self, forKey: .linkEfficiency),
            allReduceLatencySeconds: try c.decode(Double.self, forKey: .allReduceLatencySeconds),
            stepOverheadSeconds: try c.decode(Double.self, forKey: .stepOverheadSeconds),
            perSequenceOverheadSeconds: try c.decode(Double.self, forKey: .perSequenceOverheadSeconds),
            perLayerOverheadSeconds: try c.decode(Double.self, forKey: .perLayerOverheadSeconds),
            gemmOverlapLoss: try c.decode(Double.self, forKey: .gemmOverlapLoss),
            decodeAttentionSaturationItems: try c.decodeIfPresent(Double.self, forKey: .decodeAttentionSaturationItems) ?? 0,
            allReducePerPeerLatencySeconds: try c.decodeIfPresent(Double.self, forKey: .allReducePerPeerLatencySeconds) ?? 0,
            fp8AttentionShare: try c.decodeIfPresent(Double.self, forKey: .fp8AttentionShare) ?? 0)
    }
}

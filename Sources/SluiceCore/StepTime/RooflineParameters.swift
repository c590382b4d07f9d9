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

    /// Creates parameters; every argument defaults to SIMULATION.md §2.7.
    public init(
        computeEfficiency: Double = 0.80, weightStreamEfficiency: Double = 0.75, attentionEfficiency: Double = 0.60,
        kvBandwidthEfficiency: Double = 0.90, linkEfficiency: Double = 0.70, allReduceLatencySeconds: Double = 25e-6,
        stepOverheadSeconds: Double = 150e-6, perSequenceOverheadSeconds: Double = 5e-6,
        perLayerOverheadSeconds: Double = 0, gemmOverlapLoss: Double = 0, decodeAttentionSaturationItems: Double = 0
    ) {
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
        "perLayerOverheadSeconds", "gemmOverlapLoss", "decodeAttentionSaturationItems",
    ]

    /// The parameters as a vector, in the order of ``names``.
    public var values: [Double] {
        get {
            [
                computeEfficiency, weightStreamEfficiency, attentionEfficiency, kvBandwidthEfficiency, linkEfficiency,
                allReduceLatencySeconds, stepOverheadSeconds, perSequenceOverheadSeconds, perLayerOverheadSeconds,
                gemmOverlapLoss, decodeAttentionSaturationItems,
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
        }
    }

    private enum CodingKeys: String, CodingKey {
        case computeEfficiency, weightStreamEfficiency, attentionEfficiency, kvBandwidthEfficiency, linkEfficiency
        case allReduceLatencySeconds, stepOverheadSeconds, perSequenceOverheadSeconds, perLayerOverheadSeconds, gemmOverlapLoss
        case decodeAttentionSaturationItems
    }

    /// Decodes parameters; `decodeAttentionSaturationItems` is optional (files written before it existed mean 0).
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
            decodeAttentionSaturationItems: try c.decodeIfPresent(Double.self, forKey: .decodeAttentionSaturationItems) ?? 0)
    }
}

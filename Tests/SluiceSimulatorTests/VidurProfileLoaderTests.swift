import SluiceCore
import SluiceSimulator
import Testing

/// The Vidur-style table model built from Vidur's H100 Llama-2-7B `mlp.csv`.
struct VidurProfileLoaderTests {
    static let h100Path = CalibrationFixtures.profile("vidur/h100/Llama-2-7b-hf/mlp.csv")

    /// Llama-2-7B (Hugging Face `meta-llama/Llama-2-7b-hf` `config.json`) on H100-SXM (SIMULATION.md §2.7 figures).
    static func deployment(tensorParallel: Int = 1) -> Deployment {
        Deployment(
            model: ModelSpec(
                name: "llama-2-7b", layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 32, headDim: 128, ffnSize: 11008,
                gatedMLP: true, vocabSize: 32000, contextLengthTokens: 4096),
            gpu: GPUSpec(
                name: "h100-sxm", peakFlopsPerSecond: 989e12, memoryBandwidthBytesPerSecond: 3.35e12,
                memoryBytes: 80 * 1_073_741_824, linkBandwidthBytesPerSecond: 450e9, pricePerHourUSD: 3),
            tensorParallel: tensorParallel)
    }

    static func prefill(_ tokens: Int) -> BatchShape {
        var b = BatchShape()
        b.addPrefill(newTokens: tokens, contextTokens: 0)
        return b
    }

    @Test func gemmTableAgreesWithTheDefaultRooflineAt1024Tokens() throws {
        // The GEMMs alone are what the roofline's T_lin models: within 15 %.
        let d = Self.deployment()
        let roofline = RooflineStepTimeModel(deployment: d).stepSeconds(Self.prefill(1024))
        let gemms = try VidurProfileLoader.stepTimeModel(
            path: Self.h100Path, deployment: d, operators: VidurProfileLoader.gemmOperators)
        let t = gemms.stepSeconds(Self.prefill(1024))
        #expect(abs(t - roofline) / roofline < 0.15, "GEMM table \(t) s, roofline \(roofline) s")
    }

    @Test func fullTableAddsTheElementwiseOperatorsTheRooflineOmits() throws {
        // All nine operators: norms, rotary embedding, activation and add cost ~14 % more at 1,024 tokens; the
        // measured GEMMs also run at ~0.74 of peak against the default 0.80, so the table is ~24 % above the roofline.
        let d = Self.deployment()
        let roofline = RooflineStepTimeModel(deployment: d).stepSeconds(Self.prefill(1024))
        let table = try VidurProfileLoader.stepTimeModel(path: Self.h100Path, deployment: d)
        let t = table.stepSeconds(Self.prefill(1024))
        #expect(t > roofline)
        #expect(abs(t - roofline) / roofline < 0.30, "table \(t) s, roofline \(roofline) s")
        // 1,024 tokens is profiled: 32 layers × 0.657 ms of operator medians.
        #expect(abs(table.linearSeconds(tokens: 1024) - 32 * 0.657e-3) < 1e-9)
    }

    @Test func tableIsMonotoneInTokensIncludingExtrapolation() throws {
        let table = try VidurProfileLoader.stepTimeModel(path: Self.h100Path, deployment: Self.deployment())
        var previous = 0.0
        for tokens in 1...8192 {
            let t = table.stepSeconds(Self.prefill(tokens))
            #expect(t >= previous, "\(tokens) tokens: \(t) < \(previous)")
            if t < previous { break }
            previous = t
        }
        #expect(table.linearSeconds(tokens: 8192) > 1.8 * table.linearSeconds(tokens: 4096))
    }

    @Test func loaderSelectsTheTensorParallelRows() throws {
        let tp2 = try VidurProfileLoader.load(path: Self.h100Path, tensorParallel: 2)
        let tp1 = try VidurProfileLoader.load(path: Self.h100Path, tensorParallel: 1)
        #expect(tp2.tokenCounts.count == 259)
        #expect(tp2.tokenCounts.first == 1 && tp2.maxTokens == 4096)
        #expect(tp2.perLayerSeconds[tp2.perLayerSeconds.count - 1] < tp1.perLayerSeconds[tp1.perLayerSeconds.count - 1])
    }

    @Test func absentTensorParallelDegreeListsThoseAvailable() {
        #expect {
            try VidurProfileLoader.stepTimeModel(path: Self.h100Path, deployment: Self.deployment(tensorParallel: 3))
        } throws: { error in
            "\(error)".contains("1, 2, 4, 8")
        }
    }

    @Test func profileOfAnotherModelIsRejected() {
        var d = Self.deployment()
        d.model.kvHeads = 8
        #expect {
            try VidurProfileLoader.stepTimeModel(path: Self.h100Path, deployment: d)
        } throws: { error in
            "\(error)".contains("field 'n_kv_head'")
        }
    }
}

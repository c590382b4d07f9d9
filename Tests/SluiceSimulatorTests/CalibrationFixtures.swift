import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// Shared data for the calibration tests: paths into `shared/data` and the SLAI deployment.
enum CalibrationFixtures {
    /// The repository root (this file is `<repo>/Tests/SluiceSimulatorTests/CalibrationFixtures.swift`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `shared/`, next to the repository root.
    static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// A file under `shared/data/profiles`.
    static func profile(_ relative: String) -> String {
        shared.appendingPathComponent("data/profiles").appendingPathComponent(relative).path
    }

    /// SLAI's chunk sweep (agrimUT/SLAI `scripts/plot1_results.csv`).
    static let slaiPath = profile("slai-mistral7b-rtx6000ada.csv")

    /// Where the bundled calibration lives in the source tree (for regeneration).
    static let bundledSLAIPath =
        repositoryRoot
        .appendingPathComponent("Sources/SluiceCatalog/Resources/calibrations/mistral-7b@rtx-6000-ada.json").path

    /// Mistral-7B-Instruct-v0.2 (Hugging Face `mistralai/Mistral-7B-Instruct-v0.2` `config.json`), BF16.
    static let mistral7B = ModelSpec(
        name: "mistral-7b", layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128, ffnSize: 14336,
        gatedMLP: true, vocabSize: 32000, contextLengthTokens: 32768)

    /// NVIDIA RTX 6000 Ada: 364 dense BF16 TFLOP/s, 0.96 TB/s, 48 GiB, PCIe 4.0 x16 (32 GB/s); the price is a
    /// placeholder (the catalog sets prices).
    static let rtx6000Ada = GPUSpec(
        name: "rtx-6000-ada", peakFlopsPerSecond: 364e12, memoryBandwidthBytesPerSecond: 0.96e12,
        memoryBytes: 48 * 1_073_741_824, linkBandwidthBytesPerSecond: 32e9, pricePerHourUSD: 0.77)

    /// SLAI's deployment: one GPU.
    static let slaiDeployment = Deployment(model: mistral7B, gpu: rtx6000Ada, tensorParallel: 1)

    /// What the SLAI chunk sweep can inform: the GEMM efficiency (slope), weight streaming and the fixed cost (floor),
    /// and the overlap loss (the knee). Attention efficiency is collinear with the GEMM efficiency here (one prompt:
    /// mean attention work per chunk also grows linearly with the chunk), and the per-sequence overhead with the step
    /// overhead (always one sequence), so both keep their defaults.
    static let slaiFittedParameters = [
        "computeEfficiency", "weightStreamEfficiency", "stepOverheadSeconds", "gemmOverlapLoss",
    ]

    /// The bundled file's description.
    static let slaiDescription =
        "Mistral-7B-Instruct-v0.2 (BF16) on one RTX 6000 Ada, as measured by SLAI (arXiv 2508.01002; agrimUT/SLAI "
        + "scripts/plot1_results.csv): mean iteration time while one 2,048-token prompt is prefilled alone in chunks "
        + "of 64 to 1,024 tokens. Fitted by least squares on relative error (sluice RooflineCalibrator). "
        + "attentionEfficiency and perSequenceOverheadSeconds keep their defaults: a single-prompt chunk sweep cannot "
        + "separate them from computeEfficiency and stepOverheadSeconds."

    /// Fits the SLAI chunk sweep.
    static func fitSLAI() throws -> (CalibrationResult, CalibrationFile) {
        let points = try ChunkSweepCSV.points(contentsOf: slaiPath)
        let calibrator = try RooflineCalibrator(deployment: slaiDeployment, fitting: slaiFittedParameters)
        let result = try calibrator.fit(points)
        let file = CalibrationFile(
            result: result, deployment: slaiDeployment, sourceData: CalibrationFile.fileName(of: slaiPath),
            description: slaiDescription)
        return (result, file)
    }
}

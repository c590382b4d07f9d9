import SluiceCore
import SluiceEngineModel
import SluiceSimulator

/// Catalog-independent specs and workloads for simulator tests.
enum Fixtures {
    static let llama8B = ModelSpec(
        name: "llama-3.1-8b", layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128, ffnSize: 14336,
        gatedMLP: true, vocabSize: 128_256, contextLengthTokens: 131_072)
    static let h100 = GPUSpec(
        name: "h100-sxm", peakFlopsPerSecond: 989e12, memoryBandwidthBytesPerSecond: 3.35e12,
        memoryBytes: 80 * 1_073_741_824, linkBandwidthBytesPerSecond: 450e9, pricePerHourUSD: 4)

    static func deployment(kvBlocks: Int? = nil, maxRunning: Int = 256, chunk: Int? = nil) -> Deployment {
        Deployment(model: llama8B, gpu: h100, limits: EngineLimits(maxBatchedTokens: chunk, maxRunningSequences: maxRunning, kvBlocks: kvBlocks))
    }

    /// Poisson arrivals with random prompt/output lengths, deterministic for a seed.
    static func requests(count: Int, rate: Double, seed: UInt64, maxPrompt: Int = 3000, maxOutput: Int = 400, classes: Int = 1) -> [Request] {
        var rng = SplitMix64(seed: seed)
        var t = 0.0
        return (0..<count).map { i in
            t += -log(1 - rng.nextUnit()) / rate
            return Request(
                id: i, arrivalSeconds: t, promptTokens: 1 + Int(rng.next() % UInt64(maxPrompt)),
                outputTokens: 1 + Int(rng.next() % UInt64(maxOutput)), sloClass: Int(rng.next() % UInt64(classes)))
        }
    }

    static func run(
        _ requests: [Request], scheduler: String, router: String = "round-robin", replicas: Int = 1,
        deployment: Deployment = Fixtures.deployment(), classes: SLOClassTable = SLOClassTable([]), seed: UInt64 = 1
    ) throws -> (SimulationResult, [RequestOutcome]) {
        let sim = Simulation(
            replicas: Array(repeating: ReplicaSpec(deployment: deployment, scheduler: scheduler), count: replicas),
            router: router, sloClasses: classes, seed: seed)
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        let result = try sim.run(&source, outcomes: &sink)
        return (result, sink.outcomes)
    }
}

#if canImport(Glibc)
import Glibc
#endif

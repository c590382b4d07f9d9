import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceSimulator
import Testing

/// Replica lifecycle, billing and autoscalers.
struct ElasticFleetTests {
    static func specs(warm: Int, total: Int, tier: StorageTier = .localDisk) -> [ReplicaSpec] {
        (0..<total).map { i in
            var s = ReplicaSpec(deployment: Fixtures.deployment(), scheduler: "vllm")
            s.initiallyWarm = i < warm
            s.coldStart = ColdStartModel(tier: tier)
            return s
        }
    }

    static func run(_ specs: [ReplicaSpec], autoscaler: String?, requests: [Request], options: [String] = []) throws -> (SimulationResult, [RequestOutcome]) {
        var sim = Simulation(replicas: specs, sloClasses: SLOClassTable([]), seed: 3)
        sim.autoscaler = autoscaler
        sim.autoscalerOptions = try SchedulerOptions(parsing: options)
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        return (try sim.run(&source, outcomes: &sink), sink.outcomes)
    }

    @Test(arguments: ["concurrency", "queue-slo"])
    func aColdReplicaServesNothingBeforeItLoadsAndIsBilledWhileLoading(autoscaler: String) throws {
        let load = ColdStartModel(tier: .localDisk).loadSeconds(Fixtures.deployment())
        let requests = (0..<20).map { Request(id: $0, arrivalSeconds: 1 + Double($0) * 0.1, promptTokens: 200, outputTokens: 50) }
        let (result, outcomes) = try Self.run(Self.specs(warm: 0, total: 2), autoscaler: autoscaler, requests: requests)
        #expect(outcomes.count == 20 && outcomes.allSatisfy { $0.status == .completed })
        // The first request arrived at 1 s to an empty fleet: nothing before the load completes.
        let firstToken = outcomes.map { $0.arrivalSeconds + $0.ttftSeconds }.min() ?? 0
        #expect(firstToken >= 1 + load, "first token at \(firstToken) s, load takes \(load) s")
        let billed = result.replicas.map(\.billedSeconds).reduce(0, +)
        #expect(billed >= load, "loading time is billed")
        #expect(billed <= result.simulatedSeconds * 2)
    }

    @Test func noRequestIsLostWhenReplicasDrain() throws {
        // A burst, then a trickle: the autoscaler grows the pool, then drains replicas while they still hold requests.
        var requests = (0..<600).map { Request(id: $0, arrivalSeconds: Double($0) * 0.01, promptTokens: 500, outputTokens: 300) }
        requests += (0..<60).map { Request(id: 600 + $0, arrivalSeconds: 10 + Double($0) * 2, promptTokens: 100, outputTokens: 20) }
        let (result, outcomes) = try Self.run(
            Self.specs(warm: 1, total: 4), autoscaler: "concurrency", requests: requests,
            options: ["target=8", "scale-down-delay=4", "stable-window=4", "panic-window=2", "tick=1"])
        #expect(outcomes.count == 660 && Set(outcomes.map(\.requestID)).count == 660)
        #expect(outcomes.allSatisfy { $0.status == .completed })
        #expect(result.replicas.contains { $0.billedSeconds > 0 && $0.billedSeconds < result.simulatedSeconds - 1 }, "some replica was released")
        #expect(result.replicas.allSatisfy { $0.liveAtEnd == 0 && $0.kvBlocksFreeAtEnd == $0.kvBlocks })
        let (again, outcomesAgain) = try Self.run(
            Self.specs(warm: 1, total: 4), autoscaler: "concurrency", requests: requests,
            options: ["target=8", "scale-down-delay=4", "stable-window=4", "panic-window=2", "tick=1"])
        #expect(outcomes == outcomesAgain && again.costUSD == result.costUSD, "deterministic")
    }

    @Test func aStaticFleetIsBilledForTheWholeRun() throws {
        let requests = Fixtures.requests(count: 200, rate: 20, seed: 2)
        let (result, _) = try Self.run(Self.specs(warm: 2, total: 2), autoscaler: nil, requests: requests)
        #expect(result.replicas.allSatisfy { $0.billedSeconds == result.simulatedSeconds })
        #expect(abs(result.costUSD - 2 * 4 * result.simulatedSeconds / 3600) < 1e-9)
    }

    @Test func coldStartsFollowTheTierBandwidth() {
        let d = Fixtures.deployment()
        let remote = ColdStartModel(tier: .remote).loadSeconds(d)
        let memory = ColdStartModel(tier: .hostMemory).loadSeconds(d)
        #expect(abs(remote - (d.model.weightBytes / 1.25e9 + ColdStartModel.defaultEngineStartSeconds)) < 1e-9)
        #expect(memory < remote)
        #expect(throws: SluiceError.self) { _ = try AutoscalerRegistry.make(named: "hpa", options: SchedulerOptions(), initialReplicas: 1) }
        #expect(throws: SluiceError.self) {
            _ = try AutoscalerRegistry.make(named: "concurrency", options: try SchedulerOptions(parsing: ["target=0"]), initialReplicas: 1)
        }
    }
}

/// Prefix caching in the engine and prefix-affinity routing.
struct PrefixCachingSimulationTests {
    /// Requests in 8 families sharing a 3,072-token prefix (6 blocks of 512), each with its own tail block.
    static func requests() -> [Request] {
        (0..<400).map { i in
            let family = UInt64(i % 8)
            let shared = (0..<6).map { family * 1000 + UInt64($0) }
            return Request(id: i, arrivalSeconds: Double(i) * 0.05, promptTokens: 3584, outputTokens: 20, prefixBlockHashes: shared + [UInt64(1_000_000 + i)])
        }
    }

    static func run(router: String, caching: Bool = true) throws -> SimulationResult {
        let sim = Simulation(
            replicas: Array(repeating: ReplicaSpec(deployment: Fixtures.deployment(), scheduler: "vllm"), count: 4), router: router,
            sloClasses: SLOClassTable([]), seed: 1)
        var source = ArrayRequestSource(requests())
        var sink = CollectingOutcomeSink()
        let result = try sim.run(&source, outcomes: &sink)
        #expect(sink.outcomes.count == 400)
        return result
    }

    @Test func affinityFindsMoreCachedPrefixesAndCutsTTFT() throws {
        let rr = try Self.run(router: "round-robin")
        let affinity = try Self.run(router: "prefix-affinity")
        let rrHits = try #require(rr.prefixCacheHitRatio)
        let affinityHits = try #require(affinity.prefixCacheHitRatio)
        #expect(rrHits > 0.5, "families recur: even round-robin hits")
        #expect(affinityHits >= rrHits)
        #expect(affinity.metrics.overall.ttft.meanSeconds <= rr.metrics.overall.ttft.meanSeconds)
    }
}

/// Spot capacity: cheaper, and reclaimed at random without losing track of any request.
struct SpotTests {
    static func run(interruptions: Double?) throws -> (SimulationResult, [RequestOutcome]) {
        let specs = (0..<2).map { _ -> ReplicaSpec in
            var s = ReplicaSpec(deployment: Fixtures.deployment(), scheduler: "vllm")
            if let interruptions { s.spot = SpotTerms(interruptionsPerHour: interruptions) }
            return s
        }
        let sim = Simulation(replicas: specs, sloClasses: SLOClassTable([]), seed: 9)
        var source = ArrayRequestSource(Fixtures.requests(count: 3000, rate: 10, seed: 5, maxPrompt: 1000, maxOutput: 200))
        var sink = CollectingOutcomeSink()
        return (try sim.run(&source, outcomes: &sink), sink.outcomes)
    }

    @Test func spotIsCheaperAndReclaimsLoseNoRequest() throws {
        let (onDemand, _) = try Self.run(interruptions: nil)
        let (spot, _) = try Self.run(interruptions: 0)
        #expect(abs(spot.costUSD - onDemand.costUSD * GPUSpec.defaultSpotPriceRatio) < 1e-9)
        let (reclaimed, outcomes) = try Self.run(interruptions: 40)  // about 3 reclaims per replica in 300 s
        #expect(reclaimed.coldStarts > 0)
        #expect(outcomes.count == 3000 && Set(outcomes.map(\.requestID)).count == 3000, "every request ends exactly once")
        let broken = outcomes.filter { $0.status == .rejected }
        #expect(broken.allSatisfy { $0.rejectReason?.contains("spot instance reclaimed") == true && $0.outputTokens > 0 })
        #expect(reclaimed.replicas.allSatisfy { $0.liveAtEnd == 0 && $0.kvBlocksFreeAtEnd == $0.kvBlocks })
    }
}

/// GPU memory placement: several models on shared GPUs, fragmentation, per-GPU billing.
struct GPUPlacementTests {
    static func gpu() -> GPUSpec { Fixtures.h100 }

    @Test func fragmentationRefusesAReplicaThatFitsOnlyInTotal() {
        var inventory = GPUInventory([(Self.gpu(), 1)])
        let gib = 1_073_741_824.0
        let a = try! inventory.place(type: "h100-sxm", gpus: 1, bytes: 24 * gib).get()
        _ = try! inventory.place(type: "h100-sxm", gpus: 1, bytes: 32 * gib).get()
        let c = try! inventory.place(type: "h100-sxm", gpus: 1, bytes: 24 * gib).get()
        inventory.release(a)
        inventory.release(c)
        // 48 GiB free in two 24 GiB holes: 40 GiB fits in total but in no region.
        if case .failure(let e) = inventory.place(type: "h100-sxm", gpus: 1, bytes: 40 * gib) {
            #expect(e.shortfall == .fragmentation)
        } else {
            Issue.record("placed across a hole")
        }
        #expect(abs(inventory.fragmentation(type: "h100-sxm") - 0.5) < 1e-9)
        if case .failure(let e) = inventory.place(type: "h100-sxm", gpus: 1, bytes: 60 * gib) { #expect(e.shortfall == .memory) }
        #expect((try? inventory.place(type: "h100-sxm", gpus: 1, bytes: 20 * gib).get()) != nil)
    }

    @Test func twoModelsShareGPUsAndAreRoutedToTheirOwnReplicas() throws {
        var small = EngineLimits()
        small.gpuMemoryUtilization = 0.45
        let a = Deployment(model: Fixtures.llama8B, gpu: Fixtures.h100, limits: small)
        var other = Fixtures.llama8B
        other.name = "other-8b"
        let b = Deployment(model: other, gpu: Fixtures.h100, limits: small)
        let specs = [a, a, b, b].map { ReplicaSpec(deployment: $0, scheduler: "vllm") }
        var sim = Simulation(replicas: specs, sloClasses: SLOClassTable([]), seed: 1)
        sim.gpuInventory = ["h100-sxm": 2]
        let requests = (0..<400).map { i in
            Request(id: i, arrivalSeconds: Double(i) * 0.02, promptTokens: 300, outputTokens: 50, model: i % 2 == 0 ? "llama-3.1-8b" : "other-8b")
        } + [Request(id: 400, arrivalSeconds: 9, promptTokens: 10, outputTokens: 5, model: "unknown-70b")]
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        let result = try sim.run(&source, outcomes: &sink)
        #expect(sink.outcomes.count == 401)
        for o in sink.outcomes where o.requestID < 400 {
            #expect(o.status == .completed)
            #expect((o.replica < 2) == (o.requestID % 2 == 0), "request \(o.requestID) on replica \(o.replica)")
        }
        #expect(sink.outcomes.first { $0.requestID == 400 }?.rejectReason?.contains("no replica serves model unknown-70b") == true)
        // Four replicas on two GPUs: the bill is two GPUs for the run.
        #expect(abs(result.costUSD - 2 * Fixtures.h100.pricePerHourUSD * result.simulatedSeconds / 3600) < 1e-9)
        var tooMany = sim
        tooMany.gpuInventory = ["h100-sxm": 1]
        var again = ArrayRequestSource(requests)
        #expect(throws: SluiceError.self) { _ = try tooMany.run(&again, outcomes: &sink) }
    }
}

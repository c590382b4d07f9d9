import SluiceCore
import SluiceEngineModel
import SluiceCatalog
import SluiceSimulator
import Testing

/// Closed-loop load, simultaneous arrivals and prefix registration at the end of prefill (issue 14).
struct ClosedLoopAndArrivalTests {
    static let catalog = try! CatalogLoader.bundled()

    static func deployment(chunk: Int? = nil) throws -> Deployment {
        Deployment(
            model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: "h100-sxm"),
            limits: EngineLimits(maxBatchedTokens: chunk))
    }

    static func run(_ requests: [Request], chunk: Int? = nil, closedLoop: ClosedLoopLoad? = nil, prefixBlockTokens: Int = 512) throws
        -> (SimulationResult, [RequestOutcome])
    {
        var sim = Simulation(replicas: [ReplicaSpec(deployment: try deployment(chunk: chunk), scheduler: "vllm")], sloClasses: SLOClassTable([]))
        sim.closedLoop = closedLoop
        sim.prefixBlockTokens = prefixBlockTokens
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        let result = try sim.run(&source, outcomes: &sink)
        return (result, sink.outcomes)
    }

    @Test func closedLoopNeverExceedsItsClientsAndKeepsThemBusy() throws {
        let clients = 4
        let requests = (0..<40).map { Request(id: $0, arrivalSeconds: Double($0) * 100, promptTokens: 200 + 37 * ($0 % 5), outputTokens: 20 + 11 * ($0 % 7)) }
        let (_, outcomes) = try Self.run(requests, closedLoop: try ClosedLoopLoad(clients: clients))
        #expect(outcomes.count == 40)
        #expect(outcomes.allSatisfy { $0.status == .completed })
        // Trace arrival times are ignored: the first `clients` requests start at 0.
        #expect(outcomes.filter { $0.arrivalSeconds == 0 }.count == clients)
        // In flight at any instant: arrivals minus ends so far.
        var changes: [(Double, Int)] = []
        for o in outcomes {
            changes.append((o.arrivalSeconds, 1))
            changes.append((o.arrivalSeconds + o.e2eSeconds, -1))
        }
        changes.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var inFlight = 0
        var most = 0
        for (_, d) in changes {
            inFlight += d
            most = max(most, inFlight)
        }
        #expect(most == clients)
        // With no think time each client sends its next request the instant its previous one ends.
        let ends = Set(outcomes.map { $0.arrivalSeconds + $0.e2eSeconds })
        for o in outcomes where o.arrivalSeconds > 0 { #expect(ends.contains(o.arrivalSeconds)) }
    }

    @Test func thinkTimeDelaysTheNextRequest() throws {
        let requests = (0..<6).map { Request(id: $0, arrivalSeconds: 0, promptTokens: 100, outputTokens: 10) }
        let (_, outcomes) = try Self.run(requests, closedLoop: try ClosedLoopLoad(clients: 1, thinkSeconds: 2))
        let sorted = outcomes.sorted { $0.arrivalSeconds < $1.arrivalSeconds }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(abs(b.arrivalSeconds - (a.arrivalSeconds + a.e2eSeconds + 2)) < 1e-9)
        }
        #expect(throws: SluiceError.self) { try ClosedLoopLoad(clients: 0) }
        #expect(throws: SluiceError.self) { try ClosedLoopLoad(clients: 2, thinkSeconds: -1) }
    }

    @Test func simultaneousArrivalsShareTheFirstStep() throws {
        let requests = (0..<8).map { Request(id: $0, arrivalSeconds: 0, promptTokens: 1024, outputTokens: 4) }
        let (_, outcomes) = try Self.run(requests, chunk: 8192)
        let ttfts = outcomes.map(\.ttftSeconds)
        #expect(ttfts.count == 8)
        #expect(ttfts.max()! - ttfts.min()! < 1e-12, "every request's first token comes from the same step: \(ttfts)")
    }

    @Test func prefixBlocksHitOnceTheirPrefillIsDone() throws {
        // B shares A's first two 512-token blocks and arrives after A's prefill but long before A completes.
        let a = Request(id: 0, arrivalSeconds: 0, promptTokens: 1100, outputTokens: 2000, prefixBlockHashes: [11, 12, 13])
        let b = Request(id: 1, arrivalSeconds: 1.0, promptTokens: 1600, outputTokens: 10, prefixBlockHashes: [11, 12, 99, 98])
        let (result, outcomes) = try Self.run([a, b])
        let first = outcomes.first { $0.requestID == 0 }!
        #expect(first.e2eSeconds > 1.5, "A still runs when B arrives")
        let hit = try #require(result.prefixCacheHitRatio)
        #expect(abs(hit - Double(2 * 512) / Double(1100 + 1600)) < 1e-9)
        // At vLLM's 16-token granularity the same prompts share 64 blocks.
        let a16 = Request(id: 0, arrivalSeconds: 0, promptTokens: 1100, outputTokens: 2000, prefixBlockHashes: (0..<68).map { UInt64($0) })
        let b16 = Request(id: 1, arrivalSeconds: 1.0, promptTokens: 1600, outputTokens: 10, prefixBlockHashes: (0..<64).map { UInt64($0) } + (1000..<1036).map { UInt64($0) })
        let (r16, _) = try Self.run([a16, b16], prefixBlockTokens: 16)
        #expect(abs(try #require(r16.prefixCacheHitRatio) - Double(64 * 16) / Double(1100 + 1600)) < 1e-9)
    }

    @Test func summariesStateTheStepModelAndWarnWhenUncalibrated() throws {
        let requests = (0..<4).map { Request(id: $0, arrivalSeconds: 0, promptTokens: 100, outputTokens: 5) }
        let (result, _) = try Self.run(requests)
        #expect(result.isUncalibrated)
        let summary = SimulationSummary(result, label: "x")
        #expect(summary.uncalibrated)
        #expect(summary.stepModels.first?.summaryLine.contains("UNCALIBRATED") == true)
        let calibrated = StepModelProvenance(deployment: "m@g", model: "roofline", calibration: "any@h100-sxm", match: "GPU-wide fit")
        #expect(!calibrated.isUncalibrated)
        #expect(calibrated.summaryLine.contains("calibrated by any@h100-sxm"))
    }
}

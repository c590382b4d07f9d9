import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceSimulator
import Testing

struct LengthAwareSchedulerTests {
    /// A burst of long and short requests at once: shortest-predicted-first finishes the short ones first.
    static func burst() -> [Request] {
        (0..<120).map { i in
            Request(id: i, arrivalSeconds: 0.001 * Double(i), promptTokens: 200, outputTokens: i % 2 == 0 ? 800 : 20)
        }
    }

    static func run(_ scheduler: String, predictor: String = "oracle") throws -> (SimulationResult, [RequestOutcome]) {
        var sim = Simulation(
            replicas: [ReplicaSpec(deployment: Fixtures.deployment(maxRunning: 16), scheduler: scheduler)], sloClasses: SLOClassTable([]),
            seed: 1)
        sim.predictor = predictor
        var source = ArrayRequestSource(burst())
        var sink = CollectingOutcomeSink()
        return (try sim.run(&source, outcomes: &sink), sink.outcomes)
    }

    static func meanE2E(_ o: [RequestOutcome], outputs: Int) -> Double {
        let xs = o.filter { $0.outputTokens == outputs }.map(\.e2eSeconds)
        return xs.reduce(0, +) / Double(xs.count)
    }

    @Test(arguments: ["isrtf", "ltr", "trail"])
    func shortRequestsFinishFirstWithAnOracle(scheduler: String) throws {
        let (result, outcomes) = try Self.run(scheduler)
        #expect(outcomes.count == 120)
        #expect(result.prediction?.predictor == "oracle")
        #expect(result.prediction?.meanAbsoluteErrorTokens == 0)
        let (_, fcfs) = try Self.run("vllm")
        #expect(Self.meanE2E(outcomes, outputs: 20) < Self.meanE2E(fcfs, outputs: 20), "\(scheduler) serves short requests sooner")
    }

    @Test func onlinePredictorAccuracyIsReported() throws {
        let (result, _) = try Self.run("isrtf", predictor: "online")
        let p = try #require(result.prediction)
        #expect(p.predictor == "online" && p.requests == 120)
        #expect(p.meanAbsoluteErrorTokens > 0)
    }

    @Test func trailNeverPreemptsPastItsLimit() throws {
        // TRAIL pins a request once it generated 0.8 x its initial prediction: with an oracle, such a request is never
        // preempted again, so no request is preempted after producing more than 80 % of its output.
        let deployment = Fixtures.deployment(kvBlocks: 300, maxRunning: 16)
        var sim = Simulation(replicas: [ReplicaSpec(deployment: deployment, scheduler: "trail")], sloClasses: SLOClassTable([]), seed: 1)
        sim.predictor = "oracle"
        var source = ArrayRequestSource(Self.burst())
        var sink = CollectingOutcomeSink()
        let result = try sim.run(&source, outcomes: &sink)
        #expect(sink.outcomes.count == 120)
        #expect(result.replicas[0].kvBlocksFreeAtEnd == 300)
        var engine = EngineState(
            kv: KVBlockPool(totalBlocks: 1000, blockSizeTokens: 16, watermarkFraction: 0), maxRunningSequences: 4, maxBatchedTokens: 64,
            maxOutputTokens: 4096, maxModelLenTokens: 100_000)
        let trail = PredictedLengthScheduler(parameters: .with { $0.preemptionLimit = 0.8 }, name: "trail")
        let slot = engine.enqueue(Request(id: 0, arrivalSeconds: 0, promptTokens: 10, outputTokens: 100))
        engine.sequences[Int(slot)].initialPredictedOutputTokens = 100
        engine.sequences[Int(slot)].generatedTokens = 79
        #expect(trail.isPreemptible(engine.sequences[Int(slot)]))
        engine.sequences[Int(slot)].generatedTokens = 80
        #expect(!trail.isPreemptible(engine.sequences[Int(slot)]))
    }

    @Test func starvationGuardPromotesALongWaitingRequest() throws {
        // One long request among a steady stream of short ones: without the guard the long one would wait for the
        // stream to end; with it, it is promoted after 200 idle iterations.
        var requests = [Request(id: 0, arrivalSeconds: 0.0005, promptTokens: 100, outputTokens: 400)]
        for i in 1..<3000 { requests.append(Request(id: i, arrivalSeconds: 0.004 * Double(i), promptTokens: 100, outputTokens: 5)) }
        requests.sort { $0.arrivalSeconds < $1.arrivalSeconds }
        for i in requests.indices { requests[i].id = i }
        var sim = Simulation(
            replicas: [ReplicaSpec(deployment: Fixtures.deployment(maxRunning: 1), scheduler: "ltr")], sloClasses: SLOClassTable([]), seed: 1)
        sim.predictor = "oracle"
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        _ = try sim.run(&source, outcomes: &sink)
        let long = try #require(sink.outcomes.first { $0.outputTokens == 400 })
        let lastShort = sink.outcomes.filter { $0.outputTokens == 5 }.map { $0.arrivalSeconds + $0.e2eSeconds }.max() ?? 0
        #expect(long.arrivalSeconds + long.e2eSeconds < lastShort, "the long request finished before the stream of short ones ended")
        #expect(long.queueingSeconds < 5, "promoted within the guard's window, queued \(long.queueingSeconds) s")
    }
}

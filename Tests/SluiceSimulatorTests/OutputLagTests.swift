import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceSimulator
import Testing

/// An engine whose output lags a step (an overlap scheduler, TensorRT-LLM's; issue 14): every token reaches the client
/// one step after it was sampled, so TTFT is the prefill step plus the next one and E2E one step longer, while the time
/// between tokens is unchanged.
struct OutputLagTests {
    static func alone(lag: Int, prompt: Int = 2000, output: Int = 50) throws -> (RequestOutcome, Deployment) {
        var d = Fixtures.deployment()
        d.limits.outputLagSteps = lag
        let (_, outcomes) = try Fixtures.run([Request(id: 0, arrivalSeconds: 0, promptTokens: prompt, outputTokens: output)], scheduler: "vllm", deployment: d)
        return (try #require(outcomes.first), d)
    }

    @Test func theFirstTokenArrivesWithTheNextStepAndTheLastOneStepLater() throws {
        let (now, d) = try Self.alone(lag: 0)
        let (lagged, _) = try Self.alone(lag: 1)
        let model = RooflineStepTimeModel(deployment: d)
        var decode = BatchShape()
        decode.addDecode(contextTokens: 2001)
        let step = model.stepSeconds(decode)
        #expect(abs(lagged.ttftSeconds - (now.ttftSeconds + step)) < 1e-4 * now.ttftSeconds, "TTFT \(lagged.ttftSeconds) vs \(now.ttftSeconds) + \(step)")
        #expect(lagged.e2eSeconds > now.e2eSeconds + 0.9 * step && lagged.e2eSeconds < now.e2eSeconds + 1.1 * step)
        #expect(abs(lagged.tpotSeconds - now.tpotSeconds) < 0.05 * now.tpotSeconds, "inter-token time unchanged")
        #expect(lagged.outputTokens == now.outputTokens)
    }

    @Test func aOneTokenAnswerIsStillDeliveredAStepLater() throws {
        let (now, _) = try Self.alone(lag: 0, output: 1)
        let (lagged, _) = try Self.alone(lag: 1, output: 1)
        #expect(lagged.ttftSeconds > now.ttftSeconds)
        #expect(lagged.e2eSeconds == lagged.ttftSeconds)
    }

    @Test func aClosedLoopClientWaitsForItsLaggedAnswer() throws {
        var d = Fixtures.deployment()
        d.limits.outputLagSteps = 1
        var sim = Simulation(replicas: [ReplicaSpec(deployment: d, scheduler: "vllm")], sloClasses: SLOClassTable([]), seed: 1)
        sim.closedLoop = try ClosedLoopLoad(clients: 1)
        var source = ArrayRequestSource((0..<5).map { Request(id: $0, arrivalSeconds: 0, promptTokens: 100, outputTokens: 10) })
        var sink = CollectingOutcomeSink()
        _ = try sim.run(&source, outcomes: &sink)
        let sorted = sink.outcomes.sorted { $0.requestID < $1.requestID }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(b.arrivalSeconds >= a.arrivalSeconds + a.e2eSeconds - 1e-12, "sent only once the previous answer arrived")
        }
    }

    @Test func limitsWrittenBeforeTheLagExistedStillRead() throws {
        let json = #"{"maxRunningSequences":256,"blockSizeTokens":16,"gpuMemoryUtilization":0.9,"activationReserveBytes":1e9,"watermarkFraction":0.01,"maxOutputTokens":4096}"#
        let limits = try JSONDecoder().decode(EngineLimits.self, from: Data(json.utf8))
        #expect(limits.outputLagSteps == 0 && limits.maxBatchedTokens == nil)
        var lagged = limits
        lagged.outputLagSteps = 1
        #expect(try JSONDecoder().decode(EngineLimits.self, from: JSONEncoder().encode(lagged)) == lagged)
    }
}

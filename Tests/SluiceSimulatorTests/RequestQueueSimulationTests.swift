import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceSimulator
import Testing

/// Request-level schedulers in the simulator: nothing is lost, runs are deterministic, the predictor is scored.
struct RequestQueueSimulationTests {
    static let classes = SLOClassTable([
        SLOClass(name: "code", targets: SLOTargets(e2eSeconds: 4), share: 0.5),
        SLOClass(name: "chat", targets: SLOTargets(ttftSeconds: 1, tpotSeconds: 0.1), share: 0.5),
    ])

    static func run(_ policy: String?, rate: Double = 40) throws -> (SimulationResult, [RequestOutcome]) {
        var sim = Simulation(
            replicas: Array(repeating: ReplicaSpec(deployment: Fixtures.deployment(kvBlocks: 4000, maxRunning: 64), scheduler: "vllm"), count: 2),
            sloClasses: classes, seed: 5)
        sim.requestScheduler = policy
        sim.predictor = "oracle"
        var source = ArrayRequestSource(Fixtures.requests(count: 800, rate: rate, seed: 11, maxPrompt: 2000, maxOutput: 300, classes: 2))
        var sink = CollectingOutcomeSink()
        return (try sim.run(&source, outcomes: &sink), sink.outcomes)
    }

    @Test(arguments: [nil, "fcfs", "edf", "sjf", "priority", "sa-slo"])
    func noRequestIsLostAndRunsRepeat(policy: String?) throws {
        let (result, outcomes) = try Self.run(policy)
        #expect(outcomes.count == 800)
        #expect(Set(outcomes.map(\.requestID)).count == 800)
        #expect(result.replicas.allSatisfy { $0.kvBlocksFreeAtEnd == $0.kvBlocks && $0.liveAtEnd == 0 })
        let (again, outcomesAgain) = try Self.run(policy)
        #expect(outcomes == outcomesAgain && again.events == result.events)
        if policy != nil {
            let p = try #require(result.latencyPrediction)
            #expect(p.requests == 800 && p.e2eMeanAbsoluteErrorSeconds.isFinite)
        } else {
            #expect(result.latencyPrediction == nil)
        }
    }

    @Test func orderingMattersUnderOverload() throws {
        // Past saturation, deadline- and size-aware orders meet more SLOs than arrival order.
        let fcfs = try Self.run("fcfs", rate: 120).0.metrics.overall.sloAttainment
        let sjf = try Self.run("sjf", rate: 120).0.metrics.overall.sloAttainment
        let sa = try Self.run("sa-slo", rate: 120).0.metrics.overall.sloAttainment
        #expect(sjf > fcfs && sa > fcfs, "fcfs \(fcfs), sjf \(sjf), sa-slo \(sa)")
    }

    @Test func unknownRequestSchedulerListsTheNames() {
        #expect(throws: SluiceError.self) { _ = try Self.run("lifo") }
    }
}

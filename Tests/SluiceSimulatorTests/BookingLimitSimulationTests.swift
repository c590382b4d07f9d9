import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceSimulator
import Testing

/// WAIT and Nested WAIT end to end on the authors' two-type workload.
struct BookingLimitSimulationTests {
    /// Prefill 50/100, decode 156/171, arrivals 167 : 31 (ALGORITHMS.md §6), Poisson.
    static func twoTypes(count: Int, rate: Double, seed: UInt64) -> [Request] {
        var rng = SplitMix64(seed: seed)
        var t = 0.0
        return (0..<count).map { i in
            t += -log(1 - rng.nextUnit()) / rate
            let second = rng.nextUnit() < 31.0 / 198
            return Request(id: i, arrivalSeconds: t, promptTokens: second ? 100 : 50, outputTokens: second ? 171 : 156)
        }
    }

    static func run(_ scheduler: String, options: [String] = [], rate: Double = 30) throws -> (SimulationResult, [RequestOutcome]) {
        var sim = Simulation(
            replicas: [ReplicaSpec(deployment: Fixtures.deployment(), scheduler: scheduler, schedulerOptions: try SchedulerOptions(parsing: options))],
            sloClasses: SLOClassTable([]), seed: 1)
        sim.predictor = "oracle"
        var source = ArrayRequestSource(twoTypes(count: 600, rate: rate, seed: 7))
        var sink = CollectingOutcomeSink()
        return (try sim.run(&source, outcomes: &sink), sink.outcomes)
    }

    @Test(arguments: ["wait", "nested-wait"], [[], ["total-limit=memory"], ["total-limit=40"]])
    func everyRequestCompletesAndNoneIsHeldPastTheGuard(scheduler: String, options: [String]) throws {
        let (result, outcomes) = try Self.run(scheduler, options: options)
        #expect(outcomes.count == 600 && outcomes.allSatisfy { $0.status == .completed })
        #expect(result.replicas[0].kvBlocksFreeAtEnd == result.replicas[0].kvBlocks)
        // The liveness guard (max-hold 1 s) bounds every gap between tokens by the hold plus one iteration.
        let maxGap = outcomes.map(\.maxTBTSeconds).max() ?? 0
        #expect(maxGap < 1.2, "largest gap \(maxGap) s")
    }

    @Test func nestedWaitHoldsLongRequestsAtTheBreakpoint() throws {
        // With a small fixed total, the second segment (stages 156..170) admits few at a time: requests of the long
        // type wait at stage 156, so their gaps there exceed the short type's.
        let (_, outcomes) = try Self.run("nested-wait", options: ["total-limit=20"], rate: 60)
        let long = outcomes.filter { $0.outputTokens == 171 }.map(\.maxTBTSeconds).max() ?? 0
        let short = outcomes.filter { $0.outputTokens == 156 }.map(\.maxTBTSeconds).max() ?? 0
        #expect(long > short)
    }
}

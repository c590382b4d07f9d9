import SluiceCore
import SluiceEngineModel
import SluiceCatalog
import SluiceSimulator
import Testing

/// Why measured closed loops show long TTFTs under load (issue 14): a client's round trip longer than a decode step
/// brings clients that finished a few steps apart back as one cohort, and a cohort's prompts queue for prefill together.
/// The leave-one-group-out choice of the serving settings never looks at the group it is judged on.
struct ClosedLoopCohortTests {
    static func run(
        clientGapSeconds: Double, tokenBudget: Int, distribution: ThinkTimeDistribution = .fixed, seed: UInt64 = 0, inputTokens: Int = 2000
    ) throws -> ValidationPair {
        let catalog = try CatalogLoader.bundled()
        var limits = EngineLimits()
        limits.maxBatchedTokens = tokenBudget
        let d = Deployment(model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: "h100-sxm"), limits: limits)
        let spec = ReplicaSpec(deployment: d, scheduler: "vllm")
        var validator = Validator(requestsPerClient: 6, minimumRequests: 12, seed: seed)
        validator.clientGapSeconds = clientGapSeconds
        validator.clientGapDistribution = distribution
        let run = MeasuredConcurrencyRun(
            label: "x:2", model: "llama-3.1-8b", gpu: "h100-sxm", tensorParallel: 1, dtype: "bf16", engine: nil, concurrency: 8,
            inputTokens: inputTokens, outputTokens: 100, ttftSeconds: 1, tpotSeconds: 1)
        return try validator.validate([run]) { _ throws(SluiceError) in (spec, "roofline") }.pairs[0]
    }

    @Test func aClientRoundTripLongerThanAStepKeepsClientsInCohorts() throws {
        let staggered = try Self.run(clientGapSeconds: 0, tokenBudget: 8192)
        let cohorts = try Self.run(clientGapSeconds: 0.005, tokenBudget: 8192)
        // An 8,192-token budget prefills four 2,000-token prompts per step (~180 ms on an H100). Without a round trip
        // the two groups of four alternate and each waits one step; with one, a group that finishes a step earlier is
        // back before the other's prompts and makes it wait a second step. A budget that takes the whole cohort makes
        // every client wait for all eight prompts.
        let wholeCohort = try Self.run(clientGapSeconds: 0.005, tokenBudget: 32768)
        #expect(cohorts.simulatedTTFT > 1.3 * staggered.simulatedTTFT, "cohort \(cohorts.simulatedTTFT) s vs staggered \(staggered.simulatedTTFT) s")
        #expect(wholeCohort.simulatedTTFT > 1.2 * cohorts.simulatedTTFT)
    }

    @Test func exponentialRoundTripsBreakCohortsUpAndAreReproducible() throws {
        // Short prompts under a whole-cohort budget: with a fixed 5 ms round trip all eight come back together and
        // wait for one another's prefill; exponential round trips with the same mean spread them over several
        // decode steps, so most are prefilled in a smaller group.
        let fixed = try Self.run(clientGapSeconds: 0.005, tokenBudget: 32768, inputTokens: 2000)
        let spread = try Self.run(clientGapSeconds: 0.005, tokenBudget: 32768, distribution: .exponential, inputTokens: 2000)
        #expect(spread.simulatedTTFT < 0.9 * fixed.simulatedTTFT, "spread \(spread.simulatedTTFT) s vs cohort \(fixed.simulatedTTFT) s")
        let again = try Self.run(clientGapSeconds: 0.005, tokenBudget: 32768, distribution: .exponential, inputTokens: 2000)
        #expect(again.simulatedTTFT == spread.simulatedTTFT, "same seed, same run")
        let otherSeed = try Self.run(clientGapSeconds: 0.005, tokenBudget: 32768, distribution: .exponential, seed: 9, inputTokens: 2000)
        #expect(otherSeed.simulatedTTFT != spread.simulatedTTFT)
    }

    @Test func exponentialThinkTimesKeepAtMostNInFlightWithTheRightMean() throws {
        let catalog = try CatalogLoader.bundled()
        let d = Deployment(model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: "h100-sxm"))
        var simulation = Simulation(replicas: [ReplicaSpec(deployment: d, scheduler: "vllm")], sloClasses: SLOClassTable([]), seed: 3)
        let think = 0.5
        simulation.closedLoop = try ClosedLoopLoad(clients: 4, thinkSeconds: think, thinkDistribution: .exponential)
        let requests = (0..<400).map { Request(id: $0, arrivalSeconds: 0, promptTokens: 64, outputTokens: 4) }
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        _ = try simulation.run(&source, outcomes: &sink)
        #expect(sink.outcomes.count == 400, "no request lost")
        // Sweep arrivals and ends: never more than 4 in flight.
        var events: [(Double, Int)] = []
        for o in sink.outcomes {
            events.append((o.arrivalSeconds, 1))
            events.append((o.arrivalSeconds + o.e2eSeconds, -1))
        }
        events.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var inFlight = 0
        for (_, delta) in events {
            inFlight += delta
            #expect(inFlight <= 4)
        }
        // Each client's gaps (its next arrival minus its previous end) average the think time.
        let sorted = sink.outcomes.sorted { $0.arrivalSeconds < $1.arrivalSeconds }
        let serviceSeconds = sorted.reduce(0) { $0 + $1.e2eSeconds } / Double(sorted.count)
        let lastArrival = sorted.last!.arrivalSeconds
        let meanCycle = lastArrival * 4 / Double(sorted.count - 4)
        #expect(abs(meanCycle - serviceSeconds - think) < 0.15 * think, "cycle \(meanCycle) s = service \(serviceSeconds) s + think")
    }

    @Test func theServingGridChoosesEachGroupsSettingsOnTheOtherGroups() throws {
        // Group "odd" is best at budget 8192, every other group at 65536: "odd" must be judged at 65536, and the others
        // at 65536 too (they outnumber "odd").
        let grid = ServingGrid(tokenBudgets: [8192, 65536], clientGapsSeconds: [0], perSequenceOverheadsSeconds: [5e-6], kvBandwidthScales: [1])
        let groups = ["a", "b", "c", "odd"]
        let results = try grid.evaluate(groups: groups) { point, group throws(SluiceError) in
            let good = (group == "odd") == (point.tokenBudget == 8192)
            let simulated = good ? 1.0 : 2.0
            return [ValidationPair(label: group, group: group, measuredTTFT: 1, simulatedTTFT: simulated, measuredTPOT: 1,
                                   simulatedTPOT: simulated, measuredE2E: 1, simulatedE2E: simulated)]
        }
        #expect(results.choice["odd"]?.tokenBudget == 65536)
        #expect(results.choice["a"]?.tokenBudget == 65536)
        let oddHeldOut = try #require(results.heldOutPairs.first { $0.group == "odd" })
        #expect(oddHeldOut.simulatedTTFT == 2.0)
        #expect(throws: SluiceError.self) { try grid.evaluate(groups: ["a"]) { _, _ throws(SluiceError) in [] } }
    }

    @Test func theServingGridTriesEveryKVReadScaleAndChoosesTheOneTheGroupsShare() throws {
        let grid = ServingGrid(tokenBudgets: [32768], clientGapsSeconds: [0], perSequenceOverheadsSeconds: [75e-6], kvBandwidthScales: [1, 0.8, 0.65])
        #expect(grid.points.count == 3)
        #expect(Set(grid.points.map(\.kvBandwidthScale)) == [1, 0.8, 0.65])
        // Every group's decode is matched only when KV reads run at 0.8 of the kernel calibration's efficiency.
        let results = try grid.evaluate(groups: ["a", "b", "c"]) { point, group throws(SluiceError) in
            let simulated = 1 + abs(point.kvBandwidthScale - 0.8)
            return [ValidationPair(label: group, group: group, measuredTTFT: 1, simulatedTTFT: 1, measuredTPOT: 1,
                                   simulatedTPOT: simulated, measuredE2E: 1, simulatedE2E: simulated)]
        }
        #expect(results.chosenOnAll.kvBandwidthScale == 0.8)
        #expect(results.choice.values.allSatisfy { $0.kvBandwidthScale == 0.8 })
    }
}

import SluiceCore
import Testing

/// The request-level schedulers: the latency predictor, the baselines and the simulated-annealing `sa-slo`.
struct RequestSchedulingTests {
    static let predictor = LatencyPredictor(stepModel: RooflineStepTimeModel(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100)))

    /// A queue of mixed code (end-to-end) and chat (TTFT + TPOT) requests, deterministic for a seed.
    static func queue(_ n: Int, seed: UInt64, singleClass: Bool = false) -> [QueuedRequest] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { i in
            let code = !singleClass && rng.nextUnit() < 0.5
            let targets = code ? SLOTargets(e2eSeconds: 3 + 3 * rng.nextUnit()) : SLOTargets(ttftSeconds: 1, tpotSeconds: 0.1)
            return QueuedRequest(
                requestID: i, handle: i, arrivalSeconds: Double(i) * 0.05, promptTokens: 100 + Int(rng.next() % 2000),
                predictedOutputTokens: code ? 5 + Double(rng.next() % 60) : 20 + Double(rng.next() % 600), sloClass: code ? 0 : 1,
                targets: targets)
        }
    }

    static func load(now: Double) -> InstanceLoad {
        InstanceLoad(nowSeconds: now, liveRequests: 64, liveRemainingTokens: 64 * 150, livePendingPrefillTokens: 0, maxConcurrency: 64)
    }

    static func g(_ q: [QueuedRequest], _ load: InstanceLoad, window: Int = 64, metOffset: Double = 0.5) -> Double {
        LatencyPredictor.objective(q, predictor.constants(concurrency: load.maxConcurrency, load: load, queue: q), scored: window, metOffset: metOffset)
    }

    static func sorted(_ q: [QueuedRequest], _ rule: OrderingPolicy.Rule) -> [QueuedRequest] {
        q.sorted { OrderingPolicy.precedes($0, $1, rule: rule) }
    }

    @Test(arguments: [8, 24, 64, 200])
    func annealerIsNeverWorseThanItsSeeds(queueLength: Int) {
        for seed in UInt64(1)...5 {
            let q = Self.queue(queueLength, seed: seed)
            let load = Self.load(now: Double(queueLength) * 0.05)
            var sa = AnnealingOrderPolicy(seed: seed)
            var ordered = q
            let cap = sa.decide(&ordered, load: load, predictor: Self.predictor)
            #expect(cap == load.maxConcurrency, "the default keeps the engine's cap")
            #expect(Set(ordered.map(\.requestID)) == Set(q.map(\.requestID)) && ordered.count == q.count, "only reordered")
            let result = Self.g(ordered, load)
            for seedOrder in [q, Self.sorted(q, .edf), Self.sorted(q, .sjf)] {
                #expect(result >= Self.g(seedOrder, load) * (1 - 1e-12), "G \(result) vs seed \(Self.g(seedOrder, load))")
            }
        }
    }

    @Test func withOneClassAndOracleLengthsItMatchesOrBeatsEDF() {
        for seed in UInt64(1)...10 {
            let q = Self.queue(48, seed: seed, singleClass: true)
            let load = Self.load(now: 2.4)
            var sa = AnnealingOrderPolicy(seed: seed)
            var ordered = q
            _ = sa.decide(&ordered, load: load, predictor: Self.predictor)
            #expect(Self.g(ordered, load) >= Self.g(Self.sorted(q, .edf), load) * (1 - 1e-12))
        }
    }

    @Test func decisionsStayWithinTheirEvaluationBudget() throws {
        var parameters = AnnealingOrderPolicy.Parameters()
        parameters.evaluationsPerRound = 100
        parameters.rounds = 3
        var sa = AnnealingOrderPolicy(parameters: parameters, seed: 3)
        var q = Self.queue(500, seed: 3)
        _ = sa.decide(&q, load: Self.load(now: 25), predictor: Self.predictor)
        #expect(sa.lastEvaluations == 300)
        // Deterministic for a seed.
        var again = AnnealingOrderPolicy(parameters: parameters, seed: 3)
        var q2 = Self.queue(500, seed: 3)
        _ = again.decide(&q2, load: Self.load(now: 25), predictor: Self.predictor)
        #expect(q.map(\.requestID) == q2.map(\.requestID))
        #expect(throws: SluiceError.self) { _ = try AnnealingOrderPolicy.Parameters(try SchedulerOptions(parsing: ["concurrency-shares=0,2"])) }
        #expect(throws: SluiceError.self) {
            _ = try RequestPolicyRegistry.entry(named: "sa-slo").instantiate(seed: 1, options: try SchedulerOptions(parsing: ["tile=3"]))
        }
    }

    @Test func baselinesOrderAsTheirNamesSay() {
        let q = Self.queue(40, seed: 9)
        let load = Self.load(now: 2)
        for rule in OrderingPolicy.Rule.allCases {
            var policy = OrderingPolicy(rule)
            var ordered = q.reversed() as [QueuedRequest]
            #expect(policy.decide(&ordered, load: load, predictor: Self.predictor) == load.maxConcurrency)
            for k in 1..<ordered.count { #expect(!OrderingPolicy.precedes(ordered[k], ordered[k - 1], rule: rule)) }
            #expect(ordered.allSatisfy { !$0.predictedFinishSeconds.isNaN }, "predictions filled")
        }
        var priority = q
        OrderingPolicy.insertionSort(&priority, rule: .priority)
        let firstBatch = priority.firstIndex { $0.kind == .endToEnd } ?? priority.count
        #expect(priority[firstBatch...].allSatisfy { $0.kind == .endToEnd }, "interactive before end-to-end")
    }

    @Test func sloKindAndPredictedTimesAreConsistent() {
        #expect(SLOTargets(e2eSeconds: 5).kind == .endToEnd)
        #expect(SLOTargets(ttftSeconds: 1, tpotSeconds: 0.1).kind == .interactive)
        #expect(SLOTargets(ttftSeconds: 1, e2eSeconds: 9).kind == .interactive)
        var q = Self.queue(30, seed: 4)
        let load = Self.load(now: 1.5)
        let c = Self.predictor.constants(concurrency: 64, load: load, queue: q)
        LatencyPredictor.annotate(&q, c)
        var previousStart = -Double.infinity
        var ahead = 0.0
        for (k, r) in q.enumerated() {
            #expect(r.predictedFirstTokenSeconds >= load.nowSeconds && r.predictedFinishSeconds >= r.predictedFirstTokenSeconds)
            let start = LatencyPredictor.start(position: k, outputsAhead: ahead, c)
            #expect(start >= previousStart, "later positions never start earlier")
            let b = LatencyPredictor.startBounds(r, c)
            #expect(abs(start + b.latencyOffset - (r.predictedFinishSeconds - r.arrivalSeconds)) < 1e-9)
            #expect((start <= b.latestStart) == LatencyPredictor.meets(r, firstToken: r.predictedFirstTokenSeconds, finish: r.predictedFinishSeconds, c))
            previousStart = start
            ahead += r.predictedOutputTokens
        }
    }

    @Test func anOutputLagMovesEveryPredictionOneIterationLater() {
        let lagged = LatencyPredictor(
            stepModel: RooflineStepTimeModel(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100)), outputLagSteps: 1)
        var q = Self.queue(20, seed: 7)
        var r = q
        let load = Self.load(now: 2)
        let c = Self.predictor.constants(concurrency: 64, load: load, queue: q)
        let cl = lagged.constants(concurrency: 64, load: load, queue: q)
        #expect(cl.deliveryLagSeconds == cl.iterationSeconds && c.deliveryLagSeconds == 0)
        LatencyPredictor.annotate(&q, c)
        LatencyPredictor.annotate(&r, cl)
        for (a, b) in zip(q, r) {
            #expect(abs(b.predictedFirstTokenSeconds - a.predictedFirstTokenSeconds - c.iterationSeconds) < 1e-9)
            #expect(abs(b.predictedFinishSeconds - a.predictedFinishSeconds - c.iterationSeconds) < 1e-9)
        }
        for (k, req) in r.enumerated() {
            let ahead = r[..<k].reduce(0) { $0 + $1.predictedOutputTokens }
            let start = LatencyPredictor.start(position: k, outputsAhead: ahead, cl)
            let bounds = LatencyPredictor.startBounds(req, cl)
            #expect((start <= bounds.latestStart) == LatencyPredictor.meets(req, firstToken: req.predictedFirstTokenSeconds, finish: req.predictedFinishSeconds, cl))
        }
    }
}

import SluiceCore
import SluiceSimulator
import Testing

/// Invariants that must hold for every scheduler and router on randomized workloads.
struct SimulationInvariantTests {
    static let schedulers = SchedulerRegistry.names
    static let routers = RouterRegistry.names

    @Test(arguments: schedulers)
    func everyRequestEndsExactlyOnceAndKVComesBack(scheduler: String) throws {
        for seed in UInt64(1)...3 {
            // A small KV cache forces preemption for the schedulers that preempt.
            let deployment = Fixtures.deployment(kvBlocks: 1200, maxRunning: 64)
            let requests = Fixtures.requests(count: 300, rate: 20, seed: seed)
            let (result, outcomes) = try Fixtures.run(requests, scheduler: scheduler, replicas: 2, deployment: deployment)
            #expect(outcomes.count == requests.count, "seed \(seed)")
            #expect(Set(outcomes.map(\.requestID)) == Set(requests.map(\.id)), "seed \(seed): a request ended twice or never")
            for r in result.replicas {
                #expect(r.kvBlocksFreeAtEnd == r.kvBlocks, "seed \(seed): KV blocks leaked on \(r.label)")
                #expect(r.liveAtEnd == 0)
                #expect(r.largestBatchTokens <= r.maxBatchedTokens)
                #expect(r.largestRunningSequences <= 64)
            }
            let o = result.metrics.overall
            #expect(o.completed + o.rejected == requests.count)
            let byID = Dictionary(uniqueKeysWithValues: requests.map { ($0.id, $0) })
            for out in outcomes where out.status == .completed {
                #expect(out.outputTokens == byID[out.requestID]!.outputTokens, "every output token produced")
                #expect(out.ttftSeconds > 0 && out.e2eSeconds >= out.ttftSeconds)
            }
        }
    }

    @Test(arguments: routers)
    func routersKeepEveryRequest(router: String) throws {
        let requests = Fixtures.requests(count: 400, rate: 30, seed: 7)
        let (result, outcomes) = try Fixtures.run(requests, scheduler: "vllm", router: router, replicas: 3)
        #expect(outcomes.count == 400)
        #expect(result.metrics.overall.completed == 400)
        #expect(result.replicas.allSatisfy { $0.iterations > 0 }, "\(router) used every replica")
    }

    @Test func preemptionHappensUnderMemoryPressureAndIsRecorded() throws {
        let deployment = Fixtures.deployment(kvBlocks: 400)
        let requests = Fixtures.requests(count: 200, rate: 50, seed: 3, maxPrompt: 1500, maxOutput: 600)
        let (result, outcomes) = try Fixtures.run(requests, scheduler: "vllm", deployment: deployment)
        #expect(result.preemptions > 0)
        #expect(outcomes.reduce(0) { $0 + $1.preemptions } == result.preemptions)
        #expect(result.metrics.overall.completed == 200)
    }

    @Test func promptThatCanNeverFitIsRejectedWithAReason() throws {
        let deployment = Fixtures.deployment(kvBlocks: 100)  // 1,600 tokens
        let requests = [
            Request(id: 0, arrivalSeconds: 0, promptTokens: 5000, outputTokens: 10),
            Request(id: 1, arrivalSeconds: 0.1, promptTokens: 100, outputTokens: 10),
        ]
        let (_, outcomes) = try Fixtures.run(requests, scheduler: "vllm", deployment: deployment)
        let rejected = try #require(outcomes.first { $0.requestID == 0 })
        #expect(rejected.status == .rejected)
        #expect(rejected.rejectReason?.contains("5000") == true)
        #expect(outcomes.first { $0.requestID == 1 }?.status == .completed)
    }

    @Test func staticBatchingMakesLateArrivalsWaitForTheWholeBatch() throws {
        let requests = [
            Request(id: 0, arrivalSeconds: 0, promptTokens: 100, outputTokens: 500),
            Request(id: 1, arrivalSeconds: 0.01, promptTokens: 100, outputTokens: 2),
        ]
        let (_, outcomes) = try Fixtures.run(requests, scheduler: "static")
        let long = try #require(outcomes.first { $0.requestID == 0 })
        let short = try #require(outcomes.first { $0.requestID == 1 })
        #expect(short.ttftSeconds + short.arrivalSeconds >= long.e2eSeconds, "the short request starts after the batch ends")
        let (_, vllm) = try Fixtures.run(requests, scheduler: "vllm")
        #expect(vllm.first { $0.requestID == 1 }!.e2eSeconds < short.e2eSeconds)
    }
}

import SluiceCore
import SluiceEngineModel
import SluiceCatalog
import SluiceSimulator
import Testing

/// The simulator's engine driven by a host clock (`sluice engine`): every request gets exactly its tokens, once, in
/// order, and iterations take what the step-time model says.
struct LiveEngineModelTests {
    static func model(outputLagSteps: Int = 0) throws -> LiveEngineModel {
        let catalog = try CatalogLoader.bundled()
        let deployment = Deployment(
            model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: "h100-sxm"), tensorParallel: 1,
            limits: EngineLimits(outputLagSteps: outputLagSteps))
        return try LiveEngineModel(spec: ReplicaSpec(deployment: deployment, scheduler: "vllm"))
    }

    @Test func everyRequestGetsItsTokensInOrderAndFinishesOnce() throws {
        let engine = try Self.model()
        let wanted = [3, 1, 7, 5]
        for (id, n) in wanted.enumerated() { #expect(engine.admit(requestID: id, promptTokens: 100 * (id + 1), outputTokens: n, nowSeconds: 0) == nil) }
        var now = 0.0
        var received = Array(repeating: 0, count: wanted.count)
        var finished = Array(repeating: 0, count: wanted.count)
        var iterations = 0
        while let end = engine.startIteration(nowSeconds: now) {
            #expect(end > now, "an iteration takes time")
            now = end
            engine.finishIteration(nowSeconds: now)
            for e in engine.emitted {
                #expect(e.generatedTokens == received[e.requestID] + 1, "tokens arrive one at a time, in order")
                received[e.requestID] = e.generatedTokens
                if e.finished { finished[e.requestID] += 1 }
            }
            iterations += 1
            #expect(iterations < 1000)
        }
        #expect(received == wanted && finished == [1, 1, 1, 1])
        #expect(engine.runningCount == 0 && engine.waitingCount == 0 && engine.kvUsage == 0)
    }

    @Test func withAnOutputLagTokensArriveOneIterationLateAndTheLastAreFlushed() throws {
        let engine = try Self.model(outputLagSteps: 1)
        let wanted = [3, 1, 7]
        for (id, n) in wanted.enumerated() { #expect(engine.admit(requestID: id, promptTokens: 100, outputTokens: n, nowSeconds: 0) == nil) }
        var now = 0.0
        var received = Array(repeating: 0, count: wanted.count)
        var firstIteration = true
        while let end = engine.startIteration(nowSeconds: now) {
            now = end
            engine.finishIteration(nowSeconds: now)
            if firstIteration { #expect(engine.emitted.isEmpty, "the prefill's tokens wait for the next iteration") }
            firstIteration = false
            for e in engine.emitted {
                #expect(e.generatedTokens == received[e.requestID] + 1)
                received[e.requestID] = e.generatedTokens
            }
        }
        #expect(engine.hasHeldBackTokens, "the last iteration's tokens are still held back")
        engine.flushHeldBack()
        for e in engine.emitted { received[e.requestID] = e.generatedTokens }
        #expect(received == wanted && !engine.hasHeldBackTokens)
    }

    @Test func aPromptLongerThanTheModelIsRefusedWithAReason() throws {
        let engine = try Self.model()
        let reason = engine.admit(requestID: 0, promptTokens: 10_000_000, outputTokens: 1, nowSeconds: 0)
        #expect(reason?.contains("exceeds") == true)
    }

    @Test func anAbortedRequestFreesItsBlocksAndEmitsNothingMore() throws {
        let engine = try Self.model()
        #expect(engine.admit(requestID: 1, promptTokens: 500, outputTokens: 50, nowSeconds: 0) == nil)
        #expect(engine.admit(requestID: 2, promptTokens: 500, outputTokens: 3, nowSeconds: 0) == nil)
        var now = try #require(engine.startIteration(nowSeconds: 0))
        engine.abort(requestID: 1)  // mid-iteration: applied when it ends
        engine.finishIteration(nowSeconds: now)
        var seen = Set(engine.emitted.map(\.requestID))
        while let end = engine.startIteration(nowSeconds: now) {
            now = end
            engine.finishIteration(nowSeconds: now)
            #expect(!engine.emitted.contains { $0.requestID == 1 }, "nothing after the abort")
            seen.formUnion(engine.emitted.map(\.requestID))
        }
        #expect(seen.contains(2) && engine.runningCount == 0 && engine.waitingCount == 0 && engine.kvUsage == 0)
    }
}

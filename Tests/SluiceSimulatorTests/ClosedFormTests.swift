import SluiceCore
import SluiceSimulator
import Testing

/// A request alone on a replica: every time must equal the step-time model's prediction.
struct ClosedFormTests {
    @Test(arguments: ["vllm", "sarathi", "orca", "static"])
    func singleRequestTimesMatchTheStepModel(scheduler: String) throws {
        let deployment = Fixtures.deployment()
        let model = RooflineStepTimeModel(deployment: deployment)
        let prompt = 400
        let output = 50
        let request = Request(id: 0, arrivalSeconds: 1.0, promptTokens: prompt, outputTokens: output)
        let (_, outcomes) = try Fixtures.run([request], scheduler: scheduler)
        let o = try #require(outcomes.first)
        var prefill = BatchShape()
        prefill.addPrefill(newTokens: prompt, contextTokens: 0)
        #expect(abs(o.ttftSeconds - model.stepSeconds(prefill)) < 1e-12, "TTFT is one prefill step")
        var decodes = 0.0
        for k in 0..<(output - 1) {
            var d = BatchShape()
            d.addDecode(contextTokens: prompt + k)
            decodes += model.stepSeconds(d)
        }
        #expect(abs(o.e2eSeconds - o.ttftSeconds - decodes) < 1e-9, "each decode step as modelled")
        #expect(o.queueingSeconds == 0)
        #expect(o.preemptions == 0)
    }

    @Test func chunkedPrefillTakesOneStepPerChunk() throws {
        let deployment = Fixtures.deployment(chunk: 256)
        let model = RooflineStepTimeModel(deployment: deployment)
        let (_, outcomes) = try Fixtures.run(
            [Request(id: 0, arrivalSeconds: 0, promptTokens: 1000, outputTokens: 1)], scheduler: "sarathi", deployment: deployment)
        var expected = 0.0
        var done = 0
        while done < 1000 {
            let c = min(256, 1000 - done)
            var s = BatchShape()
            s.addPrefill(newTokens: c, contextTokens: done)
            expected += model.stepSeconds(s)
            done += c
        }
        #expect(abs(outcomes[0].ttftSeconds - expected) < 1e-12)
    }
}

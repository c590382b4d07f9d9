import SluiceCore
import Testing

struct SchedulerTests {
    @Test func vllmServesRunningFirstThenAdmitsFCFSWithinTheBudget() {
        var engine = CoreFixtures.engine(blocks: 10_000, budget: 1000)
        _ = engine.enqueue(CoreFixtures.request(0, prompt: 700))
        _ = engine.enqueue(CoreFixtures.request(1, prompt: 700))
        var s = VLLMScheduler()
        var plan = BatchPlan()
        s.schedule(&engine, into: &plan)
        #expect(plan.slots == [0, 1])
        #expect(engine.sequences[0].scheduledTokens == 700)
        #expect(engine.sequences[1].scheduledTokens == 300, "the second prompt gets the budget left: a chunk")
        #expect(plan.shape.totalTokens == 1000)
        CoreFixtures.apply(plan, to: &engine)
        plan.reset()
        s.schedule(&engine, into: &plan)
        #expect(engine.sequences[0].isDecoding)
        #expect(plan.shape.decodeSequences == 1)
        #expect(plan.shape.prefillTokens == 400, "the rest of the chunked prompt")
    }

    @Test func vllmPreemptsTheNewestRunningRequestWhenBlocksRunOut() {
        // 3 prompts of 32 tokens (2 blocks each) in a 6-block cache: the first decode needs a 7th block.
        var engine = CoreFixtures.engine(blocks: 6)
        for i in 0..<3 { _ = engine.enqueue(CoreFixtures.request(i, prompt: 32)) }
        var s = VLLMScheduler()
        var plan = BatchPlan()
        s.schedule(&engine, into: &plan)
        #expect(plan.slots.count == 3)
        CoreFixtures.apply(plan, to: &engine)
        plan.reset()
        s.schedule(&engine, into: &plan)
        #expect(engine.preemptionCount == 1)
        #expect(engine.waiting.first == 2, "the newest running request went back to the front of the queue")
        #expect(engine.sequences[2].computedTokens == 0, "recompute: its KV is forgotten")
        #expect(plan.slots == [0, 1])
        #expect(engine.kv.freeBlocks + engine.running.reduce(0) { $0 + engine.sequences[Int($1)].kvBlocks } == 6)
    }

    @Test func sarathiSchedulesDecodesBeforePrefillsAndAllocatesWholePrompts() {
        var engine = CoreFixtures.engine(blocks: 10_000, budget: 512)
        _ = engine.enqueue(CoreFixtures.request(0, prompt: 100))
        var s = SarathiScheduler()
        var plan = BatchPlan()
        s.schedule(&engine, into: &plan)
        CoreFixtures.apply(plan, to: &engine)
        _ = engine.enqueue(CoreFixtures.request(1, prompt: 2000))
        plan.reset()
        s.schedule(&engine, into: &plan)
        #expect(plan.slots == [0, 1])
        #expect(engine.sequences[0].scheduledTokens == 1)
        #expect(engine.sequences[1].scheduledTokens == 511)
        #expect(engine.sequences[1].kvBlocks == 125, "Sarathi allocates the whole 2000-token prompt at admission")
    }

    @Test func shortestPromptFirstAdmitsTheShortestWaitingPrompt() {
        var engine = CoreFixtures.engine(blocks: 10_000, budget: 512)
        _ = engine.enqueue(CoreFixtures.request(0, prompt: 3000))
        _ = engine.enqueue(CoreFixtures.request(1, prompt: 50))
        _ = engine.enqueue(CoreFixtures.request(2, prompt: 400))
        var s = SarathiScheduler(order: .shortestPromptFirst)
        var plan = BatchPlan()
        s.schedule(&engine, into: &plan)
        #expect(plan.slots == [1, 2, 0])
        #expect(engine.sequences[0].scheduledTokens == 62)
        var f = SarathiScheduler(order: .fcfs)
        var engine2 = CoreFixtures.engine(blocks: 10_000, budget: 512)
        for (i, p) in [3000, 50, 400].enumerated() { _ = engine2.enqueue(CoreFixtures.request(i, prompt: p)) }
        plan.reset()
        f.schedule(&engine2, into: &plan)
        #expect(plan.slots == [0])
    }

    @Test func orcaReservesWorstCaseAndNeverPreempts() {
        // Worst case = prompt 100 + 4096 output cap = 263 blocks; 600 blocks hold two such requests.
        var engine = CoreFixtures.engine(blocks: 600)
        for i in 0..<3 { _ = engine.enqueue(CoreFixtures.request(i, prompt: 100)) }
        var s = OrcaScheduler()
        var plan = BatchPlan()
        s.schedule(&engine, into: &plan)
        #expect(plan.slots == [0, 1])
        #expect(engine.sequences[0].kvBlocks == 263)
        #expect(engine.waiting.count == 1)
    }

    @Test func sequenceCapIsRespected() throws {
        var engine = CoreFixtures.engine(blocks: 10_000, maxRunning: 2)
        for i in 0..<5 { _ = engine.enqueue(CoreFixtures.request(i, prompt: 10)) }
        for entry in SchedulerRegistry.entries {
            var e = engine
            var s = try entry.instantiate(SchedulerContext(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100), stepModel: RooflineStepTimeModel(deployment: Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100))))
            var plan = BatchPlan()
            s.schedule(&e, into: &plan)
            #expect(e.running.count <= 2, "\(entry.name)")
        }
    }

    @Test func unknownSchedulerListsTheValidNames() {
        #expect(throws: SluiceError.self) { try SchedulerRegistry.entry(named: "fifo") }
        do {
            _ = try SchedulerRegistry.entry(named: "fifo")
        } catch {
            for name in ["vllm", "sarathi", "sarathi-spf", "orca", "static", "rad", "slai"] { #expect(error.description.contains(name)) }
        }
    }
}

struct SchedulerOptionTests {
    @Test func slaiParametersAreOverridable() throws {
        let options = try SchedulerOptions(parsing: ["offset-below=3", "order=fcfs", "fixed-offset=none", "tbt=0.15"])
        let p = try SLAIScheduler.Parameters(SLAIScheduler.Parameters.with { $0.fixedOffset = 10 }, options)
        #expect(p.offsetBelowMemoryLimit == 3)
        #expect(p.prefillOrder == .fcfs)
        #expect(p.fixedOffset == nil)
        #expect(p.defaultTBTSeconds == 0.15)
    }

    @Test func unknownAndMalformedOptionsAreRejected() throws {
        let slai = try SchedulerRegistry.entry(named: "slai")
        let vllm = try SchedulerRegistry.entry(named: "vllm")
        let d = Deployment(model: CoreFixtures.llama8B, gpu: CoreFixtures.h100)
        let model = RooflineStepTimeModel(deployment: d)
        #expect(throws: SluiceError.self) {
            try vllm.instantiate(SchedulerContext(deployment: d, stepModel: model, options: try SchedulerOptions(parsing: ["tile=64"])))
        }
        #expect(throws: SluiceError.self) {
            try slai.instantiate(SchedulerContext(deployment: d, stepModel: model, options: try SchedulerOptions(parsing: ["memory-limit=2"])))
        }
        #expect(throws: SluiceError.self) { try SchedulerOptions(parsing: ["novalue"]) }
        let rad = try SchedulerRegistry.entry(named: "rad")
        let s = try rad.instantiate(SchedulerContext(deployment: d, stepModel: model, options: try SchedulerOptions(parsing: ["tile=128"])))
        #expect((s as? RADScheduler)?.tileBudgetTokens.isMultiple(of: 128) == true)
        let isrtf = try SchedulerRegistry.entry(named: "isrtf")
        #expect(try isrtf.repredictEvery(try SchedulerOptions(parsing: ["repredict-every=10"])) == 10)
        #expect(try isrtf.repredictEvery(SchedulerOptions()) == 50)
    }
}

import SluiceCore
import SluiceCatalog
import SluiceSimulator
import Testing

struct DeterminismTests {
    @Test(arguments: ["vllm", "sarathi-spf"])
    func sameInputsAndSeedGiveIdenticalOutcomes(scheduler: String) throws {
        let requests = Fixtures.requests(count: 500, rate: 40, seed: 11, classes: 2)
        let classes = SLOClassTable([
            SLOClass(name: "chat", targets: SLOTargets(ttftSeconds: 0.5, tbtSeconds: 0.1), share: 0.5),
            SLOClass(name: "batch", targets: SLOTargets(e2eSeconds: 30), share: 0.5),
        ])
        let (a, oa) = try Fixtures.run(requests, scheduler: scheduler, router: "random", replicas: 3, classes: classes, seed: 5)
        let (b, ob) = try Fixtures.run(requests, scheduler: scheduler, router: "random", replicas: 3, classes: classes, seed: 5)
        #expect(oa == ob)
        var sa = SimulationSummary(a, label: "x")
        var sb = SimulationSummary(b, label: "x")
        sa.wallSeconds = 0
        sb.wallSeconds = 0
        #expect(try sa.jsonData() == sb.jsonData())
        let (_, oc) = try Fixtures.run(requests, scheduler: scheduler, router: "random", replicas: 3, classes: classes, seed: 6)
        #expect(oc != oa, "a different seed routes differently")
    }
}

import SluiceCore
import SluiceSimulator
import Testing

struct CapacityTests {
    @Test func targetGrammarParses() throws {
        let t = try CapacityTarget(parsing: "p50(ttft)<=0.5 and p99(tbt)<200ms and slo>=90% and rejected<=0")
        #expect(t.clauses == [
            .latency(statistic: "p50", metric: "ttft", bound: 0.5, strict: false),
            .latency(statistic: "p99", metric: "tbt", bound: 0.2, strict: true),
            .attainment(atLeast: 0.9),
            .rejected(atMost: 0),
        ])
    }

    @Test(arguments: ["p42(ttft)<=1", "p50(latency)<=1", "p50(ttft)>=1", "p50(ttft)<=-1", "", "slo>=2"])
    func badTargetsAreRejectedWithWhatIsAllowed(text: String) {
        #expect(throws: SluiceError.self) { try CapacityTarget(parsing: text) }
    }

    @Test func searchBracketsTheHighestPassingRate() throws {
        // A synthetic system whose p50 TTFT is 0.1 s below 7 req/s and 1 s above: capacity is 7.
        let target = try CapacityTarget(parsing: "p50(ttft)<=0.5")
        let requests = Fixtures.requests(count: 50, rate: 10, seed: 1)
        let (base, _) = try Fixtures.run(requests, scheduler: "vllm")
        let search = try CapacitySearch(startRate: 1, maxRate: 100, relativeTolerance: 0.01)
        let (capacity, points) = try search.run(target: target) { rate throws(SluiceError) in
            var s = SimulationSummary(base, label: "\(rate)")
            s.ttft.p50 = rate <= 7 ? 0.1 : 1
            return s
        }
        let c = try #require(capacity)
        #expect(c <= 7 && c > 6.9)
        #expect(points.map(\.rate) == points.map(\.rate).sorted())
        #expect(points.contains { !$0.meetsTarget })
    }

    @Test func searchGoesDownWhenTheStartRateFails() throws {
        let target = try CapacityTarget(parsing: "p50(ttft)<=0.5")
        let (base, _) = try Fixtures.run(Fixtures.requests(count: 20, rate: 10, seed: 1), scheduler: "vllm")
        let search = try CapacitySearch(startRate: 8, maxRate: 100)
        let (capacity, _) = try search.run(target: target) { rate throws(SluiceError) in
            var s = SimulationSummary(base, label: "")
            s.ttft.p50 = rate <= 3 ? 0.1 : 1
            return s
        }
        let c = try #require(capacity)
        #expect(c <= 3 && c > 2.9)
    }
}

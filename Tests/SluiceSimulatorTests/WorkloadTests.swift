import SluiceCore
import SluiceSimulator
import Testing

struct WorkloadTests {
    func requests(_ config: WorkloadConfig) throws(SluiceError) -> [Request] {
        var w = try Workload(config: config)
        var out: [Request] = []
        while let r = try w.next() { out.append(r) }
        return out
    }

    @Test func replayKeepsTraceTimestampsAndLimits() throws {
        let r = try requests(WorkloadConfig(tracePath: SharedData.azureConversation, requestLimit: 100))
        #expect(r.count == 100)
        #expect(r.map(\.id) == Array(0..<100))
        #expect(zip(r, r.dropFirst()).allSatisfy { $0.arrivalSeconds <= $1.arrivalSeconds })
    }

    @Test func replayScaledHitsTheTargetRate() throws {
        let r = try requests(WorkloadConfig(tracePath: SharedData.azureConversation, arrival: .replayScaled(rate: 20)))
        let rate = Double(r.count - 1) / r.last!.arrivalSeconds
        #expect(abs(rate - 20) / 20 < 0.001)
    }

    @Test func poissonAndGammaHaveTheirRateAndVariability() throws {
        func gaps(_ spec: ArrivalSpec) throws -> [Double] {
            let r = try requests(WorkloadConfig(tracePath: SharedData.shareGPT, arrival: spec, requestLimit: 20_000, seed: 3))
            return zip(r, r.dropFirst()).map { $1.arrivalSeconds - $0.arrivalSeconds }
        }
        func stats(_ g: [Double]) -> (mean: Double, cv: Double) {
            let mean = g.reduce(0, +) / Double(g.count)
            let variance = g.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(g.count)
            return (mean, variance.squareRoot() / mean)
        }
        let p = stats(try gaps(.poisson(rate: 5)))
        #expect(abs(1 / p.mean - 5) / 5 < 0.05)
        #expect(abs(p.cv - 1) < 0.05)
        let g = stats(try gaps(.gamma(rate: 5, cv: 2)))
        #expect(abs(1 / g.mean - 5) / 5 < 0.05)
        #expect(abs(g.cv - 2) / 2 < 0.1)
        let smooth = stats(try gaps(.gamma(rate: 5, cv: 0.5)))
        #expect(abs(smooth.cv - 0.5) / 0.5 < 0.1)
    }

    @Test func untimedTraceWithoutARateIsAClearError() throws {
        do {
            _ = try Workload(config: WorkloadConfig(tracePath: SharedData.shareGPT))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("--rate"))
        }
    }

    @Test func sloClassesAreDrawnBySharesDeterministically() throws {
        let table = try SLOSpecParser.parse(["chat:70%:ttft=1,tbt=0.2", "batch:0.3:e2e=120"])
        let config = WorkloadConfig(tracePath: SharedData.azureConversation, requestLimit: 10_000, seed: 4, sloClasses: table)
        let a = try requests(config)
        let b = try requests(config)
        #expect(a == b)
        let chat = Double(a.filter { $0.sloClass == 0 }.count) / Double(a.count)
        #expect(abs(chat - 0.7) < 0.02)
        var other = config
        other.seed = 5
        #expect(try requests(other).map(\.sloClass) != a.map(\.sloClass))
    }

    @Test func traceClassNamesMustBeKnown() throws {
        let path = try SharedData.temporaryFile("t.jsonl", "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5, \"slo_class\": \"gold\"}\n")
        let table = try SLOSpecParser.parse(["chat:1"])
        do {
            _ = try requests(WorkloadConfig(tracePath: path, sloClasses: table))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("t.jsonl:1"))
            #expect(error.description.contains("gold"))
        }
        let ok = try requests(WorkloadConfig(tracePath: path, sloClasses: try SLOSpecParser.parse(["gold:1:ttft=0.2"])))
        #expect(ok.first?.sloClass == 0)
    }

    @Test(arguments: ["chat", "chat:0", "chat:120%", "chat:50%", "chat:1:ttft=-1", "chat:1:speed=3", "a:0.5,b:0.5"])
    func badSLOSpecsAreRejected(spec: String) {
        #expect(throws: SluiceError.self) { try SLOSpecParser.parse([spec]) }
    }

    @Test func sloSpecUnitsAndTargets() throws {
        let t = try SLOSpecParser.parse(["chat:1:ttft=500ms,tbt=0.1,tpot=50ms,e2e=30s"])
        #expect(t[0].targets == SLOTargets(ttftSeconds: 0.5, tbtSeconds: 0.1, tpotSeconds: 0.05, e2eSeconds: 30))
    }
}

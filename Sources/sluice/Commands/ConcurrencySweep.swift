import Foundation
import SluiceCore
import SluiceSimulator

/// `sluice capacity --concurrency-sweep 1,2,4,...`: one closed loop per client count, with throughput and latency
/// (the curve `vllm bench serve --max-concurrency` and genai-perf publish), and the highest count meeting the target.
struct ConcurrencySweep {
    let list: String
    let target: CapacityTarget
    let scheduler: String
    let router: String
    let json: String?

    /// One closed loop's figures.
    struct Point: Codable {
        var concurrency: Int
        var requestsPerSecond: Double
        var outputTokensPerSecond: Double
        var meetsTarget: Bool
        var summary: SimulationSummary
    }

    /// The client counts of `list`. - Throws: ``SluiceError`` for an empty list or a count that is not positive.
    static func parse(_ list: String) throws(SluiceError) -> [Int] {
        var counts: [Int] = []
        for part in list.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let n = Int(text), n > 0 else {
                throw .invalidValue(field: "--concurrency-sweep", value: text, allowed: "positive client counts separated by commas, e.g. 1,2,4,8")
            }
            counts.append(n)
        }
        guard !counts.isEmpty else { throw .invalidValue(field: "--concurrency-sweep", value: list, allowed: "at least one client count") }
        return counts.sorted()
    }

    func run(workload: WorkloadOptions, fleet: FleetOptions, showProgress: Bool, reproducible: Bool) throws {
        let counts = try Self.parse(list)
        let runner = try ExperimentRunner(workload: workload, fleet: fleet, catalog: try fleet.loadCatalog(), showProgress: showProgress, reproducible: reproducible)
        var points: [Point] = []
        for n in counts {
            let s = try runner.run(scheduler: scheduler, router: router, label: "\(n) clients", concurrency: n)
            points.append(Point(concurrency: n, requestsPerSecond: s.requestsPerSecond, outputTokensPerSecond: s.outputTokensPerSecond,
                                meetsTarget: target.isMet(by: s), summary: s))
        }
        print("closed loop: scheduler \(scheduler), router \(router), \(workload.describe()), think time \(fixed(workload.thinkTime, 3)) s\n")
        var t = TextTable(["clients", "req/s", "out tok/s", "TTFT p50", "TTFT p99", "TPOT mean", "TBT p99", "E2E p50", "E2E p99", "meets", "$/Mtok"])
        for p in points {
            let s = p.summary
            t.add(["\(p.concurrency)", fixed(p.requestsPerSecond, 2), fixed(p.outputTokensPerSecond, 0), millis(s.ttft.p50), millis(s.ttft.p99),
                   millis(s.tpot.mean), millis(s.tbt.p99), millis(s.e2e.p50), millis(s.e2e.p99), p.meetsTarget ? "yes" : "no",
                   fixed(s.usdPerMillionOutputTokens, 3)])
        }
        print("latencies in ms\n" + t.render())
        for line in SummaryPrinter.stepModelLines(points.map(\.summary)) { print(line) }
        let best = points.filter(\.meetsTarget).last
        print(best.map { "highest concurrency meeting \(target): \($0.concurrency) clients (\(fixed($0.requestsPerSecond, 2)) req/s)" }
              ?? "target \(target) fails at every concurrency tried")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeData(try encoder.encode(["points": points]), to: json)
        }
    }
}

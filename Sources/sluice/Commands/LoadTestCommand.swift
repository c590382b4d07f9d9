import ArgumentParser
import Foundation
import SluiceCore
import SluiceGateway

/// `sluice loadtest`: open-loop load against an OpenAI-compatible server; with `--compare`, the same load against a
/// second server (an engine direct) and the difference (the gateway's added latency).
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Send open-loop load (fixed schedule, half streaming) to an OpenAI-compatible server and report latency.",
        discussion: """
            Latency is measured from each request's scheduled send time (no coordinated omission). With --direct URL the \
            same schedule is first sent straight to that server (the engine behind the gateway), then to --url, and the \
            difference of each percentile is the overhead added by the server at --url.
            """)

    @Option(help: "Base URL of the server under test (e.g. the gateway).")
    var url: String

    @Option(help: "Base URL of the engine behind it, for the overhead comparison.")
    var direct: String?

    @Option(help: "Model to ask for.")
    var model: String

    @Option(help: ArgumentHelp("Requests per second; several comma-separated rates run one after the other.", valueName: "R[,R...]"))
    var rate = "500"

    @Option(help: "Seconds of sending per rate.")
    var duration = 10.0

    @Option(help: "Share of streaming requests, 0...1.")
    var streamShare = 0.5

    @Option(help: "Prompt tokens per request.")
    var promptTokens = 100

    @Option(help: "max_tokens per request.")
    var outputTokens = 10

    @Option(help: "Poisson arrivals with this seed (default: constant spacing).")
    var seed: UInt64?

    @Option(help: "API key for --url.")
    var apiKey: String?

    @Option(help: ArgumentHelp("Write the results as JSON.", valueName: "FILE"))
    var json: String?

    struct Row: Codable {
        var rate: Double
        var target: LoadGenerator.Result
        var direct: LoadGenerator.Result?
        var addedP50Seconds: Double?
        var addedP99Seconds: Double?
    }

    func run() async throws {
        let rates = try rate.split(separator: ",").map { part -> Double in
            guard let r = Double(part), r > 0, r.isFinite else {
                throw SluiceError.invalidValue(field: "--rate", value: String(part), allowed: "positive numbers, comma-separated")
            }
            return r
        }
        var rows: [Row] = []
        var table = TextTable(["rate/s", "ok", "failed", "p50 ms", "p99 ms", "ttfb p99 ms", "direct p50", "direct p99", "added p50", "added p99"])
        for r in rates {
            func plan(_ base: String, key: String?) -> LoadGenerator.Plan {
                var p = LoadGenerator.Plan(baseURL: base, model: model, rate: r, durationSeconds: duration)
                p.streamShare = streamShare
                p.promptTokens = promptTokens
                p.outputTokens = outputTokens
                p.poissonSeed = seed
                p.apiKey = key
                return p
            }
            var direct: LoadGenerator.Result?
            if let base = self.direct { direct = try await LoadGenerator.run(plan(base, key: nil)) }
            let target = try await LoadGenerator.run(plan(url, key: apiKey))
            let row = Row(
                rate: r, target: target, direct: direct, addedP50Seconds: direct.map { target.latency.p50 - $0.latency.p50 },
                addedP99Seconds: direct.map { target.latency.p99 - $0.latency.p99 })
            rows.append(row)
            let failed = target.sent - target.succeeded
            table.add([
                fixed(r, 0), "\(target.succeeded)", "\(failed)", millis(target.latency.p50), millis(target.latency.p99),
                millis(target.timeToFirstByte.p99), direct.map { millis($0.latency.p50) } ?? "-", direct.map { millis($0.latency.p99) } ?? "-",
                row.addedP50Seconds.map { fixed($0 * 1000, 3) } ?? "-", row.addedP99Seconds.map { fixed($0 * 1000, 3) } ?? "-",
            ])
            if failed > 0 { writeToStandardError("rate \(fixed(r, 0)): failures by status: \(target.statuses)\n") }
        }
        print(table.render(), terminator: "")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try encoder.encode(rows).write(to: URL(fileURLWithPath: json)) } catch {
                throw SluiceError.io(path: json, reason: "cannot write: \(error.localizedDescription)")
            }
        }
    }
}

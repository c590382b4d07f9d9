import ArgumentParser
import SluiceCore
import SluiceSimulator

/// `sluice bench`: simulator speed on the reference workload.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure simulator speed: iterations/s and events/s on a reference workload (run in release).",
        discussion: """
            Default: the bundled one-hour Azure conversation trace (19,366 requests) replayed on \
            4 x llama-3.1-8b@h100-sxm with the vllm scheduler and round-robin routing. Reports the best of --repeat runs; \
            the trace is read inside the timed region. Process start is not included: time the whole command for that.
            """)

    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("Iteration scheduler.", valueName: "NAME"))
    var scheduler = "vllm"

    @Option(help: ArgumentHelp("Router.", valueName: "NAME"))
    var router = "round-robin"

    @Option(name: .customLong("repeat"), help: "Runs; the fastest is reported.")
    var repeatCount = 3

    @Flag(help: "Time only the scheduler's decision: --running decoding and --waiting queued requests, no simulation.")
    var decision = false

    @Option(help: "Running (decoding) requests for --decision.")
    var running = 128

    @Option(help: "Waiting requests for --decision.")
    var waiting = 1000

    @Option(help: "Iterations timed for --decision.")
    var iterations = 20_000

    @Option(
        help: ArgumentHelp(
            "Time only a request-level scheduler's decision (e.g. sa-slo) on queues of --queue lengths, no simulation.",
            valueName: "NAME"))
    var requestDecision: String?

    @Option(help: ArgumentHelp("Comma-separated queue lengths for --request-decision.", valueName: "LENGTHS"))
    var queue = "16,64,256"

    func run() throws {
        guard repeatCount > 0 else { throw SluiceError.invalidValue(field: "--repeat", value: "\(repeatCount)", allowed: "a positive count") }
        if decision { return try runDecision() }
        if let requestDecision { return try runRequestDecision(requestDecision) }
        var fleet = self.fleet
        fleet.defaultReplicas = Bench.referenceReplicas
        let catalog = try fleet.loadCatalog()
        let runner = try ExperimentRunner(workload: workload, fleet: fleet, catalog: catalog, showProgress: false, reproducible: false)
        var best: SimulationSummary?
        for i in 0..<repeatCount {
            let s = try runner.run(scheduler: scheduler, router: router)
            print("run \(i + 1): wall \(fixed(s.wallSeconds, 3)) s, \(s.iterations) iterations, \(s.events) events")
            if best == nil || s.wallSeconds < best!.wallSeconds { best = s }
        }
        guard let s = best else { return }
        let liveBytes = MemoryLayout<SequenceState>.stride + Bench.perLiveRequestOverheadBytes
        print("""

            workload     \(workload.describe()) on \(SummaryPrinter.describe(s.deployments)), \(scheduler)/\(router)
            requests     \(s.requests) (\(s.completed) completed, \(s.rejected) rejected), \(s.outputTokens) output tokens
            simulated    \(fixed(s.simulatedSeconds, 1)) s
            wall         \(fixed(s.wallSeconds, 3)) s (best of \(repeatCount))
            iterations   \(s.iterations)  -> \(fixed(Double(s.iterations) / s.wallSeconds / 1e6, 3)) M iterations/s
            events       \(s.events)  -> \(fixed(Double(s.events) / s.wallSeconds / 1e6, 3)) M events/s
            speed-up     \(fixed(s.simulatedSeconds / s.wallSeconds, 0)) x real time
            memory       \(liveBytes) bytes per live request (sequence state + slot bookkeeping)
            """)
    }

    private func runDecision() throws {
        guard running > 0, waiting >= 0, iterations > 0 else {
            throw SluiceError.invalidValue(
                field: "--running/--waiting/--iterations", value: "\(running)/\(waiting)/\(iterations)", allowed: "positive counts")
        }
        let catalog = try fleet.loadCatalog()
        let deployment = try fleet.deployments(catalog: catalog)[0]
        let bench = DecisionBenchmark(scheduler: scheduler, running: running, waiting: waiting, iterations: iterations)
        var best: DecisionBenchmark.Result?
        for _ in 0..<repeatCount {
            let r = try bench.run(deployment: deployment)
            if best == nil || r.seconds < best!.seconds { best = r }
        }
        guard let r = best else { return }
        print("scheduler    \(scheduler): \(running) running, \(waiting) waiting, \(iterations) iterations (best of \(repeatCount))")
        print("decision     \(fixed(r.microsecondsPerIteration, 2)) us per iteration, \(fixed(r.microsecondsPerScheduledRequest, 3)) us per scheduled request")
        print("scheduled    \(r.scheduledRequests / r.iterations) requests per iteration")
    }

    private func runRequestDecision(_ policy: String) throws {
        let lengths = try queue.split(separator: ",").map { part -> Int in
            guard let n = Int(String(part).trimmed(" ")), n >= 1 else {
                throw SluiceError.invalidValue(field: "--queue", value: String(part), allowed: "positive queue lengths, comma-separated")
            }
            return n
        }
        let catalog = try fleet.loadCatalog()
        let deployment = try fleet.deployments(catalog: catalog)[0]
        let bench = RequestDecisionBenchmark(policy: policy, options: try SchedulerOptions(parsing: fleet.requestOptions), decisions: iterations)
        var t = TextTable(["queue", "decisions", "p50 us", "p99 us", "moves/decision"])
        for n in lengths {
            var best: RequestDecisionBenchmark.Result?
            for _ in 0..<repeatCount {
                let r = try bench.run(queueLength: n, deployment: deployment)
                if best == nil || r.p99Microseconds < best!.p99Microseconds { best = r }
            }
            guard let r = best else { continue }
            t.add(["\(n)", "\(r.decisions)", fixed(r.p50Microseconds, 1), fixed(r.p99Microseconds, 1), fixed(r.evaluationsPerDecision, 0)])
        }
        print("request scheduler \(policy) on \(deployment.label), 128 requests in the engine (best of \(repeatCount))")
        print(t.render(), terminator: "")
    }

    /// Replicas of the reference benchmark.
    static let referenceReplicas = 4

    /// Bytes per live request besides its ``SequenceState``: true output length (8), one waiting-or-running
    /// slot entry (4), one batch-plan slot entry (4).
    static let perLiveRequestOverheadBytes = 16
}

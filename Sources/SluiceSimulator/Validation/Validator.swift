public import SluiceCore
public import SluiceEngineModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replays measured results through the simulator and compares (`sluice validate`).
///
/// A closed-loop row runs its concurrency as a closed loop of fixed-length requests, `requestsPerClient` per client,
/// and averages TTFT and TPOT over the steady state: the first request of every client (the initial burst, which
/// every client sends at once) is left out when later ones exist. A replay runs its requests at their recorded times,
/// or as the file says they were sent (closed loop, Poisson, burst), and compares request by request.
public struct Validator: Sendable {
    /// What a configuration runs on: the replica (deployment, scheduler, step model) and its step model's description.
    public typealias Configure = (_ run: MeasuredConcurrencyRun) throws(SluiceError) -> (replica: ReplicaSpec, stepModel: String)

    /// Requests each client sends in a closed-loop row.
    public var requestsPerClient: Int
    /// Fewest requests a closed-loop row runs (low concurrency needs a few more to reach a steady state).
    public var minimumRequests: Int
    /// Seed for the replay's random choices.
    public var seed: UInt64
    /// A closed-loop client's round trip: from a request's last token leaving the engine to its next request reaching
    /// the engine's scheduler (the HTTP response, the benchmark client, the next request's parsing and tokenization).
    /// It is why real closed loops stay in cohorts: requests that finish within a few decode steps of each other come
    /// back together when the round trip is longer than a step, and queue for prefill together. 0 sends the next
    /// request at the instant the last one ends, which staggers clients and understates TTFT under load.
    public var clientGapSeconds: Double = 0
    /// How round trips are drawn around ``clientGapSeconds``: fixed, or exponential with that mean (a benchmark
    /// client's own load makes its round trip vary, which breaks cohorts up over a few steps).
    public var clientGapDistribution: ThinkTimeDistribution = .fixed

    /// Defaults: 6 requests per client, at least 48 in all.
    public init(requestsPerClient: Int = 6, minimumRequests: Int = 48, seed: UInt64 = 0) {
        self.requestsPerClient = requestsPerClient
        self.minimumRequests = minimumRequests
        self.seed = seed
    }

    /// Simulates every closed-loop row. - Throws: ``SluiceError`` from `configure` or the simulation.
    public func validate(_ runs: [MeasuredConcurrencyRun], configure: Configure) throws(SluiceError) -> ValidationReport {
        var pairs: [ValidationPair] = []
        var stepModels: [String: String] = [:]
        for run in runs {
            let (replica, stepModel) = try configure(run)
            stepModels[run.group] = stepModel
            let count = max(run.concurrency * requestsPerClient, minimumRequests)
            let requests = (0..<count).map { Request(id: $0, arrivalSeconds: 0, promptTokens: run.inputTokens, outputTokens: run.outputTokens) }
            var simulation = Simulation(replicas: [replica], sloClasses: SLOClassTable([]), seed: seed)
            simulation.closedLoop = try ClosedLoopLoad(clients: run.concurrency, thinkSeconds: clientGapSeconds, thinkDistribution: clientGapDistribution)
            var source = ArrayRequestSource(requests)
            var sink = CollectingOutcomeSink()
            _ = try simulation.run(&source, outcomes: &sink)
            let completed = sink.outcomes.filter { $0.status == .completed }
            let steady = completed.filter { $0.requestID >= run.concurrency }
            let used = steady.isEmpty ? completed : steady
            guard !used.isEmpty else {
                throw .invalidValue(field: run.label, value: "no request completed", allowed: "a configuration whose requests fit the replica")
            }
            let n = Double(used.count)
            pairs.append(ValidationPair(
                label: run.label, group: run.group,
                measuredTTFT: run.ttftSeconds, simulatedTTFT: used.reduce(0) { $0 + $1.ttftSeconds } / n,
                measuredTPOT: run.tpotSeconds, simulatedTPOT: used.reduce(0) { $0 + $1.tpotSeconds } / n,
                measuredE2E: run.e2eSeconds, simulatedE2E: used.reduce(0) { $0 + $1.e2eSeconds } / n))
        }
        return ValidationReport(pairs: pairs, stepModels: stepModels)
    }

    /// Replays measured requests on `replica` and compares request by request. - Throws: ``SluiceError`` from the
    /// simulation.
    public func validate(_ replay: MeasuredReplay, replica: ReplicaSpec, stepModel: String, group: String) throws(SluiceError) -> ValidationReport {
        var requests: [Request] = []
        var rng = SplitMix64.stream(seed: seed, label: 0x7A11)
        var t = 0.0
        for (i, m) in replay.requests.enumerated() {
            var arrival = 0.0
            switch replay.load {
            case .recorded: arrival = m.arrivalSeconds ?? 0
            case .poisson(let rate):
                t += -log(1 - rng.nextUnit()) / rate  // exponential inter-arrival
                arrival = t
            case .closedLoop, .burst: arrival = 0
            }
            requests.append(Request(id: i, arrivalSeconds: arrival, promptTokens: m.inputTokens, outputTokens: m.outputTokens, prefixBlockHashes: m.prefixHashes))
        }
        if case .recorded = replay.load { requests.sort { ($0.arrivalSeconds, $0.id) < ($1.arrivalSeconds, $1.id) } }
        var simulation = Simulation(replicas: [replica], sloClasses: SLOClassTable([]), seed: seed)
        if case .closedLoop(let n) = replay.load {
            simulation.closedLoop = try ClosedLoopLoad(clients: n, thinkSeconds: clientGapSeconds, thinkDistribution: clientGapDistribution)
        }
        var source = ArrayRequestSource(requests)
        var sink = CollectingOutcomeSink()
        _ = try simulation.run(&source, outcomes: &sink)
        var byID: [Int: RequestOutcome] = [:]
        for o in sink.outcomes where o.status == .completed { byID[o.requestID] = o }
        var pairs: [ValidationPair] = []
        for (i, m) in replay.requests.enumerated() {
            guard let o = byID[i] else { continue }
            pairs.append(ValidationPair(
                label: m.label, group: group, measuredTTFT: m.ttftSeconds, simulatedTTFT: o.ttftSeconds,
                measuredTPOT: m.tpotSeconds, simulatedTPOT: o.tpotSeconds, measuredE2E: m.e2eSeconds, simulatedE2E: o.e2eSeconds))
        }
        return ValidationReport(pairs: pairs, stepModels: [group: stepModel])
    }

}


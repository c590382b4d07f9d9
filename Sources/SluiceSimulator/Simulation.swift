public import SluiceCore
public import SluiceEngineModel
import DequeModule
import HeapModule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One simulation: a fleet of replicas, a router and the SLO classes; ``run(_:outcomes:progress:)`` replays
/// a request stream through it.
///
/// The event loop keeps one total order: events are keyed by (time, kind, sequence number), an iteration end
/// sorting before an arrival at the same instant; arrivals are pulled from the source one at a time, so memory
/// is bounded by live requests. The same inputs and seed give the same outputs, bit for bit.
public struct Simulation: Sendable {
    /// The replicas.
    public var replicas: [ReplicaSpec]
    /// The router's registered name.
    public var router: String
    /// The SLO classes requests are judged against.
    public var sloClasses: SLOClassTable
    /// Seed for every random choice in the run (the router's, the noisy predictor's).
    public var seed: UInt64
    /// Output-length predictor for schedulers that use one (`online`, `oracle`, `noisy-oracle`).
    public var predictor: String = "online"
    /// Mean absolute error of the `noisy-oracle` predictor, tokens.
    public var predictorMeanAbsoluteErrorTokens: Double = 0
    /// Request-level scheduler ordering a queue in front of each engine (``RequestPolicyRegistry``); `nil`: none.
    public var requestScheduler: String?
    /// Overrides of the request-level scheduler's parameters (`--request-option`).
    public var requestSchedulerOptions = SchedulerOptions()
    /// Measure the wall-clock time of every request-level decision (the result's ``SimulationResult/requestDecisionTimes``).
    public var timeRequestDecisions = false
    /// Autoscaler sizing each pool (``AutoscalerRegistry``); `nil`: a static fleet, every replica warm throughout.
    public var autoscaler: String?
    /// Overrides of the autoscaler's parameters.
    public var autoscalerOptions = SchedulerOptions()
    /// Replicas each pool keeps provisioned whatever its autoscaler says.
    public var minReplicas = 0
    /// Budgets by tenant (a request's tenant is its `tenant`, else its SLO class's name).
    public var budgets: [String: TenantBudget] = [:]
    /// Physical GPUs by type name: replicas are then placed in GPU memory regions (several may share a GPU, and
    /// fragmentation can refuse a cold start), each GPU is billed while it hosts a replica, and replicas sharing a GPU
    /// slow each other down. `nil`: every replica has its GPUs to itself.
    public var gpuInventory: [String: Int]?
    /// Prompt tokens per prefix-cache block hash (512 for Mooncake `hash_ids`, 16 for vLLM-style block hashing).
    public var prefixBlockTokens = PrefixCache.defaultTokensPerHash

    /// Creates a simulation.
    public init(replicas: [ReplicaSpec], router: String = "round-robin", sloClasses: SLOClassTable, seed: UInt64 = 0) {
        self.replicas = replicas
        self.router = router
        self.sloClasses = sloClasses
        self.seed = seed
    }

    /// Progress reported while running: requests arrived so far and simulated seconds.
    public typealias Progress = (_ arrived: Int, _ simulatedSeconds: Double) -> Void

    /// Events between progress callbacks.
    public static let progressInterval = 1 << 16

    /// Closed-loop load (`nil`: open loop, requests arrive at their trace times).
    public var closedLoop: ClosedLoopLoad?

    /// Runs the requests of `source` to completion.
    /// - Parameters:
    ///   - source: requests in arrival order (with ``closedLoop`` their arrival times are ignored: each client sends
    ///     the next request when its previous one ends, plus the think time).
    ///   - outcomes: receives each request's outcome as it ends.
    ///   - progress: called every ``progressInterval`` events.
    /// - Returns: the run's result.
    /// - Throws: ``SluiceError`` for a bad configuration, malformed input or a failing sink.
    public func run<Source: RequestSource, Sink: RequestOutcomeSink>(
        _ source: inout Source, outcomes: inout Sink, progress: Progress? = nil
    ) throws(SluiceError) -> SimulationResult {
        let wallStart = monotonicSeconds()
        let run = try SimulationRun(self, source: source, sink: outcomes, progress: progress)
        defer {
            // The run holds the values it was given, as existentials: they are of these types by construction.
            if let s = run.source as? Source { source = s }
            if let o = run.sink as? Sink { outcomes = o }
        }
        try run.execute()
        return run.result(wallSeconds: monotonicSeconds() - wallStart)
    }
}


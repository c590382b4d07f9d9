/// What a router may observe of the fleet: one entry per replica, by index.
///
/// The simulator implements it over its replicas; a gateway implements it over its backends.
public protocol FleetView {
    /// Number of replicas.
    var replicaCount: Int { get }
    /// Requests queued or running on a replica.
    func outstandingRequests(replica: Int) -> Int
    /// Tokens a replica holds or must still process: Σ over its live requests of prompt + generated tokens.
    func outstandingTokens(replica: Int) -> Int
    /// The replica's price, USD per hour.
    func pricePerHourUSD(replica: Int) -> Double
    /// The replica's load as the latency predictor reads it (`nil`: unknown).
    func instanceLoad(replica: Int) -> InstanceLoad?
    /// The replica's latency predictor (`nil`: unknown).
    func latencyPredictor(replica: Int) -> LatencyPredictor?
    /// The request's predicted output length, tokens (`nil`: no predictor).
    func predictedOutputTokens(_ request: RequestInfo) -> Double?
    /// The SLO targets of the request's class.
    func sloTargets(_ request: RequestInfo) -> SLOTargets
    /// Prompt tokens of the request being routed that the replica has in its prefix cache.
    func cachedPrefixTokens(replica: Int, request: RequestInfo) -> Int
    /// The replica's price per token when it is billed by the token (a hosted API), USD per million input and output
    /// tokens (`nil`: billed by the hour, ``pricePerHourUSD(replica:)``).
    func tokenPricesUSDPerMillion(replica: Int) -> (input: Double, output: Double)?
}

extension FleetView {
    /// Default: free.
    public func pricePerHourUSD(replica: Int) -> Double { 0 }
    /// Default: unknown.
    public func instanceLoad(replica: Int) -> InstanceLoad? { nil }
    /// Default: unknown.
    public func latencyPredictor(replica: Int) -> LatencyPredictor? { nil }
    /// Default: no predictor.
    public func predictedOutputTokens(_ request: RequestInfo) -> Double? { nil }
    /// Default: no targets.
    public func sloTargets(_ request: RequestInfo) -> SLOTargets { SLOTargets() }
    /// Default: nothing cached.
    public func cachedPrefixTokens(replica: Int, request: RequestInfo) -> Int { 0 }
    /// Default: billed by the hour.
    public func tokenPricesUSDPerMillion(replica: Int) -> (input: Double, output: Double)? { nil }
}

/// Picks the replica for each arriving request (once per request; no migration).
///
/// Routers see ``RequestInfo`` (no true output length) and a ``FleetView``; they must be deterministic given
/// their seed.
public protocol Router: Sendable {
    /// Registered name (`round-robin`, ...).
    var name: String { get }
    /// The replica index in `0..<fleet.replicaCount` for `request`.
    mutating func route(_ request: RequestInfo, fleet: some FleetView) -> Int
}

/// Cycles through replicas in order (Vidur's default global scheduler).
public struct RoundRobinRouter: Router {
    private var next = 0
    /// Creates the router.
    public init() {}
    /// `round-robin`.
    public var name: String { "round-robin" }
    /// The next replica in turn.
    public mutating func route(_ request: RequestInfo, fleet: some FleetView) -> Int {
        defer { next += 1 }
        return next % fleet.replicaCount
    }
}

/// A uniformly random replica from a seeded generator.
public struct RandomRouter: Router {
    private var rng: SplitMix64
    /// Creates the router with a seed.
    public init(seed: UInt64) { rng = SplitMix64.stream(seed: seed, label: 0x726F_7574) }
    /// `random`.
    public var name: String { "random" }
    /// A random replica.
    public mutating func route(_ request: RequestInfo, fleet: some FleetView) -> Int {
        Int(rng.next() % UInt64(fleet.replicaCount))
    }
}

/// The replica with the fewest queued plus running requests (Vidur's `lor`); ties go to the lowest index.
public struct LeastOutstandingRouter: Router {
    /// Creates the router.
    public init() {}
    /// `least-outstanding`.
    public var name: String { "least-outstanding" }
    /// The least-loaded replica by request count.
    public func route(_ request: RequestInfo, fleet: some FleetView) -> Int {
        leastLoaded(fleet) { fleet.outstandingRequests(replica: $0) }
    }
}

/// The replica with the fewest outstanding tokens (prompt still to prefill plus context held); ties go to
/// the lowest index.
public struct LeastWorkRouter: Router {
    /// Creates the router.
    public init() {}
    /// `least-work`.
    public var name: String { "least-work" }
    /// The least-loaded replica by tokens.
    public func route(_ request: RequestInfo, fleet: some FleetView) -> Int {
        leastLoaded(fleet) { fleet.outstandingTokens(replica: $0) }
    }
}

/// The replica with the smallest `load`; ties go to the lowest index.
func leastLoaded(_ fleet: some FleetView, load: (Int) -> Int) -> Int {
    var best = 0
    var bestLoad = Int.max
    for r in 0..<fleet.replicaCount {
        let l = load(r)
        if l < bestLoad { (best, bestLoad) = (r, l) }
    }
    return best
}

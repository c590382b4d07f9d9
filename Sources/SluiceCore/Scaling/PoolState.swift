/// What an autoscaler observes of one pool of identical replicas at a decision epoch.
public struct PoolState: Sendable, Hashable {
    /// Decision time, seconds.
    public var nowSeconds: Double
    /// Pool name.
    public var pool: String
    /// Replicas by state.
    public var warm: Int
    /// Replicas loading.
    public var loading: Int
    /// Replicas draining.
    public var draining: Int
    /// Largest number of replicas the pool may have (warm + loading).
    public var maxReplicas: Int
    /// Smallest number it keeps warm or loading.
    public var minReplicas: Int
    /// Requests in the pool's engines (running or waiting) plus those waiting for a replica.
    public var inFlightRequests: Int
    /// Requests waiting for a warm replica (none was available when they arrived).
    public var pendingRequests: Int
    /// Arrivals per second to the pool, exponentially weighted.
    public var arrivalRatePerSecond: Double
    /// Coefficient of variation of recent inter-arrival times (burstiness; 1 for Poisson).
    public var arrivalCV: Double
    /// Mean KV-cache use of warm replicas, 0...1.
    public var kvUtilization: Double
    /// Share of requests completed since the last epoch that met their SLO (`nil` when none completed).
    public var recentSLOAttainment: Double?
    /// Seconds since the pool last had a request in flight (0 while busy).
    public var idleSeconds: Double
    /// Seconds a replica takes to become warm.
    public var coldStartSeconds: Double
    /// Price of one replica, USD per hour.
    public var pricePerHourUSD: Double
    /// Tokens one replica's KV cache holds.
    public var kvCapacityTokens = 0
    /// Mean prompt length of recent arrivals, tokens.
    public var meanPromptTokens = 0.0
    /// Mean predicted output length of recent arrivals, tokens (0 without a predictor).
    public var meanPredictedOutputTokens = 0.0
    /// Share of prompt tokens found in the pool's prefix caches so far.
    public var prefixHitRatio = 0.0
    /// Free-memory fragmentation of the pool's GPU type (1 − largest free region / free memory; 0 without an inventory).
    public var fragmentation = 0.0
    /// Cold starts refused because no GPU region was large enough (since the run began).
    public var placementFailures = 0

    /// Creates a snapshot.
    public init(
        nowSeconds: Double, pool: String, warm: Int, loading: Int, draining: Int, maxReplicas: Int, minReplicas: Int, inFlightRequests: Int,
        pendingRequests: Int, arrivalRatePerSecond: Double, arrivalCV: Double, kvUtilization: Double, recentSLOAttainment: Double?,
        idleSeconds: Double, coldStartSeconds: Double, pricePerHourUSD: Double
    ) {
        self.nowSeconds = nowSeconds
        self.pool = pool
        self.warm = warm
        self.loading = loading
        self.draining = draining
        self.maxReplicas = maxReplicas
        self.minReplicas = minReplicas
        self.inFlightRequests = inFlightRequests
        self.pendingRequests = pendingRequests
        self.arrivalRatePerSecond = arrivalRatePerSecond
        self.arrivalCV = arrivalCV
        self.kvUtilization = kvUtilization
        self.recentSLOAttainment = recentSLOAttainment
        self.idleSeconds = idleSeconds
        self.coldStartSeconds = coldStartSeconds
        self.pricePerHourUSD = pricePerHourUSD
    }

    /// Replicas provisioned or being provisioned (warm + loading).
    public var provisioned: Int { warm + loading }
}

/// Cost and SLO attainment per tenant and per upstream over a time window, from the ledger (`sluice usage`).
public struct UsageReport: Sendable, Hashable, Codable {
    /// One group (a tenant, or an upstream).
    public struct Row: Sendable, Hashable, Codable {
        /// Tenant or upstream name; `(none)` for requests without a tenant, `(gateway)` for those no upstream answered.
        public var key: String
        /// Requests.
        public var requests: Int
        /// Requests answered with a status of 400 or more.
        public var failed: Int
        /// Prompt tokens.
        public var promptTokens: Int
        /// Output tokens.
        public var completionTokens: Int
        /// Actual cost, USD.
        public var costUSD: Double
        /// Predicted cost of the requests that had a prediction, USD.
        public var predictedCostUSD: Double
        /// Actual cost of the same requests, USD (the fair comparison for `predictedCostUSD`).
        public var predictedRequestsCostUSD: Double
        /// Requests that carried SLO targets.
        public var sloRequests: Int
        /// Of those, the ones that met them.
        public var sloMet: Int
        /// Mean end-to-end seconds.
        public var meanE2ESeconds: Double

        /// Share of requests with targets that met them (`nil`: none had targets).
        public var sloAttainment: Double? { sloRequests == 0 ? nil : Double(sloMet) / Double(sloRequests) }
        /// Predicted over actual cost for the requests that had a prediction (`nil`: none, or nothing cost anything).
        public var predictedOverActual: Double? {
            predictedRequestsCostUSD > 0 ? predictedCostUSD / predictedRequestsCostUSD : nil
        }

        /// Creates a row.
        public init(
            key: String, requests: Int, failed: Int, promptTokens: Int, completionTokens: Int, costUSD: Double, predictedCostUSD: Double,
            predictedRequestsCostUSD: Double, sloRequests: Int, sloMet: Int, meanE2ESeconds: Double
        ) {
            self.key = key
            self.requests = requests
            self.failed = failed
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.costUSD = costUSD
            self.predictedCostUSD = predictedCostUSD
            self.predictedRequestsCostUSD = predictedRequestsCostUSD
            self.sloRequests = sloRequests
            self.sloMet = sloMet
            self.meanE2ESeconds = meanE2ESeconds
        }
    }

    /// Window start, seconds since 1970.
    public var fromUnixSeconds: Double
    /// Window end (exclusive), seconds since 1970.
    public var toUnixSeconds: Double
    /// By tenant, sorted by name.
    public var byTenant: [Row]
    /// By upstream, sorted by name.
    public var byUpstream: [Row]

    /// Creates a report.
    public init(fromUnixSeconds: Double, toUnixSeconds: Double, byTenant: [Row], byUpstream: [Row]) {
        self.fromUnixSeconds = fromUnixSeconds
        self.toUnixSeconds = toUnixSeconds
        self.byTenant = byTenant
        self.byUpstream = byUpstream
    }

    /// The aggregation both stores run, grouped by `column` (`tenant` or `upstream`); binds: from, to.
    static func groupedSQL(by column: String, missing: String, placeholders: (String, String)) -> String {
        """
        SELECT COALESCE(\(column), '\(missing)') AS k, COUNT(*), \
        COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0), \
        COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), \
        COALESCE(SUM(cost_usd), 0), COALESCE(SUM(predicted_cost_usd), 0), \
        COALESCE(SUM(CASE WHEN predicted_cost_usd IS NULL THEN 0 ELSE cost_usd END), 0), \
        COALESCE(SUM(CASE WHEN slo_met IS NULL THEN 0 ELSE 1 END), 0), \
        COALESCE(SUM(CASE WHEN slo_met THEN 1 ELSE 0 END), 0), \
        COALESCE(AVG(e2e_seconds), 0) \
        FROM ledger WHERE finished_at >= \(placeholders.0) AND finished_at < \(placeholders.1) \
        GROUP BY k ORDER BY k
        """
    }
}

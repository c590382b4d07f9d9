/// The budget decision the simulator and the gateway share (issue 15): which replicas to try reserving a request's
/// worst case on, in order. First the chosen one; when the tenant's budget says `downgrade`, then the cheapest
/// candidate (by price per output token, the least loaded among equals). The caller reserves on each in turn and
/// stops at the first that fits; none fitting is a refusal. Settling to what was used, and refunding a request that
/// was never served, are ``BudgetLedger/settle(tenant:period:reservedUSD:reservedTokens:usd:tokens:)``.
public enum BudgetAdmission: Sendable {
    /// A replica a request could be reserved on.
    public struct Candidate: Sendable, Hashable {
        /// The caller's index for it.
        public var index: Int
        /// Its price per output token, USD (what `downgrade` compares).
        public var usdPerOutputToken: Double
        /// Requests on it now (the tie-break).
        public var load: Int

        public init(index: Int, usdPerOutputToken: Double, load: Int) {
            self.index = index
            self.usdPerOutputToken = usdPerOutputToken
            self.load = load
        }
    }

    /// Where to try reserving, in order: `chosen`, then (for `downgrade`) the cheapest of `candidates` if it differs.
    public static func attempts(chosen: Candidate, candidates: [Candidate], overflow: TenantBudget.Overflow) -> [Candidate] {
        guard overflow == .downgrade, let cheapest = cheapest(candidates), cheapest.index != chosen.index else { return [chosen] }
        return [chosen, cheapest]
    }

    /// The cheapest candidate by price per output token, the least loaded among equals.
    public static func cheapest(_ candidates: [Candidate]) -> Candidate? {
        candidates.min { ($0.usdPerOutputToken, $0.load) < ($1.usdPerOutputToken, $1.load) }
    }
}

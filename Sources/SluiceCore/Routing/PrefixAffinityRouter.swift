/// `prefix-affinity`: send a request where its prompt's prefix is already cached, unless that replica is too busy —
/// the prefix-cache scorer plus load scorer of llm-d's inference scheduler and Dynamo's KV-aware router (PEERS.md).
///
/// Score of a replica = cached prompt tokens − `loadWeight` × outstanding tokens; the highest wins (ties: the lowest
/// index). With `loadWeight` 1 a cached token, which saves one prefill token, is worth one token of work queued ahead;
/// without any cached prefix the rule is `least-work`.
public struct PrefixAffinityRouter: Router {
    /// Weight of a replica's outstanding tokens against cached prompt tokens.
    public var loadWeight: Double

    /// Creates the router.
    public init(loadWeight: Double = 1) { self.loadWeight = loadWeight }

    /// `prefix-affinity`.
    public var name: String { "prefix-affinity" }

    /// The best-scoring replica.
    public func route(_ request: RequestInfo, fleet: some FleetView) -> Int {
        var best = 0
        var bestScore = -Double.infinity
        for r in 0..<fleet.replicaCount {
            let score = Double(fleet.cachedPrefixTokens(replica: r, request: request)) - loadWeight * Double(fleet.outstandingTokens(replica: r))
            if score > bestScore {
                best = r
                bestScore = score
            }
        }
        return best
    }
}

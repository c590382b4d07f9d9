/// The routers users pick by name (`--router NAME`).
public enum RouterRegistry: Sendable {
    /// Names with one-line descriptions, in `--help` order.
    public static let entries: [(name: String, summary: String)] = [
        ("round-robin", "each replica in turn"),
        ("random", "a uniformly random replica (seeded)"),
        ("least-outstanding", "fewest queued + running requests"),
        ("least-work", "fewest outstanding tokens (prompt + generated of live requests)"),
        ("prefix-affinity", "the replica maximising cached prompt tokens minus outstanding tokens (prefix-cache scorer + load scorer)"),
        ("cost-aware", "the cheapest replica whose predicted TTFT/TPOT/E2E meets the request's SLO with 20 % to spare, else the fastest"),
    ]

    /// Registered names.
    public static var names: [String] { entries.map(\.name) }

    /// A fresh router called `name`. - Throws: ``SluiceError`` listing the valid names.
    public static func make(named name: String, seed: UInt64) throws(SluiceError) -> any Router {
        switch name.lowercased() {
        case "round-robin": return RoundRobinRouter()
        case "random": return RandomRouter(seed: seed)
        case "least-outstanding": return LeastOutstandingRouter()
        case "least-work": return LeastWorkRouter()
        case "cost-aware": return CostAwareRouter()
        case "prefix-affinity": return PrefixAffinityRouter()
        default: throw .unknownName(kind: "router", name: name, valid: names)
        }
    }
}

public import SluiceCore

/// A service-level target a fleet must hold, e.g. `p50(ttft)<=0.5 and p99(tbt)<=0.2`.
///
/// Grammar: clauses joined by `and`; a clause is `STAT(METRIC) OP SECONDS` with STAT in `mean, p50, p90, p99,
/// max`, METRIC in `ttft, tbt, tpot, e2e, queueing`, OP in `<=, <`; or `slo >= SHARE` (SLO attainment, a fraction or
/// a percentage such as `90%`); or `rejected <= COUNT`.
public struct CapacityTarget: Sendable, Hashable, CustomStringConvertible {
    /// One clause.
    public enum Clause: Sendable, Hashable {
        /// A latency statistic at most a bound (seconds); `strict` for `<`.
        case latency(statistic: String, metric: String, bound: Double, strict: Bool)
        /// SLO attainment at least a share.
        case attainment(atLeast: Double)
        /// Rejected requests at most a count.
        case rejected(atMost: Int)
    }

    /// The clauses, all of which must hold.
    public let clauses: [Clause]
    /// The text the target was parsed from.
    public let description: String

    static let statistics = ["mean", "p50", "p90", "p99", "max"]
    static let metrics = ["ttft", "tbt", "tpot", "e2e", "queueing"]

    /// Parses a target. - Throws: ``SluiceError`` naming the clause and what is allowed.
    public init(parsing text: String) throws(SluiceError) {
        description = text
        var out: [Clause] = []
        let allowed = "STAT(METRIC)<=SECONDS with STAT in \(Self.statistics.joined(separator: "|")) and METRIC in "
            + "\(Self.metrics.joined(separator: "|")), 'slo>=SHARE' or 'rejected<=COUNT', joined by 'and'"
        for raw in text.lowercased().split(separator: " and ") {
            let clause = raw.filter { $0 != " " }
            if clause.hasPrefix("slo>=") || clause.hasPrefix("attainment>=") {
                let v = String(clause.split(separator: "=", maxSplits: 1)[1])
                let share = v.hasSuffix("%") ? Double(v.dropLast()).map { $0 / 100 } : Double(v)
                guard let share, share >= 0, share <= 1 else {
                    throw .invalidValue(field: "--target clause '\(raw)'", value: v, allowed: "a share in [0,1] or a percentage")
                }
                out.append(.attainment(atLeast: share))
                continue
            }
            if clause.hasPrefix("rejected<=") {
                guard let n = Int(clause.dropFirst("rejected<=".count)), n >= 0 else {
                    throw .invalidValue(field: "--target clause '\(raw)'", value: clause, allowed: "rejected<=COUNT")
                }
                out.append(.rejected(atMost: n))
                continue
            }
            guard let open = clause.firstIndex(of: "("), let close = clause.firstIndex(of: ")"), open < close else {
                throw .invalidValue(field: "--target clause", value: String(raw), allowed: allowed)
            }
            let stat = String(clause[..<open])
            let metric = String(clause[clause.index(after: open)..<close])
            var rest = clause[clause.index(after: close)...]
            let strict: Bool
            if rest.hasPrefix("<=") { strict = false; rest = rest.dropFirst(2) } else if rest.hasPrefix("<") { strict = true; rest = rest.dropFirst() } else {
                throw .invalidValue(field: "--target clause '\(raw)'", value: String(rest), allowed: "an operator <= or <")
            }
            var number = rest
            var scale = 1.0
            if number.hasSuffix("ms") { number = number.dropLast(2); scale = 1e-3 } else if number.hasSuffix("s") { number = number.dropLast() }
            guard Self.statistics.contains(stat) || stat == "median" else {
                throw .unknownName(kind: "statistic", name: stat, valid: Self.statistics)
            }
            guard Self.metrics.contains(metric) else { throw .unknownName(kind: "metric", name: metric, valid: Self.metrics) }
            guard let bound = Double(number), bound > 0 else {
                throw .invalidValue(field: "--target clause '\(raw)'", value: String(rest), allowed: "a positive number of seconds (or NNNms)")
            }
            out.append(.latency(statistic: stat == "median" ? "p50" : stat, metric: metric, bound: bound * scale, strict: strict))
        }
        guard !out.isEmpty else { throw .invalidValue(field: "--target", value: text, allowed: allowed) }
        clauses = out
    }

    /// Whether a run's summary meets every clause.
    public func isMet(by s: SimulationSummary) -> Bool {
        clauses.allSatisfy { c in
            switch c {
            case .latency(let stat, let metric, let bound, let strict):
                guard let v = s.value(statistic: stat, metric: metric) else { return false }
                return strict ? v < bound : v <= bound
            case .attainment(let share): return s.sloAttainment >= share
            case .rejected(let n): return s.rejected <= n
            }
        }
    }
}

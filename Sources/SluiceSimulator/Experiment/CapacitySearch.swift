public import SluiceCore

/// Finds the highest request rate at which a ``CapacityTarget`` holds: a geometric sweep upward from a start
/// rate until the target fails (or the ceiling is reached; downward if the start rate already fails), then bisection between the last passing and the
/// first failing rate until they are within a relative tolerance.
///
/// Assumes the target is monotone in load (it holds below capacity and fails above), as the SLAI paper's
/// capacity search does; every evaluated point is kept so the caller can print the curve.
public struct CapacitySearch: Sendable {
    /// One evaluated rate.
    public struct Point: Sendable {
        /// Arrival rate, requests/s.
        public var rate: Double
        /// The run's summary.
        public var summary: SimulationSummary
        /// Whether the target held.
        public var meetsTarget: Bool
    }

    /// First rate tried, requests/s.
    public var startRate: Double
    /// Highest rate tried, requests/s.
    public var maxRate: Double
    /// Factor between sweep points before the first failure.
    public var growth: Double
    /// Stop bisecting when (fail − pass)/pass is below this.
    public var relativeTolerance: Double
    /// Cap on evaluated points.
    public var maxEvaluations: Int

    /// Creates a search. - Throws: ``SluiceError`` when the bounds make no sense.
    public init(startRate: Double, maxRate: Double, growth: Double = 2, relativeTolerance: Double = 0.02, maxEvaluations: Int = 24) throws(SluiceError) {
        guard startRate > 0 else { throw .invalidValue(field: "--min-rate", value: "\(startRate)", allowed: "a positive rate") }
        guard maxRate >= startRate else { throw .invalidValue(field: "--max-rate", value: "\(maxRate)", allowed: "at least --min-rate (\(startRate))") }
        guard growth > 1 else { throw .invalidValue(field: "growth", value: "\(growth)", allowed: "> 1") }
        guard relativeTolerance > 0 else { throw .invalidValue(field: "--tolerance", value: "\(relativeTolerance)", allowed: "> 0") }
        self.startRate = startRate
        self.maxRate = maxRate
        self.growth = growth
        self.relativeTolerance = relativeTolerance
        self.maxEvaluations = maxEvaluations
    }

    /// Runs the search; `evaluate` simulates one rate.
    /// - Returns: the highest passing rate (`nil` if even the start rate fails) and every point, sorted by rate.
    public func run(
        target: CapacityTarget, evaluate: (Double) throws(SluiceError) -> SimulationSummary
    ) throws(SluiceError) -> (capacity: Double?, points: [Point]) {
        var points: [Point] = []
        func probe(_ rate: Double) throws(SluiceError) -> Bool {
            let s = try evaluate(rate)
            let ok = target.isMet(by: s)
            points.append(Point(rate: rate, summary: s, meetsTarget: ok))
            return ok
        }
        var pass: Double?
        var fail: Double?
        var rate = startRate
        while points.count < maxEvaluations {
            if try probe(rate) {
                pass = rate
                if rate >= maxRate { break }
                rate = min(rate * growth, maxRate)
            } else {
                fail = rate
                break
            }
        }
        if pass == nil, var down = fail {
            // Even the start rate fails: sweep downward until a rate passes.
            while points.count < maxEvaluations {
                down /= growth
                if try probe(down) {
                    pass = down
                    break
                }
                fail = down
            }
        }
        if var lo = pass, var hi = fail {
            while points.count < maxEvaluations && (hi - lo) / lo > relativeTolerance {
                let mid = (lo + hi) / 2
                if try probe(mid) { lo = mid } else { hi = mid }
            }
            pass = lo
        }
        return (pass, points.sorted { $0.rate < $1.rate })
    }
}

public import SluiceCore

/// Chooses what shapes latency under load and no concurrency-1 row can show: the engine's per-iteration token budget
/// (how many waiting prompts one step may prefill), the closed-loop client round trip (``Validator/clientGapSeconds``:
/// whether finished clients come back as a cohort) and the engine's host-side cost per running sequence per step
/// (`RooflineParameters.perSequenceOverheadSeconds`: sampling, detokenizing and streaming each token, which grows
/// with the batch and is invisible at batch 1).
///
/// Every grid point is simulated for every configuration group; the choice for a group is made on the *other* groups
/// (leave one group out), by the mean of the TTFT, TPOT and E2E median APEs over their pooled rows, and the group is
/// judged at that choice. The held-out pairs are therefore never the ones a choice was made on.
public struct ServingGrid: Sendable {
    /// One candidate setting.
    public struct Point: Sendable, Hashable, Codable {
        public var tokenBudget: Int
        public var clientGapSeconds: Double
        public var clientGapDistribution: ThinkTimeDistribution
        public var perSequenceOverheadSeconds: Double
        public init(
            tokenBudget: Int, clientGapSeconds: Double, clientGapDistribution: ThinkTimeDistribution = .fixed,
            perSequenceOverheadSeconds: Double
        ) {
            self.tokenBudget = tokenBudget
            self.clientGapSeconds = clientGapSeconds
            self.clientGapDistribution = clientGapDistribution
            self.perSequenceOverheadSeconds = perSequenceOverheadSeconds
        }
    }

    /// Every simulated grid point by group, and the leave-one-group-out choices.
    public struct Results: Sendable {
        /// `pairs[point][group]`: the group's rows simulated at the point.
        public var pairs: [Point: [String: [ValidationPair]]]
        /// The point chosen for each group on the other groups.
        public var choice: [String: Point]
        /// The point chosen on every group (what a calibration fitted on all the data uses).
        public var chosenOnAll: Point
        /// Each group's rows at its held-out choice.
        public var heldOutPairs: [ValidationPair]
    }

    /// Token budgets tried: TensorRT-LLM's build default (8192) up to a budget no measured cohort exceeds.
    public var tokenBudgets: [Int]
    /// Client round trips tried, seconds: none, and the few milliseconds an HTTP benchmark client takes.
    public var clientGapsSeconds: [Double]
    /// How round trips are drawn around each nonzero gap: fixed (cohorts stay together), exponential (they spread).
    public var clientGapDistributions: [ThinkTimeDistribution]
    /// Host-side costs per sequence per step tried, seconds: 25 µs (a C++ front end; the roofline default of 5 µs was
    /// never chosen) up to a Python front end's.
    public var perSequenceOverheadsSeconds: [Double]

    public init(
        tokenBudgets: [Int] = [8192, 32768, 65536], clientGapsSeconds: [Double] = [0, 0.005],
        clientGapDistributions: [ThinkTimeDistribution] = [.fixed, .exponential],
        perSequenceOverheadsSeconds: [Double] = [25e-6, 50e-6, 75e-6, 100e-6]
    ) {
        self.tokenBudgets = tokenBudgets
        self.clientGapsSeconds = clientGapsSeconds
        self.clientGapDistributions = clientGapDistributions
        self.perSequenceOverheadsSeconds = perSequenceOverheadsSeconds
    }

    /// All grid points, budget-major (a zero gap once: its distributions coincide).
    public var points: [Point] {
        tokenBudgets.flatMap { b in
            clientGapsSeconds.flatMap { g in
                (g == 0 ? Array(clientGapDistributions.prefix(1)) : clientGapDistributions).flatMap { d in
                    perSequenceOverheadsSeconds.map {
                        Point(tokenBudget: b, clientGapSeconds: g, clientGapDistribution: d, perSequenceOverheadSeconds: $0)
                    }
                }
            }
        }
    }

    /// Simulates every group at every point (`simulate(point, group)` returns the group's pairs) and makes the
    /// leave-one-group-out choices. - Throws: ``SluiceError`` from `simulate`, or when fewer than two groups are given.
    public func evaluate(
        groups: [String], simulate: (Point, String) throws(SluiceError) -> [ValidationPair]
    ) throws(SluiceError) -> Results {
        guard groups.count >= 2 else {
            throw .invalidValue(field: "groups", value: "\(groups.count)", allowed: "at least 2 (choices are made leave one group out)")
        }
        var pairs: [Point: [String: [ValidationPair]]] = [:]
        for p in points {
            for g in groups { pairs[p, default: [:]][g] = try simulate(p, g) }
        }
        func best(on chosen: [String]) -> Point {
            points.min { a, b in
                Self.objective(chosen.flatMap { pairs[a]![$0]! }) < Self.objective(chosen.flatMap { pairs[b]![$0]! })
            }!
        }
        var choice: [String: Point] = [:]
        var heldOut: [ValidationPair] = []
        for g in groups {
            let point = best(on: groups.filter { $0 != g })
            choice[g] = point
            heldOut += pairs[point]![g]!
        }
        return Results(pairs: pairs, choice: choice, chosenOnAll: best(on: groups), heldOutPairs: heldOut)
    }

    /// Mean of the TTFT, TPOT and E2E median APEs of `pairs`.
    public static func objective(_ pairs: [ValidationPair]) -> Double {
        let r = ValidationReport(pairs: pairs, stepModels: [:])
        return (r.ttft.medianAPE + r.tpot.medianAPE + r.e2e.medianAPE) / 3
    }
}

public import SluiceCore

/// Chooses what shapes latency under load and no concurrency-1 row can show: the engine's per-iteration token budget
/// (how many waiting prompts one step may prefill), the closed-loop client round trip (``Validator/clientGapSeconds``:
/// whether finished clients come back as a cohort) and the engine's host-side cost per running sequence per step
/// (`RooflineParameters.perSequenceOverheadSeconds`: sampling, detokenizing and streaming each token, which grows
/// with the batch and is invisible at batch 1) and how fast the engine's decode kernel reads a batch's KV cache
/// relative to the base engine's kernel calibration (`RooflineParameters.kvBandwidthEfficiency` times a scale: at
/// concurrency 1 the KV reads of one sequence are a few per cent of a step, so only the loaded rows with long contexts
/// show it; NIM's 7,000-token rows at concurrency 5-50 decode 15-25 % slower than the vLLM kernel tables predict).
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
        /// Multiplies the kernel calibration's `kvBandwidthEfficiency` (1: the base engine's decode kernel).
        public var kvBandwidthScale: Double
        public init(
            tokenBudget: Int, clientGapSeconds: Double, clientGapDistribution: ThinkTimeDistribution = .fixed,
            perSequenceOverheadSeconds: Double, kvBandwidthScale: Double = 1
        ) {
            self.tokenBudget = tokenBudget
            self.clientGapSeconds = clientGapSeconds
            self.clientGapDistribution = clientGapDistribution
            self.perSequenceOverheadSeconds = perSequenceOverheadSeconds
            self.kvBandwidthScale = kvBandwidthScale
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

    /// Token budgets tried. TensorRT-LLM's build default (8192) and 65536 were never chosen on the NIM rows (every
    /// held-out choice was 32768 when they were in the grid), so the default grid tries 16384 and 32768 (with the KV
    /// scale in the grid every held-out choice is 16384).
    public var tokenBudgets: [Int]
    /// Client round trips tried, seconds: none, and the few milliseconds an HTTP benchmark client takes.
    public var clientGapsSeconds: [Double]
    /// How round trips are drawn around each nonzero gap: fixed (cohorts stay together), exponential (they spread).
    public var clientGapDistributions: [ThinkTimeDistribution]
    /// Host-side costs per sequence per step tried, seconds: 50 µs up to a Python front end's (25 µs and the roofline
    /// default of 5 µs were never chosen).
    public var perSequenceOverheadsSeconds: [Double]
    /// Scales of the kernel calibration's KV-read efficiency tried: 1 (the base engine's kernel) down to 0.65.
    public var kvBandwidthScales: [Double]

    public init(
        tokenBudgets: [Int] = [16384, 32768], clientGapsSeconds: [Double] = [0, 0.005],
        clientGapDistributions: [ThinkTimeDistribution] = [.fixed, .exponential],
        perSequenceOverheadsSeconds: [Double] = [50e-6, 75e-6, 100e-6], kvBandwidthScales: [Double] = [1, 0.8, 0.65]
    ) {
        self.tokenBudgets = tokenBudgets
        self.clientGapsSeconds = clientGapsSeconds
        self.clientGapDistributions = clientGapDistributions
        self.perSequenceOverheadsSeconds = perSequenceOverheadsSeconds
        self.kvBandwidthScales = kvBandwidthScales
    }

    /// All grid points, budget-major (a zero gap once: its distributions coincide).
    public var points: [Point] {
        tokenBudgets.flatMap { b in
            clientGapsSeconds.flatMap { g in
                (g == 0 ? Array(clientGapDistributions.prefix(1)) : clientGapDistributions).flatMap { d in
                    perSequenceOverheadsSeconds.flatMap { o in
                        kvBandwidthScales.map {
                            Point(tokenBudget: b, clientGapSeconds: g, clientGapDistribution: d, perSequenceOverheadSeconds: o, kvBandwidthScale: $0)
                        }
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

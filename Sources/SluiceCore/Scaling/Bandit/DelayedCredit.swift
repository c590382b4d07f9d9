/// Credit for scaling decisions whose effects outlive the decision epoch (issue 16): a semi-Markov view in which the
/// arm chosen for segment k is judged by what happens over its effect horizon, not in segment k alone.
///
/// A replica started now is billed through its cold start and serves (or idles) until a later keep-alive releases it;
/// a replica released now makes requests queue a cold start later. So the return of segment k is the discounted mean
/// of the segment rewards that follow it over `horizonSegments` (the n-step return of SMDP Q-learning, Bradtke & Duff,
/// "Reinforcement Learning Methods for Continuous-Time Markov Decision Problems", NIPS'94; Sutton, Precup & Singh,
/// "Between MDPs and semi-MDPs", AIJ 1999):
///
///     G_k = Σ_{j=k}^{k+H-1} γ^{j-k} r_j / Σ_{j=k}^{k+H-1} γ^{j-k},   r_j = a_j − λ·c_j,
///
/// where `a_j` is the SLO attainment of the requests that *arrived* in segment j (credited when they finish, so a
/// segment settles `outcomeLagSegments` after its horizon closes; 1 when none arrived) and `c_j` the GPU time billed
/// during segment j (replicas warm, loading or draining, integrated over the segment) as a share of the pool's maximum.
/// DeepServe++ gives no detail of its credit assignment; this is Sluice's.
///
/// Invariants: segments are opened in increasing order; a settled segment is never returned twice; memory is bounded by
/// `horizonSegments + outcomeLagSegments + 1` open segments.
public struct DelayedCreditLedger: Sendable {
    /// One decision segment and what happened in it.
    public struct Segment: Sendable, Hashable {
        /// Its index (time / segment length).
        public var index: Int
        /// The context the arm was chosen in.
        public var context: [Double]
        /// The arm chosen.
        public var arm: Int
        /// Requests that arrived in it and have finished.
        public var finished = 0
        /// Of those, the ones that met their SLO.
        public var met = 0
        /// GPU time billed during it, as a share of the pool's maximum over the segment.
        public var costShare = 0.0

        /// The segment's own reward `a − λ·c`.
        public func reward(costWeight: Double) -> Double {
            let attainment = finished > 0 ? Double(met) / Double(finished) : 1
            return attainment - costWeight * costShare
        }
    }

    /// A decision whose horizon has closed, with its return.
    public struct Settled: Sendable, Hashable {
        /// The segment's index.
        public var index: Int
        /// The context its arm was chosen in.
        public var context: [Double]
        /// The arm chosen.
        public var arm: Int
        /// `G_k` above.
        public var value: Double
        /// The segment's own reward (what per-epoch credit would have used).
        public var immediate: Double
    }

    /// Segments over which a decision's effect is credited (≥ 1; 1 is per-epoch credit).
    public let horizonSegments: Int
    /// Segments to wait after the horizon for its requests to finish (≥ 0).
    public let outcomeLagSegments: Int
    /// γ per segment, in (0, 1].
    public let discount: Double
    private var open: [Segment] = []

    /// Creates a ledger. - Precondition: `horizonSegments ≥ 1`, `outcomeLagSegments ≥ 0`, `discount` in (0, 1].
    public init(horizonSegments: Int, outcomeLagSegments: Int, discount: Double) {
        precondition(horizonSegments >= 1 && outcomeLagSegments >= 0 && discount > 0 && discount <= 1)
        self.horizonSegments = horizonSegments
        self.outcomeLagSegments = outcomeLagSegments
        self.discount = discount
    }

    /// Starts segment `index` with the arm chosen for it.
    public mutating func open(index: Int, context: [Double], arm: Int) {
        open.append(Segment(index: index, context: context, arm: arm))
    }

    /// Adds billed GPU time to the newest segment.
    public mutating func bill(costShare: Double) {
        guard !open.isEmpty else { return }
        open[open.count - 1].costShare += costShare
    }

    /// Credits a finished request to the segment it arrived in (ignored when that segment has settled).
    public mutating func observe(arrivedInSegment index: Int, sloMet: Bool) {
        guard let i = open.lastIndex(where: { $0.index == index }) else { return }
        open[i].finished += 1
        if sloMet { open[i].met += 1 }
    }

    /// The decisions whose horizon and outcome lag have passed by segment `current`, oldest first, with their returns
    /// at cost weight `costWeight`; they leave the ledger.
    public mutating func settle(current: Int, costWeight: Double) -> [Settled] {
        var out: [Settled] = []
        while let first = open.first, first.index + horizonSegments + outcomeLagSegments <= current {
            var total = 0.0
            var weights = 0.0
            var w = 1.0
            for s in open where s.index < first.index + horizonSegments {
                total += w * s.reward(costWeight: costWeight)
                weights += w
                w *= discount
            }
            out.append(Settled(index: first.index, context: first.context, arm: first.arm, value: total / weights, immediate: first.reward(costWeight: costWeight)))
            open.removeFirst()
        }
        return out
    }
}

/// Quality of plan (CATP-LLM's metric, `src/metrics/evaluator.py`; ALGORITHMS.md §4.3):
/// `QoP = α · norm(score) − (1 − α) · norm(cost)`, both normalised by their ranges; an invalid plan scores
/// ``invalidScore`` at cost ``invalidCost``. α trades quality for cost (1: quality only, 0: cost only).
public struct QoP: Sendable, Hashable {
    /// Weight of the score.
    public var alpha: Double
    /// Score range.
    public var minScore: Double, maxScore: Double
    /// Cost range, USD (upstream: 0 to 0.5669, the largest plan price it saw).
    public var minCost: Double, maxCost: Double
    /// What an invalid plan gets.
    public var invalidScore: Double, invalidCost: Double

    /// Creates the metric.
    public init(alpha: Double, minScore: Double, maxScore: Double, minCost: Double, maxCost: Double, invalidScore: Double, invalidCost: Double) {
        self.alpha = alpha
        self.minScore = minScore
        self.maxScore = maxScore
        self.minCost = minCost
        self.maxCost = maxCost
        self.invalidScore = invalidScore
        self.invalidCost = invalidCost
    }

    /// QoP of a plan with `score` and `costUSD` (not clipped, as upstream).
    public func value(score: Double, costUSD: Double) -> Double {
        alpha * (score - minScore) / (maxScore - minScore) - (1 - alpha) * (costUSD - minCost) / (maxCost - minCost)
    }

    /// QoP of an invalid plan.
    public var invalidValue: Double { value(score: invalidScore, costUSD: invalidCost) }
}

import SluiceCore
import SluiceEngineModel

/// What a report draws of a run beyond its summary: the TTFT and TBT distributions (values at a fixed grid of
/// percentiles, enough for a CDF) and the fleet's GPU busy share and KV-cache use over time (means over replicas,
/// per bucket of ``UtilisationTimeline``).
public struct RunDistributions: Sendable, Hashable, Codable {
    /// The percentile grid (0…100).
    public var percentiles: [Double]
    /// TTFT at each percentile, seconds.
    public var ttftSeconds: [Double]
    /// TBT at each percentile, seconds.
    public var tbtSeconds: [Double]
    /// Width of a timeline bucket, seconds.
    public var bucketSeconds: Double
    /// Mean GPU busy share over every replica of the run (an elastic fleet's replicas count as idle before they are
    /// provisioned), per bucket (0…1).
    public var gpuBusyShare: [Double]
    /// Mean KV-cache use of the replicas, per bucket (0…1).
    public var kvShare: [Double]

    /// TTFT and TBT of one SLO class at each percentile of the grid, seconds.
    public struct ClassDistribution: Sendable, Hashable, Codable {
        /// TTFT at each percentile, seconds.
        public var ttftSeconds: [Double]
        /// TBT at each percentile, seconds.
        public var tbtSeconds: [Double]
    }

    /// Per SLO class, keyed by class name; absent when the run has a single class (the overall figures are its).
    public var perClass: [String: ClassDistribution]?

    /// Percentiles drawn: dense in the tail, where SLOs live.
    public static let percentileGrid: [Double] = [0, 0.5, 1, 2.5] + stride(from: 5.0, through: 95, by: 5).map { $0 }
        + [97.5, 98, 99, 99.5, 99.9, 100]

    /// The distributions of `result`.
    public init(_ result: SimulationResult) {
        percentiles = Self.percentileGrid
        ttftSeconds = result.metrics.overall.ttft.percentiles(Self.percentileGrid)
        tbtSeconds = result.metrics.overall.tbt.percentiles(Self.percentileGrid)
        if result.metrics.perClass.count > 1 {
            var classes: [String: ClassDistribution] = [:]
            for (i, g) in result.metrics.perClass.enumerated() where i < result.sloClasses.count {
                classes[result.sloClasses[i].name] = ClassDistribution(
                    ttftSeconds: g.ttft.percentiles(Self.percentileGrid), tbtSeconds: g.tbt.percentiles(Self.percentileGrid))
            }
            perClass = classes
        }
        let timelines = result.replicas.compactMap(\.timeline)
        let width = timelines.map(\.bucketSeconds).max() ?? UtilisationTimeline.initialBucketSeconds
        bucketSeconds = width
        let same = timelines.filter { $0.bucketSeconds == width }
        let buckets = same.map(\.busySeconds.count).max() ?? 0
        var busy = [Double](repeating: 0, count: buckets), kv = [Double](repeating: 0, count: buckets)
        for t in same {
            for (b, p) in t.points.enumerated() {
                busy[b] += p.busyShare / Double(same.count)
                kv[b] += p.kvShare / Double(same.count)
            }
        }
        gpuBusyShare = busy
        kvShare = kv
    }
}

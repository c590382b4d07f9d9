/// GPU busy time and KV-cache use of one replica over simulated time, in equal buckets — what a report draws as
/// "utilisation and KV use over time".
///
/// Invariants: at most ``maxBuckets`` buckets (when a run outgrows them, pairs merge and the width doubles, so memory
/// stays fixed whatever the span); `busySeconds[b] ≤ bucketSeconds`; Σ `busySeconds` equals the busy time added.
/// Recording allocates nothing once the buckets are reserved (done at creation), so the event loop stays
/// allocation-free.
public struct UtilisationTimeline: Sendable, Hashable, Codable {
    /// Width of a bucket, seconds.
    public private(set) var bucketSeconds: Double
    /// Seconds with an iteration in flight, per bucket.
    public private(set) var busySeconds: [Double] = []
    /// Used KV blocks integrated over time (block-seconds), per bucket.
    public private(set) var kvBlockSeconds: [Double] = []
    /// KV blocks of the replica (to turn block-seconds into a share).
    public let kvBlocks: Int
    /// End of the run (set by ``finish(at:)``), seconds; the last bucket's shares are over the part before it.
    public private(set) var endSeconds: Double?
    private var kvUsedBlocks = 0
    private var kvSinceSeconds = 0.0

    /// Most buckets kept.
    public static let maxBuckets = 256
    /// Width of a bucket at the start of a run, seconds.
    public static let initialBucketSeconds = 1.0

    /// Creates an empty timeline.
    public init(kvBlocks: Int, bucketSeconds: Double = UtilisationTimeline.initialBucketSeconds) {
        self.kvBlocks = kvBlocks
        self.bucketSeconds = bucketSeconds
        busySeconds.reserveCapacity(Self.maxBuckets)
        kvBlockSeconds.reserveCapacity(Self.maxBuckets)
    }

    /// Adds busy time `[from, to)`.
    public mutating func addBusy(from: Double, to: Double) {
        spread(from: from, to: to) { timeline, bucket, seconds in timeline.busySeconds[bucket] += seconds }
    }

    /// The replica holds `usedBlocks` from `now` on (the previous level is integrated up to `now`).
    public mutating func setKVUsed(_ usedBlocks: Int, at now: Double) {
        if kvUsedBlocks > 0, now > kvSinceSeconds {
            let level = Double(kvUsedBlocks)
            spread(from: kvSinceSeconds, to: now) { timeline, bucket, seconds in timeline.kvBlockSeconds[bucket] += level * seconds }
        }
        kvUsedBlocks = usedBlocks
        kvSinceSeconds = now
    }

    /// Closes the run at `end`: integrates the last KV level and extends the buckets to `end`.
    public mutating func finish(at end: Double) {
        setKVUsed(kvUsedBlocks, at: end)
        let last = max(0, end - 1e-9)
        spread(from: last, to: last) { _, _, _ in }
        endSeconds = end
    }

    /// Each bucket's start (seconds), busy share (0…1) and KV share (0…1).
    public var points: [(startSeconds: Double, busyShare: Double, kvShare: Double)] {
        busySeconds.indices.map { b in
            let start = Double(b) * bucketSeconds
            let covered = (endSeconds ?? .infinity) - start
            let width = covered > 0 ? min(bucketSeconds, covered) : bucketSeconds
            return (start, min(1, busySeconds[b] / width), kvBlocks > 0 ? min(1, kvBlockSeconds[b] / (width * Double(kvBlocks))) : 0)
        }
    }

    /// Calls `add` with each bucket's share of `[from, to)`, growing (and if need be coarsening) the buckets.
    private mutating func spread(from: Double, to: Double, _ add: (inout UtilisationTimeline, Int, Double) -> Void) {
        var start = max(0, from)
        repeat {
            var bucket = Int(start / bucketSeconds)
            while bucket >= Self.maxBuckets {
                coarsen()
                bucket = Int(start / bucketSeconds)
            }
            while busySeconds.count <= bucket {
                busySeconds.append(0)
                kvBlockSeconds.append(0)
            }
            let bucketEnd = Double(bucket + 1) * bucketSeconds
            let end = min(to, bucketEnd)
            if end > start { add(&self, bucket, end - start) }
            start = max(end, start)
            if end >= to { break }
            start = bucketEnd
        } while start < to
    }

    /// Merges pairs of buckets and doubles the width.
    private mutating func coarsen() {
        let n = (busySeconds.count + 1) / 2
        for i in 0..<n {
            let j = 2 * i
            busySeconds[i] = busySeconds[j] + (j + 1 < busySeconds.count ? busySeconds[j + 1] : 0)
            kvBlockSeconds[i] = kvBlockSeconds[j] + (j + 1 < kvBlockSeconds.count ? kvBlockSeconds[j + 1] : 0)
        }
        busySeconds.removeLast(busySeconds.count - n)
        kvBlockSeconds.removeLast(kvBlockSeconds.count - n)
        bucketSeconds *= 2
    }
}

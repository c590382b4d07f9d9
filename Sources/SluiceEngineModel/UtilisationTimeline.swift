/// GPU busy time and KV-cache use of one replica over simulated time, in equal buckets — what a report draws as
/// "utilisation and KV use over time".
///
/// KV use is integrated over iterations: the blocks held while an iteration runs, times its duration. Between
/// iterations a replica is idle only when nothing runs, and then no sequence holds blocks.
///
/// The arrays are complete once ``finish(at:)`` has been called (until then the current bucket's share is pending).
///
/// Invariants: at most ``maxBuckets`` buckets (when a run outgrows them, pairs merge and the width doubles, so memory
/// stays fixed whatever the span); Σ `busySeconds` equals the busy time added. Recording allocates nothing once the
/// buckets are reserved (done at creation) and costs two comparisons when the iteration falls in the current bucket,
/// so the event loop stays allocation-free and fast.
public struct UtilisationTimeline: Sendable, Hashable, Codable {
    /// Width of a bucket, seconds.
    public private(set) var bucketSeconds: Double
    /// Seconds with an iteration in flight, per bucket.
    public private(set) var busySeconds: [Double] = []
    /// KV blocks held by running iterations integrated over time (block-seconds), per bucket.
    public private(set) var kvBlockSeconds: [Double] = []
    /// KV blocks of the replica (to turn block-seconds into a share).
    public let kvBlocks: Int
    /// End of the run (set by ``finish(at:)``), seconds; the last bucket's shares are over the part before it.
    public private(set) var endSeconds: Double?
    // The bucket the last record fell in (-1: none yet), with its bounds and what it has gathered since it was last
    // written to the arrays: the fast path touches only these.
    private var currentBucket = -1
    private var currentStartSeconds = 0.0, currentEndSeconds = 0.0
    private var pendingBusySeconds = 0.0, pendingKVBlockSeconds = 0.0

    /// Most buckets kept.
    public static let maxBuckets = 256
    /// Width of a bucket at the start of a run, seconds.
    public static let initialBucketSeconds = 1.0

    /// Creates an empty timeline; a width that is not positive and finite is replaced by ``initialBucketSeconds``.
    public init(kvBlocks: Int, bucketSeconds: Double = UtilisationTimeline.initialBucketSeconds) {
        self.kvBlocks = kvBlocks
        self.bucketSeconds = bucketSeconds > 0 && bucketSeconds.isFinite ? bucketSeconds : Self.initialBucketSeconds
        busySeconds.reserveCapacity(Self.maxBuckets)
        kvBlockSeconds.reserveCapacity(Self.maxBuckets)
    }

    /// Records an iteration from `from` to `to` holding `usedBlocks` KV blocks.
    public mutating func addIteration(from: Double, to: Double, usedBlocks: Int) {
        guard to > from, from.isFinite, to.isFinite else { return }
        let level = Double(usedBlocks)
        if from >= currentStartSeconds, to <= currentEndSeconds, currentBucket >= 0 {
            pendingBusySeconds += to - from
            pendingKVBlockSeconds += level * (to - from)
            return
        }
        var start = max(0, from)
        while start < to {
            _ = index(containing: start)
            let end = min(to, currentEndSeconds)
            pendingBusySeconds += end - start
            pendingKVBlockSeconds += level * (end - start)
            start = max(currentEndSeconds, start.nextUp)  // always moves on, whatever the rounding
        }
    }

    /// Writes the current bucket's pending share to the arrays.
    private mutating func flush() {
        guard currentBucket >= 0 else { return }
        busySeconds[currentBucket] += pendingBusySeconds
        kvBlockSeconds[currentBucket] += pendingKVBlockSeconds
        pendingBusySeconds = 0
        pendingKVBlockSeconds = 0
    }

    /// Closes the run at `end`, extending the buckets to it.
    public mutating func finish(at end: Double) {
        guard end.isFinite else { return }
        _ = index(containing: max(0, end.nextDown))
        flush()
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

    /// The bucket holding time `t`, created (and the buckets coarsened) as needed; it becomes the current bucket.
    private mutating func index(containing t: Double) -> Int {
        flush()
        // Coarsen before converting, so the index always fits an Int.
        while t / bucketSeconds >= Double(Self.maxBuckets) { coarsen() }
        var bucket = Int(t / bucketSeconds)
        // t / width can round just below a bucket's start; keep t inside [start, end).
        if Double(bucket + 1) * bucketSeconds <= t, bucket + 1 < Self.maxBuckets { bucket += 1 }
        while busySeconds.count <= bucket {
            busySeconds.append(0)
            kvBlockSeconds.append(0)
        }
        currentBucket = bucket
        currentStartSeconds = Double(bucket) * bucketSeconds
        currentEndSeconds = Double(bucket + 1) * bucketSeconds
        return bucket
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
        currentBucket = -1
        currentStartSeconds = 0
        currentEndSeconds = 0
    }
}

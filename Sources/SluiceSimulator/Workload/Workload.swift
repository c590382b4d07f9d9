public import SluiceCore

/// What a workload is made of: a trace, an arrival process, SLO classes, a size and a seed.
public struct WorkloadConfig: Sendable, Hashable {
    /// The trace file.
    public var tracePath: String
    /// Its format (`nil`: detected).
    public var format: TraceFormat?
    /// How arrivals are produced (`nil`: replay for timestamped traces; an error otherwise).
    public var arrival: ArrivalSpec?
    /// Use only the first N rows.
    public var requestLimit: Int?
    /// Seed of the arrival and SLO-class draws.
    public var seed: UInt64
    /// The SLO classes requests are assigned to.
    public var sloClasses: SLOClassTable

    /// Creates a config.
    public init(tracePath: String, format: TraceFormat? = nil, arrival: ArrivalSpec? = nil, requestLimit: Int? = nil, seed: UInt64 = 0, sloClasses: SLOClassTable = SLOClassTable([])) {
        self.tracePath = tracePath
        self.format = format
        self.arrival = arrival
        self.requestLimit = requestLimit
        self.seed = seed
        self.sloClasses = sloClasses
    }
}

/// A stream of ``Request``s built from a trace: lengths from the file, arrivals replayed, time-scaled or generated,
/// SLO classes from the trace or drawn by share. Rows are read one at a time, so memory does not depend on the
/// trace's size (time-scaling reads the file twice instead of holding it).
///
/// Rows must be in time order; a timestamp earlier than the previous row's is moved up to it (a replayed trace is
/// never reordered).
public struct Workload: RequestSource {
    private var reader: any TraceReader
    private let config: WorkloadConfig
    private var nextID = 0
    private var clock = 0.0
    private var lastArrival = 0.0
    private var generator: InterArrivalGenerator?
    private var timeScale = 1.0
    private var classRNG: SplitMix64
    private let cumulativeShares: [Double]

    /// Stream labels of the seeded generators.
    private static let arrivalStream: UInt64 = 1
    private static let sloStream: UInt64 = 2

    /// Opens the trace and sets up the arrival process.
    /// - Throws: ``SluiceError`` for an unreadable or malformed trace or an arrival process it cannot support.
    public init(config: WorkloadConfig) throws(SluiceError) {
        self.config = config
        let format: TraceFormat
        if let f = config.format { format = f } else { format = try TraceFormat.detect(path: config.tracePath) }
        reader = try openTrace(path: config.tracePath, format: format)
        classRNG = SplitMix64.stream(seed: config.seed, label: Self.sloStream)
        var running = 0.0
        cumulativeShares = config.sloClasses.classes.map { running += $0.share; return running }
        let arrivalRNG = SplitMix64.stream(seed: config.seed, label: Self.arrivalStream)
        var timed = false
        if format.hasTimestamps { timed = try TraceSummary.firstRowHasTimestamp(path: config.tracePath, format: format) }
        switch config.arrival {
        case nil, .replay?:
            guard timed else {
                throw .invalidValue(
                    field: "--rate", value: "(missing)",
                    allowed: "a rate: \(config.tracePath) has no timestamps, so arrivals are generated (--rate R, optionally --arrival gamma --cv C)")
            }
        case .replayScaled(let rate)?:
            if timed {
                let summary = try TraceSummary(path: config.tracePath, format: format, limit: config.requestLimit)
                guard summary.spanSeconds > 0 && summary.rows > 1 else {
                    throw .invalidValue(field: "--rate", value: "\(rate)", allowed: "no time-scaling: the trace's rows all arrive at once")
                }
                timeScale = summary.meanRate / rate
            } else {
                generator = InterArrivalGenerator(poissonRate: rate, rng: arrivalRNG)
            }
        case .poisson(let rate)?:
            generator = InterArrivalGenerator(poissonRate: rate, rng: arrivalRNG)
        case .gamma(let rate, let cv)?:
            generator = InterArrivalGenerator(gammaRate: rate, cv: cv, rng: arrivalRNG)
        }
    }

    /// The next request.
    public mutating func next() throws(SluiceError) -> Request? {
        if let limit = config.requestLimit, nextID >= limit { return nil }
        guard let row = try reader.next() else { return nil }
        let arrival: Double
        if generator != nil {
            // The first request arrives at time 0; each later one after a drawn gap.
            if nextID > 0 { clock += generator!.next() }
            arrival = clock
        } else {
            guard let t = row.arrivalSeconds else {
                throw .malformed(file: reader.path, line: row.line, field: "timestamp", reason: "missing, while earlier rows have one")
            }
            arrival = max(t * timeScale, lastArrival)
        }
        lastArrival = arrival
        let sloClass: Int
        if let name = row.sloClassName {
            guard let index = config.sloClasses.index(named: name) else {
                throw .malformed(
                    file: reader.path, line: row.line, field: "slo_class",
                    reason: "unknown class '\(name)'; known classes: \(config.sloClasses.classes.map(\.name).joined(separator: ", ")) (define more with --slo)")
            }
            sloClass = index
        } else if cumulativeShares.count > 1 {
            let u = classRNG.nextUnit() * (cumulativeShares.last ?? 1)
            sloClass = cumulativeShares.firstIndex { u < $0 } ?? cumulativeShares.count - 1
        } else {
            sloClass = 0
        }
        defer { nextID += 1 }
        return Request(
            id: nextID, arrivalSeconds: arrival, promptTokens: row.promptTokens, outputTokens: row.outputTokens,
            tenant: row.tenant, sloClass: sloClass, priority: row.priority ?? 0, prefixBlockHashes: row.prefixBlockHashes, model: row.model)
    }
}

/// A workload owns open files; it is used from one task only.
@available(*, unavailable)
extension Workload: Sendable {}

/// One streaming pass over a trace: row count and time span (for time-scaling and reports).
public struct TraceSummary: Sendable, Hashable {
    /// Rows read (at most the limit).
    public var rows = 0
    /// Seconds from the first to the last row's timestamp.
    public var spanSeconds = 0.0
    /// Σ prompt tokens.
    public var promptTokens = 0
    /// Σ output tokens.
    public var outputTokens = 0

    /// Mean arrival rate, requests/s: (rows − 1) / span.
    public var meanRate: Double { spanSeconds > 0 ? Double(rows - 1) / spanSeconds : 0 }

    /// Reads the trace once. - Throws: ``SluiceError`` for unreadable or malformed input.
    public init(path: String, format: TraceFormat? = nil, limit: Int? = nil) throws(SluiceError) {
        var reader = try openTrace(path: path, format: format)
        var last = 0.0
        while limit.map({ rows < $0 }) ?? true, let row = try reader.next() {
            rows += 1
            promptTokens += row.promptTokens
            outputTokens += row.outputTokens
            if let t = row.arrivalSeconds { last = max(last, t) }
        }
        spanSeconds = last
    }

    /// Whether the first row of the trace carries a timestamp.
    static func firstRowHasTimestamp(path: String, format: TraceFormat) throws(SluiceError) -> Bool {
        var reader = try openTrace(path: path, format: format)
        return try reader.next()?.arrivalSeconds != nil
    }
}

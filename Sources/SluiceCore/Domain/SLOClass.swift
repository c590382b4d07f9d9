/// Latency targets of one SLO class; any target may be absent (`nil` = not constrained).
///
/// How a request is judged (``SLOTargets/isMet(ttftSeconds:maxGapSeconds:tpotSeconds:e2eSeconds:)``):
/// TTFT and end-to-end against their targets; `tbtSeconds` against the request's *largest* inter-token gap
/// (stalls while deferred or preempted included, as a user sees them); `tpotSeconds` against the mean time per
/// output token after the first.
public struct SLOTargets: Sendable, Hashable, Codable {
    /// Time to first token, seconds.
    public var ttftSeconds: Double?
    /// Largest allowed gap between two consecutive output tokens, seconds.
    public var tbtSeconds: Double?
    /// Mean time per output token after the first, seconds.
    public var tpotSeconds: Double?
    /// End-to-end deadline from arrival to last token, seconds.
    public var e2eSeconds: Double?

    /// Creates targets.
    public init(ttftSeconds: Double? = nil, tbtSeconds: Double? = nil, tpotSeconds: Double? = nil, e2eSeconds: Double? = nil) {
        self.ttftSeconds = ttftSeconds
        self.tbtSeconds = tbtSeconds
        self.tpotSeconds = tpotSeconds
        self.e2eSeconds = e2eSeconds
    }

    /// Whether a finished request met every target that is set.
    public func isMet(ttftSeconds ttft: Double, maxGapSeconds: Double, tpotSeconds tpot: Double, e2eSeconds e2e: Double) -> Bool {
        if let t = ttftSeconds, ttft > t { return false }
        if let t = tbtSeconds, maxGapSeconds > t { return false }
        if let t = tpotSeconds, tpot > t { return false }
        if let t = e2eSeconds, e2e > t { return false }
        return true
    }
}

/// A named SLO class with the share of requests that a rule assigns to it.
public struct SLOClass: Sendable, Hashable, Codable {
    /// Class name as it appears in reports and traces (`slo_class`).
    public var name: String
    /// The class's latency targets.
    public var targets: SLOTargets
    /// Share of requests assigned to the class when a trace does not say (0...1; shares in a table sum to 1).
    public var share: Double

    /// Creates a class.
    public init(name: String, targets: SLOTargets, share: Double = 1) {
        self.name = name
        self.targets = targets
        self.share = share
    }
}

/// The SLO classes of a run. Invariant: at least one class; indices are stable for the run.
public struct SLOClassTable: Sendable, Hashable {
    /// The classes, indexed by ``Request/sloClass``.
    public private(set) var classes: [SLOClass]

    /// Creates a table; an empty list becomes the single default class.
    public init(_ classes: [SLOClass]) {
        self.classes = classes.isEmpty ? [SLOClassTable.defaultClass] : classes
    }

    /// The class used when none is configured: interactive chat, TTFT 1 s and no token gap over 0.2 s.
    public static let defaultClass = SLOClass(
        name: "default", targets: SLOTargets(ttftSeconds: 1.0, tbtSeconds: 0.2), share: 1)

    /// Number of classes.
    public var count: Int { classes.count }

    /// The class at `index`.
    public subscript(index: Int) -> SLOClass { classes[index] }

    /// Index of the class called `name`, if any.
    public func index(named name: String) -> Int? { classes.firstIndex { $0.name == name } }
}

import SluiceCore

/// The gateway's waiting room as a value: which requests wait for an upstream slot, in which priority band, until
/// when, and which one a freed slot goes to. It takes `now` and events (a request arrives to wait, a slot frees, time
/// passes, a client hangs up) and returns decisions (queued or refused, the waiter to grant, the waiters to expire,
/// when to wake next), in the style of swift-nio's state machines; ``UpstreamPool`` only resumes the waiting requests
/// and owns one timer. No sockets, no clock, no tasks: tested as is.
///
/// Rules: bands are served strictly in order (high, then normal, then low); within the best band a waiter goes by the
/// configured ordering (`fcfs`, `edf`, `sjf`, `priority`: SluiceCore's ``OrderingPolicy``), or by a chooser (the
/// `sa-slo` policy); a band over its length limit refuses; a waiter past its deadline expires.
/// Invariant: `countByBand[b]` is the number of entries in band `b`.
struct WaitQueue: Sendable {
    /// One waiting request.
    struct Entry: Sendable {
        var id: Int
        var model: String
        /// Upstreams it must not go to (tried already, or not where its budget was reserved).
        var excluded: Set<Int>
        var order: QueuedRequest
        var expectedOutputTokens: Int?
        var band: GatewayConfig.PriorityBand
        var hints: UpstreamPool.RoutingHints
        /// When it gives up, seconds on the gateway's monotonic clock.
        var deadlineSeconds: Double
    }

    /// The configured order within a band.
    let ordering: OrderingPolicy.Rule
    private(set) var entries: [Entry] = []
    private(set) var countByBand: [GatewayConfig.PriorityBand: Int] = [:]
    private var nextID = 0

    init(ordering: OrderingPolicy.Rule) { self.ordering = ordering }

    /// Waiting requests.
    var count: Int { entries.count }

    /// Waiting requests of `model`.
    func waiting(model: String) -> Int { entries.reduce(0) { $0 + ($1.model == model ? 1 : 0) } }

    /// Whether waiter `id` is still waiting.
    func contains(_ id: Int) -> Bool { entries.contains { $0.id == id } }

    /// The earliest deadline, when the queue's timer should next fire (`nil`: nobody waits).
    var earliestDeadlineSeconds: Double? { entries.lazy.map(\.deadlineSeconds).min() }

    /// A request asks to wait in `band` (at most `maxLength` there) until `now + maxWaitSeconds`.
    /// - Returns: its waiter id, or `nil` when the band is full.
    mutating func enqueue(
        model: String, excluded: Set<Int>, order: QueuedRequest, expectedOutputTokens: Int?, band: GatewayConfig.PriorityBand,
        hints: UpstreamPool.RoutingHints, maxLength: Int, maxWaitSeconds: Double, now: Double
    ) -> Int? {
        guard countByBand[band, default: 0] < maxLength else { return nil }
        let id = nextID
        nextID += 1
        entries.append(Entry(
            id: id, model: model, excluded: excluded, order: order, expectedOutputTokens: expectedOutputTokens, band: band, hints: hints,
            deadlineSeconds: now + maxWaitSeconds))
        countByBand[band, default: 0] += 1
        return id
    }

    /// Upstream `upstream` serving `model` has a free slot: the waiter it takes (removed from the queue), if any.
    /// `choose` orders the candidates itself when given (`sa-slo`): it gets them with `handle` = their position and
    /// returns the position of the one to grant, or `nil` to grant none now (the policy's concurrency cap).
    mutating func next(
        for upstream: Int, model: String, choose: ((inout [QueuedRequest]) -> Int?)? = nil
    ) -> Entry? {
        var topRank = Int.max
        for e in entries where e.model == model && !e.excluded.contains(upstream) { topRank = min(topRank, e.band.rank) }
        guard topRank < Int.max else { return nil }
        var best: Int?
        if let choose {
            var candidates: [QueuedRequest] = []
            var positions: [Int] = []
            for (i, e) in entries.enumerated() where e.model == model && !e.excluded.contains(upstream) && e.band.rank == topRank {
                var q = e.order
                q.handle = positions.count
                candidates.append(q)
                positions.append(i)
            }
            guard let pick = choose(&candidates), positions.indices.contains(pick) else { return nil }
            best = positions[pick]
        } else {
            for (i, e) in entries.enumerated() where e.model == model && !e.excluded.contains(upstream) && e.band.rank == topRank {
                if best.map({ OrderingPolicy.precedes(e.order, entries[$0].order, rule: ordering) }) ?? true { best = i }
            }
        }
        return best.map { remove(at: $0) }
    }

    /// Waiters whose deadline is at or before `now`, removed (to be told their wait is over).
    mutating func expire(now: Double) -> [Entry] {
        var expired: [Entry] = []
        var i = 0
        while i < entries.count {
            if entries[i].deadlineSeconds <= now { expired.append(remove(at: i)) } else { i += 1 }
        }
        return expired
    }

    /// Removes waiter `id` (its client went away). - Returns: it, if it was still waiting.
    mutating func cancel(_ id: Int) -> Entry? {
        entries.firstIndex { $0.id == id }.map { remove(at: $0) }
    }

    private mutating func remove(at i: Int) -> Entry {
        let e = entries.remove(at: i)
        countByBand[e.band, default: 1] -= 1
        return e
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sa-slo`: the multi-SLO request scheduler of Huang et al., "SLO-Aware Scheduling for Large Language Model
/// Inferences" (arXiv 2504.14966, SC'25), reconstructed from its abstract and reviews (ALGORITHMS.md §2; no code is
/// public): per instance, maximise G = (requests predicted to meet their SLO) / (Σ predicted end-to-end latency) over
/// the priority order of the queued requests by simulated annealing, alternating with the choice of the instance's
/// concurrency (batch size).
///
/// Each decision: the seed is the best (by G) of the previous order with the new requests inserted at their
/// earliest-deadline positions, a fresh EDF order and a shortest-predicted-job-first order (§2.2's seeds). Then `rounds` times: pick the concurrency among
/// `concurrencyShares × maxConcurrency` that maximises G for the current order, and anneal the order for
/// `evaluationsPerRound` moves (a swap of two positions or a removal and re-insertion, drawn from a seeded generator)
/// with a temperature cooling geometrically from `initialTemperature × G` to `finalTemperatureRatio` of that, accepting
/// a worse order with probability exp(ΔG / T). The best order seen (the seed included) is returned, so the result is
/// never worse than the seed. Moves are evaluated incrementally: only the positions between the two moved ones change
/// (``LatencyPredictor``), so a decision costs O(rounds × evaluations × mean move span) and allocates nothing once its
/// buffers have grown. The evaluation budget is deterministic (no wall-clock check), so runs reproduce for a seed.
public struct AnnealingOrderPolicy: RequestQueuePolicy {
    /// The annealer's knobs (not published by the paper; ALGORITHMS.md §2.2 lists them as tunables).
    public struct Parameters: Sendable, Hashable {
        /// Moves evaluated per annealing round.
        public var evaluationsPerRound = 192
        /// Alternations of concurrency choice and annealing.
        public var rounds = 2
        /// Starting temperature, as a fraction of the seed's G.
        public var initialTemperature = 0.02
        /// Final temperature as a fraction of the starting one.
        public var finalTemperatureRatio = 1e-3
        /// Share of moves that remove and re-insert (the rest swap).
        public var insertMoveShare = 0.5
        /// Largest distance between the two positions of a move: local moves keep each evaluation short (its cost is
        /// the span between them) while a sequence of them can still carry a request anywhere.
        public var maxMoveDistance = 8
        /// Candidate concurrencies, as fractions of the engine's cap (the batch-size half of the alternation).
        public var concurrencyShares = [0.125, 0.25, 0.5, 1.0]
        /// A candidate concurrency is eligible only if it sustains at least this share of the best candidate's
        /// throughput (B / τ(B)): the snapshot objective cannot see future arrivals, so capacity is not traded away
        /// for latency beyond this. Without the guard (`min-throughput=0`) `sluice reproduce sa` met 56.3 % of SLOs at
        /// 10 req/s instead of 72.0 %.
        public var minimumThroughputShare = 0.9
        /// Queues shorter than this are only ordered by the best seed (annealing cannot help much and costs time).
        public var minimumQueueToAnneal = 3
        /// Only the first this many positions are annealed and scored: requests further back are released much later
        /// and will be reordered by later decisions, so each decision's cost is bounded whatever the queue length.
        public var window = 64
        /// Added to the count of requests predicted to meet their SLO in G, so that under overload, when none can,
        /// the annealer still minimises latency instead of seeing G = 0 for every order (0 is the paper's G).
        public var metOffset = 0.5

        /// The defaults.
        public init() {}
    }

    /// `sa-slo`.
    public var name: String { "sa-slo" }
    /// The parameters.
    public let parameters: Parameters
    private var rng: SplitMix64
    private var order: [Int32] = []
    private var best: [Int32] = []
    private var positions: [PositionState] = []
    private var bounds: [RequestBounds] = []
    private var scratch: [QueuedRequest] = []
    private var previousCount = 0
    /// Moves evaluated by the latest decision (for budget checks and benchmarks).
    public private(set) var lastEvaluations = 0

    /// Creates the policy with a seed for its move generator.
    public init(parameters: Parameters = Parameters(), seed: UInt64) {
        self.parameters = parameters
        rng = SplitMix64(seed: seed)
    }

    /// Orders the queue and picks the concurrency.
    public mutating func decide(_ queue: inout [QueuedRequest], load: InstanceLoad, predictor: LatencyPredictor) -> Int {
        lastEvaluations = 0
        let n = queue.count
        guard n > 0 else {
            previousCount = 0
            return load.maxConcurrency
        }
        seed(&queue, load: load, predictor: predictor)
        let scored = min(n, parameters.window)
        var constants = bestConcurrency(queue, load: load, predictor: predictor)
        if n >= parameters.minimumQueueToAnneal {
            for round in 0..<parameters.rounds {
                if round > 0 { constants = bestConcurrency(queue, load: load, predictor: predictor) }
                anneal(&queue, count: scored, constants)
            }
        }
        LatencyPredictor.annotate(&queue, constants)
        previousCount = n
        return constants.concurrency
    }

    /// The better of the previous order (new requests inserted EDF) and a fresh EDF order.
    private mutating func seed(_ queue: inout [QueuedRequest], load: InstanceLoad, predictor: LatencyPredictor) {
        let kept = min(previousCount, queue.count)
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: queue)
        // Previous order, each new request inserted before the first kept one with a later deadline.
        for i in kept..<queue.count {
            let item = queue[i]
            var j = i
            while j > 0 && item.deadlineSeconds < queue[j - 1].deadlineSeconds {
                queue[j] = queue[j - 1]
                j -= 1
            }
            queue[j] = item
        }
        let c = predictor.constants(concurrency: load.maxConcurrency, load: load, queue: queue)
        for rule in [OrderingPolicy.Rule.edf, .sjf] {
            scratch.sort { OrderingPolicy.precedes($0, $1, rule: rule) }
            let w = parameters.window
            let m = parameters.metOffset
            if LatencyPredictor.objective(scratch, c, scored: w, metOffset: m) > LatencyPredictor.objective(queue, c, scored: w, metOffset: m) {
                swap(&queue, &scratch)
            }
        }
    }

    /// The candidate concurrency with the best G for the current order.
    private func bestConcurrency(_ queue: [QueuedRequest], load: InstanceLoad, predictor: LatencyPredictor) -> LatencyPredictor.Constants {
        var best: LatencyPredictor.Constants?
        var bestG = -1.0
        let candidates = parameters.concurrencyShares.map {
            predictor.constants(concurrency: max(1, Int(($0 * Double(load.maxConcurrency)).rounded())), load: load, queue: queue)
        }
        let topThroughput = candidates.map { Double($0.concurrency) / $0.iterationSeconds }.max() ?? 0
        for c in candidates {
            guard Double(c.concurrency) / c.iterationSeconds >= parameters.minimumThroughputShare * topThroughput else { continue }
            let g = LatencyPredictor.objective(queue, c, scored: parameters.window, metOffset: parameters.metOffset)
            if g > bestG {
                bestG = g
                best = c
            }
        }
        return best ?? predictor.constants(concurrency: load.maxConcurrency, load: load, queue: queue)
    }

    /// What a position of the current order contributes, plus the trial values of the move being evaluated.
    struct PositionState {
        var ahead = 0.0, latency = 0.0, met = false
        var trialAhead = 0.0, trialLatency = 0.0, trialMet = false
    }

    /// What the model needs of a queued request once the constants are fixed (``LatencyPredictor/startBounds(_:_:)``).
    struct RequestBounds {
        var output: Double, latencyOffset: Double, latestStart: Double
    }

    /// Simulated annealing over the first `n` positions, then applies the best order to them.
    private mutating func anneal(_ queue: inout [QueuedRequest], count n: Int, _ c: LatencyPredictor.Constants) {
        order.removeAll(keepingCapacity: true)
        bounds.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        var metCount = 0
        var latencySum = 0.0
        var outputs = 0.0
        for k in 0..<n {
            let b = LatencyPredictor.startBounds(queue[k], c)
            bounds.append(RequestBounds(output: queue[k].predictedOutputTokens, latencyOffset: b.latencyOffset, latestStart: b.latestStart))
            let start = LatencyPredictor.start(position: k, outputsAhead: outputs, c)
            let m = start <= b.latestStart
            positions.append(PositionState(ahead: outputs, latency: start + b.latencyOffset, met: m))
            order.append(Int32(k))
            if m { metCount += 1 }
            latencySum += start + b.latencyOffset
            outputs += queue[k].predictedOutputTokens
        }
        best.removeAll(keepingCapacity: true)
        best.append(contentsOf: order)
        var rng = self.rng
        let p = parameters
        // The hot loop works on raw buffers: no bounds or uniqueness checks per move (indices stay in 0..<n).
        let evaluated = order.withUnsafeMutableBufferPointer { order in
            best.withUnsafeMutableBufferPointer { best in
                positions.withUnsafeMutableBufferPointer { positions in
                    bounds.withUnsafeBufferPointer { bounds in
                        Self.search(
                            n: n, parameters: p, c, rng: &rng, order: order, best: best, positions: positions, bounds: bounds,
                            metCount: metCount, latencySum: latencySum)
                    }
                }
            }
        }
        self.rng = rng
        lastEvaluations += evaluated
        scratch.removeAll(keepingCapacity: true)
        for i in best { scratch.append(queue[Int(i)]) }
        for k in 0..<n { queue[k] = scratch[k] }
    }

    /// The annealing loop. - Returns: moves evaluated.
    private static func search(
        n: Int, parameters p: Parameters, _ c: LatencyPredictor.Constants, rng: inout SplitMix64, order: UnsafeMutableBufferPointer<Int32>,
        best: UnsafeMutableBufferPointer<Int32>, positions: UnsafeMutableBufferPointer<PositionState>, bounds: UnsafeBufferPointer<RequestBounds>,
        metCount: Int, latencySum: Double
    ) -> Int {
        var metCount = metCount
        var latencySum = latencySum
        var g = latencySum > 0 ? (Double(metCount) + p.metOffset) / latencySum : 0
        var bestG = g
        let evaluations = p.evaluationsPerRound
        var temperature = max(p.initialTemperature * g, .leastNonzeroMagnitude)
        let cooling = pow(p.finalTemperatureRatio, 1 / Double(max(evaluations, 1)))
        let reach = UInt64(min(p.maxMoveDistance, n - 1))
        for _ in 0..<evaluations {
            // A local move: the second position within `maxMoveDistance` of the first (cost is the span).
            let a = Int(rng.next() % UInt64(n))
            let distance = 1 + Int(rng.next() % reach)
            var b = rng.next() & 1 == 0 ? a - distance : a + distance
            if b < 0 || b >= n { b = a - distance >= 0 ? a - distance : a + distance }
            b = min(max(b, 0), n - 1)
            let insert = rng.nextUnit() < p.insertMoveShare
            applyMove(order, insert: insert, from: a, to: b)
            let lo = min(a, b)
            let hi = max(a, b)
            var outputs = positions[lo].ahead
            var dMet = 0
            var dLatency = 0.0
            for k in lo...hi {
                let r = bounds[Int(order[k])]
                let start = LatencyPredictor.start(position: k, outputsAhead: outputs, c)
                let m = start <= r.latestStart
                let l = start + r.latencyOffset
                positions[k].trialAhead = outputs
                positions[k].trialLatency = l
                positions[k].trialMet = m
                dMet += (m ? 1 : 0) - (positions[k].met ? 1 : 0)
                dLatency += l - positions[k].latency
                outputs += r.output
            }
            let newSum = latencySum + dLatency
            let newG = newSum > 0 ? (Double(metCount + dMet) + p.metOffset) / newSum : 0
            if newG >= g || rng.nextUnit() < exp((newG - g) / temperature) {
                for k in lo...hi {
                    positions[k].ahead = positions[k].trialAhead
                    positions[k].latency = positions[k].trialLatency
                    positions[k].met = positions[k].trialMet
                }
                metCount += dMet
                latencySum = newSum
                g = newG
                if g > bestG {
                    bestG = g
                    for k in 0..<n { best[k] = order[k] }
                }
            } else {
                applyMove(order, insert: insert, from: insert ? b : a, to: insert ? a : b)
            }
            temperature *= cooling
        }
        return evaluations
    }

    /// Swaps positions `a` and `b`, or moves the element at `a` to `b` (shifting those between).
    private static func applyMove(_ order: UnsafeMutableBufferPointer<Int32>, insert: Bool, from a: Int, to b: Int) {
        guard insert else {
            order.swapAt(a, b)
            return
        }
        let item = order[a]
        if a < b {
            for k in a..<b { order[k] = order[k + 1] }
        } else {
            for k in stride(from: a, to: b, by: -1) { order[k] = order[k - 1] }
        }
        order[b] = item
    }
}

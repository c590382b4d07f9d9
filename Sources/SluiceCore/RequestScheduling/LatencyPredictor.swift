/// Predicts, for an instance and an order of its queued requests, each request's first-token and finish times, from
/// the step-time model and predicted output lengths — the "latency prediction" of Huang et al. (arXiv 2504.14966;
/// its form is not published, so this one is Sluice's, ALGORITHMS.md §2.2).
///
/// Model (continuous batching at concurrency B, at most what the KV cache holds at the mean sequence length, of which `a = min(B, live + queued)` slots are busy): each busy slot
/// emits one token per iteration, and an iteration lasts `τ = T(a decodes) + a · (L̄/Ō) · p`, the decode step plus
/// the prompt tokens that new requests inject per iteration (L̄/Ō prompt tokens per output token, over the engine's
/// requests and the queue) at
/// `p` seconds per prompt token in a mixed batch.
/// A queued request finds a free slot at once while fewer than B requests are ahead of it; otherwise it waits for the
/// work ahead (predicted remaining tokens of live requests plus the outputs of the requests before it) to drain at
/// B tokens per iteration, less half a mean service (the residual life of the request it replaces). Then
/// `first token = start + τ(B) + L·p (+ τ(B) per step of output lag)` and `finish = first token + (Ô − 1)·τ(B)`.
///
/// Evaluating a position is O(1) given the prefix sum of outputs ahead, so an order is evaluated in O(n) and a swap of
/// positions i < j re-evaluates only i…j. The simulator reports this predictor's error against measured latencies.
public struct LatencyPredictor: Sendable {
    /// The per-decision constants of the model for one concurrency.
    public struct Constants: Sendable, Hashable {
        /// Decision time, seconds.
        public var nowSeconds: Double
        /// Concurrency B.
        public var concurrency: Int
        /// Iteration time τ(B), seconds.
        public var iterationSeconds: Double
        /// Seconds per prompt token in a mixed batch.
        public var prefillSecondsPerToken: Double
        /// Queue positions that start at once (free slots).
        public var freeSlots: Int
        /// Work ahead of the whole queue, slot-iterations (live requests' remaining tokens).
        public var liveWorkTokens: Double
        /// Seconds every queued request waits for prompts already in the engine.
        public var livePrefillSeconds: Double
        /// Half the mean predicted output of the queue, tokens (residual-life correction).
        public var halfMeanServiceTokens: Double
        /// Seconds between a token's sampling and its delivery (``EngineLimits/outputLagSteps`` iterations).
        public var deliveryLagSeconds: Double = 0
    }

    /// The replica's step-time model.
    public let stepModel: any StepTimeModel
    /// Prompt tokens in the chunk used to price prefill tokens in a mixed batch.
    public let pricingChunkTokens: Int
    /// Iterations between a token's sampling and its delivery (``EngineLimits/outputLagSteps``): every predicted time
    /// moves that many iterations later.
    public let outputLagSteps: Int

    /// Creates a predictor. - Parameters:
    ///   - pricingChunkTokens: prefill chunk used to measure the marginal cost of a prompt token.
    ///   - outputLagSteps: the engine's output lag (0 for a synchronous loop, 1 for an overlap scheduler).
    public init(stepModel: any StepTimeModel, pricingChunkTokens: Int = 512, outputLagSteps: Int = 0) {
        self.stepModel = stepModel
        self.pricingChunkTokens = pricingChunkTokens
        self.outputLagSteps = max(0, outputLagSteps)
    }

    /// The model's constants for concurrency `concurrency`, the instance `load` and the requests in `queue`.
    public func constants(concurrency: Int, load: InstanceLoad, queue: [QueuedRequest]) -> Constants {
        var prompt = 0.0
        var output = 0.0
        for r in queue {
            prompt += Double(r.promptTokens)
            output += r.predictedOutputTokens
        }
        let n = Double(max(queue.count, 1))
        let meanPrompt = queue.isEmpty ? 0 : prompt / n
        let meanOutput = queue.isEmpty ? 1 : output / n
        // The KV cache bounds the concurrency too: sequences average L̄ + Ō/2 tokens while they run.
        let kvBound = load.kvCapacityTokens.map { max(1, Int(Double($0) / max(meanPrompt + meanOutput / 2, 1))) } ?? Int.max
        let b = max(1, min(concurrency, kvBound))
        // Sequences actually batched: B, or fewer when the engine and the queue hold fewer.
        let active = max(1, min(b, load.liveRequests + queue.count))
        let context = Int(meanPrompt + meanOutput / 2)
        var decodes = BatchShape()
        decodes.decodeSequences = active
        decodes.decodeContextTokens = active * context
        var fewer = BatchShape()
        fewer.decodeSequences = active - 1
        fewer.decodeContextTokens = (active - 1) * context
        var mixed = fewer
        mixed.addPrefill(newTokens: pricingChunkTokens, contextTokens: 0)
        let decodeSeconds = stepModel.stepSeconds(decodes)
        let perToken = max(0, stepModel.stepSeconds(mixed) - stepModel.stepSeconds(fewer)) / Double(pricingChunkTokens)
        // Prompt tokens per output token over everything in the engine and the queue (the queue alone is too few).
        let mixOutput = output + load.liveOutputTokens
        let promptPerOutput = mixOutput > 0 ? (prompt + load.livePromptTokens) / mixOutput : 0
        return Constants(
            nowSeconds: load.nowSeconds, concurrency: b,
            iterationSeconds: decodeSeconds + Double(active) * promptPerOutput * perToken,
            prefillSecondsPerToken: perToken, freeSlots: max(0, b - load.liveRequests), liveWorkTokens: load.liveRemainingTokens,
            livePrefillSeconds: load.livePendingPrefillTokens * perToken, halfMeanServiceTokens: meanOutput / 2,
            deliveryLagSeconds: Double(outputLagSteps) * (decodeSeconds + Double(active) * promptPerOutput * perToken))
    }

    /// First-token and finish times of the request at `position` with `outputsAhead` predicted output tokens of
    /// queued requests before it.
    @inlinable
    public static func times(_ r: QueuedRequest, position: Int, outputsAhead: Double, _ c: Constants) -> (firstToken: Double, finish: Double) {
        let first = start(position: position, outputsAhead: outputsAhead, c) + c.iterationSeconds + Double(r.promptTokens) * c.prefillSecondsPerToken
            + c.deliveryLagSeconds
        return (first, first + (r.predictedOutputTokens - 1) * c.iterationSeconds)
    }

    /// The start time of the request at `position` with `outputsAhead` predicted output tokens before it.
    @inlinable
    public static func start(position: Int, outputsAhead: Double, _ c: Constants) -> Double {
        let waitTokens = position < c.freeSlots
            ? 0 : max(0, (c.liveWorkTokens + outputsAhead) / Double(c.concurrency) - c.halfMeanServiceTokens)
        return c.nowSeconds + c.livePrefillSeconds + waitTokens * c.iterationSeconds
    }

    /// What a request's latency and SLO depend on once its start time is known: `latency = start + latencyOffset`, and
    /// it meets its SLO iff `start <= latestStart` (`−∞` when its per-token target is below the iteration time).
    @inlinable
    public static func startBounds(_ r: QueuedRequest, _ c: Constants) -> (latencyOffset: Double, latestStart: Double) {
        let toFirst = c.iterationSeconds + Double(r.promptTokens) * c.prefillSecondsPerToken + c.deliveryLagSeconds
        let toFinish = toFirst + (r.predictedOutputTokens - 1) * c.iterationSeconds
        let byE2E = r.arrivalSeconds + r.e2eTargetSeconds - toFinish
        switch r.kind {
        case .endToEnd: return (toFinish - r.arrivalSeconds, byE2E)
        case .interactive:
            let ok = c.iterationSeconds <= r.tokenTargetSeconds
            return (toFinish - r.arrivalSeconds, ok ? min(r.arrivalSeconds + r.ttftTargetSeconds - toFirst, byE2E) : -.infinity)
        }
    }

    /// Whether predicted times meet the request's SLO (x_i of §2.1).
    @inlinable
    public static func meets(_ r: QueuedRequest, firstToken: Double, finish: Double, _ c: Constants) -> Bool {
        let e2e = finish - r.arrivalSeconds
        switch r.kind {
        case .endToEnd: return e2e <= r.e2eTargetSeconds
        case .interactive:
            return firstToken - r.arrivalSeconds <= r.ttftTargetSeconds && c.iterationSeconds <= r.tokenTargetSeconds && e2e <= r.e2eTargetSeconds
        }
    }

    /// Writes predicted times into every request of `queue`, in its current order.
    public static func annotate(_ queue: inout [QueuedRequest], _ c: Constants) {
        var ahead = 0.0
        for k in queue.indices {
            let t = times(queue[k], position: k, outputsAhead: ahead, c)
            queue[k].predictedFirstTokenSeconds = t.firstToken
            queue[k].predictedFinishSeconds = t.finish
            ahead += queue[k].predictedOutputTokens
        }
    }

    /// The objective G = (requests predicted to meet their SLO + `metOffset`) / (Σ predicted end-to-end latency) of
    /// the first `scored` requests of `queue` in its current order (§2.1; `metOffset` 0 is the paper's G).
    public static func objective(_ queue: [QueuedRequest], _ c: Constants, scored: Int = .max, metOffset: Double = 0) -> Double {
        var ahead = 0.0
        var met = 0
        var latency = 0.0
        for k in 0..<min(scored, queue.count) {
            let t = times(queue[k], position: k, outputsAhead: ahead, c)
            if meets(queue[k], firstToken: t.firstToken, finish: t.finish, c) { met += 1 }
            latency += t.finish - queue[k].arrivalSeconds
            ahead += queue[k].predictedOutputTokens
        }
        return latency > 0 ? (Double(met) + metOffset) / latency : 0
    }
}

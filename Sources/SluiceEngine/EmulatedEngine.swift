public import SluiceCore
public import SluiceEngineModel


/// `sluice engine`'s core: the simulator's engine model (``LiveEngineModel``) run in real time. Requests are admitted
/// as they arrive; a loop starts an iteration, sleeps its modelled duration on the wall clock, finishes it and hands
/// each request the tokens it gained, so TTFT, time between tokens and batching behave as on the chosen GPU.
///
/// An actor: HTTP handlers on every connection submit to it; the loop suspends (releasing it) while an iteration runs.
public actor EmulatedEngine {
    private let model: LiveEngineModel
    private var streams: [Int: AsyncStream<Token>.Continuation] = [:]
    private var nextRequestID = 0
    private var loopRunning = false
    private let origin = ContinuousClock.now
    /// Tokens served and requests finished, for the metrics.
    public private(set) var promptTokensTotal = 0
    /// Output tokens produced.
    public private(set) var generationTokensTotal = 0
    /// Requests finished.
    public private(set) var finishedTotal = 0
    /// Time to first token (submission to first token) and between tokens, as the engine delivered them.
    private(set) var ttft = LatencyHistogram(bounds: LatencyHistogram.ttftBounds)
    private(set) var interToken = LatencyHistogram(bounds: LatencyHistogram.interTokenBounds)
    /// Per request in flight: when it was submitted and when its last token was delivered, seconds.
    private var submittedSeconds: [Int: Double] = [:]
    private var lastTokenSeconds: [Int: Double] = [:]

    /// One output token of a request, or its end.
    public enum Token: Sendable, Hashable {
        /// The `index`-th output token (1-based); `last` for the final one.
        case token(index: Int, last: Bool)
        /// The engine gave up on the request.
        case rejected(reason: String)
    }

    /// Creates the engine of `spec`. - Throws: ``SluiceError`` for an unknown scheduler or a model that does not fit.
    public init(spec: ReplicaSpec) throws(SluiceError) {
        model = try LiveEngineModel(spec: spec)
    }

    private func now() -> Double {
        origin.duration(to: .now).inSeconds
    }

    /// Output tokens a request asking for `outputTokens` will get.
    public func cappedOutputTokens(promptTokens: Int, outputTokens: Int) -> Int {
        model.cappedOutputTokens(promptTokens: promptTokens, outputTokens: outputTokens)
    }

    /// Submits a request. - Returns: its tokens as they are produced. - Throws: ``SluiceError`` when it can never run.
    public func submit(promptTokens: Int, outputTokens: Int) throws(SluiceError) -> AsyncStream<Token> {
        let id = nextRequestID
        nextRequestID += 1
        if let reason = model.admit(requestID: id, promptTokens: promptTokens, outputTokens: outputTokens, nowSeconds: now()) {
            throw .invalidValue(field: "prompt", value: "\(promptTokens) tokens", allowed: "a request the engine can hold (\(reason))")
        }
        promptTokensTotal += promptTokens
        submittedSeconds[id] = now()
        let (stream, continuation) = AsyncStream.makeStream(of: Token.self)
        // A consumer that goes away (the HTTP client disconnected) aborts the request in the engine.
        continuation.onTermination = { reason in
            if case .cancelled = reason { Task { await self.abort(id) } }
        }
        streams[id] = continuation
        if !loopRunning {
            loopRunning = true
            Task { await self.loop() }
        }
        return stream
    }

    /// Runs iterations until the engine is empty.
    private func loop() async {
        while true {
            let start = now()
            guard let end = model.startIteration(nowSeconds: start) else {
                deliverRejections()
                if model.hasHeldBackTokens {
                    // Output lag with no next iteration to carry them: the tokens arrive a step's time later.
                    try? await Task.sleep(until: origin + .seconds(now() + lastIterationSeconds), clock: .continuous)
                    model.flushHeldBack()
                    deliver(at: now())
                    continue
                }
                if let wake = model.nextDecisionSeconds, !streams.isEmpty {
                    try? await Task.sleep(until: origin + .seconds(max(wake, now())), clock: .continuous)
                    continue
                }
                if model.runningCount + model.waitingCount > 0 { continue }
                loopRunning = false
                return
            }
            try? await Task.sleep(until: origin + .seconds(end), clock: .continuous)
            let delivered = max(end, now())
            lastIterationSeconds = delivered - start
            model.finishIteration(nowSeconds: delivered)
            deliver(at: delivered)
            deliverRejections()
        }
    }

    /// Duration of the last iteration, seconds (how late held-back tokens arrive when no iteration follows).
    private var lastIterationSeconds = 0.0

    /// Hands the model's emitted tokens to their streams at `delivered` (tokens of requests aborted meanwhile are dropped).
    private func deliver(at delivered: Double) {
        for e in model.emitted where streams[e.requestID] != nil {
            generationTokensTotal += 1
            if let last = lastTokenSeconds[e.requestID] {
                interToken.observe(delivered - last)
            } else if let submitted = submittedSeconds.removeValue(forKey: e.requestID) {
                ttft.observe(delivered - submitted)
            }
            lastTokenSeconds[e.requestID] = e.finished ? nil : delivered
            streams[e.requestID]?.yield(.token(index: e.generatedTokens, last: e.finished))
            if e.finished {
                finishedTotal += 1
                streams.removeValue(forKey: e.requestID)?.finish()
            }
        }
    }

    /// Drops request `id` whose consumer went away.
    private func abort(_ id: Int) {
        submittedSeconds.removeValue(forKey: id)
        lastTokenSeconds.removeValue(forKey: id)
        guard streams.removeValue(forKey: id) != nil else { return }
        model.abort(requestID: id)
        abortedTotal += 1
    }

    /// Requests aborted because their client went away.
    public private(set) var abortedTotal = 0

    private func deliverRejections() {
        for r in model.rejected {
            submittedSeconds.removeValue(forKey: r.requestID)
            lastTokenSeconds.removeValue(forKey: r.requestID)
            streams[r.requestID]?.yield(.rejected(reason: r.reason))
            streams.removeValue(forKey: r.requestID)?.finish()
        }
    }

    /// What vLLM's metrics report: running and waiting requests, KV use, block size and count, preemptions.
    public struct Snapshot: Sendable, Hashable {
        /// Requests running.
        public var running: Int
        /// Requests waiting.
        public var waiting: Int
        /// KV cache in use, 0...1.
        public var kvUsage: Double
        /// Block size, tokens.
        public var blockSizeTokens: Int
        /// Blocks in all.
        public var blocks: Int
        /// Preemptions so far.
        public var preemptions: Int
        /// Prompt tokens admitted, output tokens produced, requests finished.
        public var promptTokens: Int, generationTokens: Int, finished: Int
        /// Latencies as delivered.
        var ttft: LatencyHistogram, interToken: LatencyHistogram
    }

    /// The current figures.
    public func snapshot() -> Snapshot {
        Snapshot(
            running: model.runningCount, waiting: model.waitingCount, kvUsage: model.kvUsage, blockSizeTokens: model.kvBlockSizeTokens,
            blocks: model.kvBlockCount, preemptions: model.preemptions, promptTokens: promptTokensTotal, generationTokens: generationTokensTotal,
            finished: finishedTotal, ttft: ttft, interToken: interToken)
    }
}

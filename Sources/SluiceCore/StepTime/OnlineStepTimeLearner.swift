/// Learns an engine's real speed online from what a gateway observes of each request (its time to first token and
/// its time per output token, with the engine's concurrency when it ran), and offers it as a ``StepTimeModel`` so the
/// latency predictor, the `cost-aware` router, `sa-slo`, SLO admission and predicted cost use what the engine does.
///
/// Two linear models, each fitted by recursive least squares with exponential forgetting (a recent window of about
/// `1 / (1 − forgetting)` observations, so a slower or faster engine is followed) and Huber weights (an observation
/// whose residual exceeds `huberScale` robust standard deviations counts proportionally less, so a stalled request does
/// not drag the fit):
/// - decode: `TPOT ≈ a + b · n` at `n` requests running (an iteration of `n` decodes);
/// - prefill: `TTFT − wait ≈ c + d · P` for a prompt of `P` tokens.
/// The prior is the catalog's step-time model when the upstream names a GPU (its decode times at 1 and 8 sequences and
/// its prefill times at 256 and 2,048 tokens), held with `priorWeight` observations' worth of confidence; an upstream
/// with none (a hosted API) starts from an uninformative prior and is `isWarm` after `warmUpObservations`.
///
/// `model` is O(1) to evaluate and allocation-free; an observation is O(1).
public struct OnlineStepTimeLearner: Sendable {
    /// A two-parameter recursive least squares with forgetting and Huber weights: `y ≈ θ₀ + θ₁ x`.
    struct RobustLine: Sendable {
        var theta: (Double, Double)
        var p: (Double, Double, Double)  // the symmetric 2×2 inverse-information matrix: p00, p01, p11
        var scale: Double  // running mean absolute residual (robust spread)
        var observations = 0

        init(intercept: Double, slope: Double, confidence: Double, xScale: Double, yScale: Double) {
            theta = (intercept, slope)
            let v = 1 / max(confidence, 1e-9)
            p = (v, 0, v / (xScale * xScale))
            scale = yScale
        }

        func predict(_ x: Double) -> Double { theta.0 + theta.1 * x }

        mutating func observe(x: Double, y: Double, forgetting: Double, huber: Double) {
            let r = y - predict(x)
            // Huber weight on the residual in units of the running spread.
            let limit = huber * max(scale, 1e-9) * 1.25  // mean |r| ≈ 0.8 σ for a normal residual
            let w = abs(r) <= limit ? 1 : limit / abs(r)
            // P·φ for φ = (1, x)
            let px0 = p.0 + p.1 * x
            let px1 = p.1 + p.2 * x
            let denominator = forgetting / w + (px0 + px1 * x)
            let k0 = px0 / denominator, k1 = px1 / denominator
            theta = (theta.0 + k0 * r, theta.1 + k1 * r)
            // P ← (P − k φᵀ P) / λ
            p = ((p.0 - k0 * px0) / forgetting, (p.1 - k0 * px1) / forgetting, (p.2 - k1 * px1) / forgetting)
            // The spread follows |r| (clipped, so one outlier cannot blow it up) a few times faster than the fit forgets.
            let clipped = min(abs(r), OnlineStepTimeLearner.spreadClip * max(scale, 1e-9))
            scale += (clipped - scale) * min(1, (1 - forgetting) * OnlineStepTimeLearner.spreadAdaptation)
            observations += 1
        }
    }

    /// Weight of the past per observation (0.98: a window of about 50 requests).
    public let forgetting: Double
    /// Residuals beyond this many robust standard deviations are down-weighted.
    public let huberScale: Double
    /// Observations before a model without a catalog prior is trusted.
    public let warmUpObservations: Int
    /// Whether the prior came from a catalog step-time model.
    public let hasPrior: Bool
    var decode: RobustLine
    var prefill: RobustLine

    /// Defaults of the learner.
    public static let defaultForgetting = 0.98
    public static let defaultHuberScale = 2.0
    public static let defaultWarmUpObservations = 8
    /// How much faster the residual spread adapts than the fit, and the largest residual (in spreads) it takes in.
    static let spreadAdaptation = 4.0
    static let spreadClip = 4.0
    /// Confidence of a catalog prior, in observations' worth.
    public static let priorWeight = 4.0
    /// The prior of an upstream nobody described: 30 ms per output token, 0.3 s to the first token (a hosted API's
    /// typical figures), held with almost no confidence.
    static let uninformedDecodeSeconds = 0.03
    static let uninformedPrefillSeconds = 0.3
    static let uninformedConfidence = 1e-3
    /// Batch and prompt sizes the catalog prior is read at.
    static let priorBatches = (1.0, 8.0)
    static let priorPrompts = (256.0, 2048.0)

    /// A learner whose prior is `prior` (`nil`: an uninformed prior).
    public init(
        prior: (any StepTimeModel)?, forgetting: Double = OnlineStepTimeLearner.defaultForgetting,
        huberScale: Double = OnlineStepTimeLearner.defaultHuberScale, warmUpObservations: Int = OnlineStepTimeLearner.defaultWarmUpObservations
    ) {
        self.forgetting = min(max(forgetting, 0.5), 1)
        self.huberScale = huberScale
        self.warmUpObservations = warmUpObservations
        hasPrior = prior != nil
        if let prior {
            func decodes(_ n: Double) -> Double {
                var s = BatchShape()
                for _ in 0..<Int(n) { s.addDecode(contextTokens: 1024) }
                return prior.stepSeconds(s)
            }
            func prompt(_ tokens: Double) -> Double {
                var s = BatchShape()
                s.addPrefill(newTokens: Int(tokens), contextTokens: 0)
                return prior.stepSeconds(s)
            }
            let (b1, b2) = Self.priorBatches, (p1, p2) = Self.priorPrompts
            let decodeSlope = (decodes(b2) - decodes(b1)) / (b2 - b1)
            let prefillSlope = (prompt(p2) - prompt(p1)) / (p2 - p1)
            decode = RobustLine(intercept: decodes(b1) - decodeSlope * b1, slope: decodeSlope, confidence: Self.priorWeight, xScale: 8, yScale: decodes(b1) * 0.1)
            prefill = RobustLine(intercept: prompt(p1) - prefillSlope * p1, slope: prefillSlope, confidence: Self.priorWeight, xScale: 1024, yScale: prompt(p2) * 0.1)
        } else {
            decode = RobustLine(intercept: Self.uninformedDecodeSeconds, slope: 0, confidence: Self.uninformedConfidence, xScale: 8, yScale: Self.uninformedDecodeSeconds)
            prefill = RobustLine(intercept: Self.uninformedPrefillSeconds, slope: 0, confidence: Self.uninformedConfidence, xScale: 1024, yScale: Self.uninformedPrefillSeconds)
        }
    }

    /// Records one request: `tpotSeconds` while `concurrency` requests ran (`nil` for a single-token answer) and
    /// `prefillSeconds` (time to first token less any wait before the engine started it) for `promptTokens`.
    public mutating func observe(concurrency: Int, tpotSeconds: Double?, promptTokens: Int, prefillSeconds: Double?) {
        if let t = tpotSeconds, t.isFinite, t > 0 {
            decode.observe(x: Double(max(concurrency, 1)), y: t, forgetting: forgetting, huber: huberScale)
        }
        if let t = prefillSeconds, t.isFinite, t > 0, promptTokens > 0 {
            prefill.observe(x: Double(promptTokens), y: t, forgetting: forgetting, huber: huberScale)
        }
    }

    /// Requests observed.
    public var observations: Int { max(decode.observations, prefill.observations) }

    /// Whether the model is worth using: a catalog prior, or enough observations.
    public var isWarm: Bool { hasPrior || (decode.observations >= warmUpObservations && prefill.observations >= warmUpObservations) }

    /// Predicted time per output token at `concurrency` running requests, seconds.
    public func decodeStepSeconds(concurrency: Int) -> Double { max(decode.predict(Double(max(concurrency, 1))), Self.floorSeconds) }

    /// Predicted prefill time of a prompt, seconds.
    public func prefillSeconds(promptTokens: Int) -> Double { max(prefill.predict(Double(promptTokens)), Self.floorSeconds) }

    /// No step is predicted faster than this (keeps a fit extrapolated below its data positive).
    static let floorSeconds = 1e-5

    /// The learned speed as a step-time model: `a + b·D` for `D` decodes, plus `c + d·P` when a prefill of `P` tokens
    /// rides along.
    public var model: ObservedStepTimeModel {
        ObservedStepTimeModel(
            decodeIntercept: decode.theta.0, decodeSlope: decode.theta.1, prefillIntercept: prefill.theta.0, prefillSlope: prefill.theta.1)
    }

    /// GPU-seconds a request is predicted to be charged at `concurrency` requests, in the gateway's processor-sharing
    /// terms (``GPUTimeShareMeter``: the engine's busy time split evenly among the requests in it): its predicted time
    /// in the engine (first token, then `output − 1` decode steps at that concurrency) divided by the concurrency.
    public func gpuSecondsShare(promptTokens: Int, outputTokens: Double, concurrency: Int) -> Double {
        let n = max(concurrency, 1)
        let seconds = prefillSeconds(promptTokens: promptTokens) + max(outputTokens - 1, 0) * decodeStepSeconds(concurrency: n)
        return seconds / Double(n)
    }
}

/// A step-time model learned from observations (``OnlineStepTimeLearner/model``). Invariant: positive for a
/// non-empty batch.
public struct ObservedStepTimeModel: StepTimeModel, Hashable {
    public var decodeIntercept: Double
    public var decodeSlope: Double
    public var prefillIntercept: Double
    public var prefillSlope: Double

    public func stepSeconds(_ batch: BatchShape) -> Double {
        if batch.isEmpty { return 0 }
        var t = 0.0
        if batch.decodeSequences > 0 { t += decodeIntercept + decodeSlope * Double(batch.decodeSequences) }
        if batch.prefillTokens > 0 { t += (batch.decodeSequences > 0 ? 0 : prefillIntercept) + prefillSlope * Double(batch.prefillTokens) }
        return max(t, OnlineStepTimeLearner.floorSeconds)
    }
}

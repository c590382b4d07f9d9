/// A table-driven step-time model in the style of Vidur (SIMULATION.md §1.1 and §2.7, advice 2): the token-level
/// operators come from a measured per-layer profile, the rest from the roofline.
///
/// ```
/// T_step = L · T_lin[N] + T_att + T_comm + τ_step
/// ```
/// `T_lin[N]` is the profiled per-layer time of the token-level operators at `N` tokens
/// (``LinearOperatorProfile``), made non-decreasing, linearly interpolated between profiled counts and precomputed
/// for every `N` up to the profile's largest count, so evaluation is one array index. Below the smallest profiled
/// count the smallest count's time is used (a GEMM does not get cheaper than its launch floor). Beyond the largest
/// count it grows linearly with the least-squares slope of the profiled points in the upper half of the token range
/// (clamped ≥ 0): the last two points alone are too noisy, e.g. 4,064 → 4,096 tokens *decreases* in Vidur's H100
/// Llama-2-7B profile. `T_att` and `T_comm` are those of a ``RooflineStepTimeModel`` with the same parameters
/// (Vidur's attention tables are not available here), and `τ_step` is its ``RooflineParameters/stepOverheadSeconds``.
///
/// Like Vidur, the table has no LM-head or per-sequence term; the profile's operators already include the norms,
/// rotary embedding, activation and residual add that the roofline leaves out.
public struct ProfileTableStepTimeModel: StepTimeModel, Hashable {
    /// The profile the table was built from.
    public let profile: LinearOperatorProfile
    /// The roofline providing attention and communication.
    public let fallback: RooflineStepTimeModel
    /// τ_step added to every step, seconds.
    public let stepOverheadSeconds: Double
    /// `L · T_lin[N]` for N = 0 … ``LinearOperatorProfile/maxTokens`` (index 0 unused, 0).
    private let linearSecondsByTokens: [Double]
    /// Growth of `L · T_lin` per token beyond the table, seconds.
    private let extrapolationSlope: Double

    /// Builds the table for a deployment.
    /// - Parameters:
    ///   - profile: per-layer token-level operator times at the deployment's tensor-parallel degree.
    ///   - deployment: the model (its layer count multiplies the profile), GPU and TP.
    ///   - parameters: roofline parameters for attention, communication and the step overhead.
    /// - Throws: ``SluiceError`` when the profile's TP differs from the deployment's.
    public init(
        profile: LinearOperatorProfile, deployment: Deployment, parameters: RooflineParameters = RooflineParameters()
    ) throws(SluiceError) {
        guard profile.tensorParallel == deployment.tensorParallel else {
            throw .invalidValue(
                field: "\(profile.source) tensor parallel", value: "\(profile.tensorParallel)",
                allowed: "the deployment's TP \(deployment.tensorParallel)")
        }
        self.profile = profile
        self.fallback = RooflineStepTimeModel(deployment: deployment, parameters: parameters)
        self.stepOverheadSeconds = parameters.stepOverheadSeconds
        let layers = Double(deployment.model.layers)
        let counts = profile.tokenCounts
        let times = profile.monotonePerLayerSeconds.map { $0 * layers }
        var table = [Double](repeating: 0, count: profile.maxTokens + 1)
        var segment = 0
        for n in 1...profile.maxTokens {
            if n <= counts[0] {
                table[n] = times[0]
                continue
            }
            while counts[segment + 1] < n { segment += 1 }
            let (n0, n1) = (Double(counts[segment]), Double(counts[segment + 1]))
            let w = (Double(n) - n0) / (n1 - n0)
            table[n] = times[segment] + w * (times[segment + 1] - times[segment])
        }
        linearSecondsByTokens = table
        extrapolationSlope = Self.upperHalfSlope(counts: counts, times: times)
    }

    /// Iteration time of `batch`, seconds. - Complexity: O(1), no allocation.
    public func stepSeconds(_ batch: BatchShape) -> Double {
        if batch.isEmpty { return 0 }
        return linearSeconds(tokens: batch.totalTokens) + fallback.attentionSeconds(batch)
            + fallback.communicationSeconds(batch) + stepOverheadSeconds
    }

    /// `L · T_lin[N]`: all layers' token-level operators for a step of `tokens` tokens, seconds (0 for none).
    /// - Complexity: O(1).
    public func linearSeconds(tokens: Int) -> Double {
        if tokens <= 0 { return 0 }
        let last = linearSecondsByTokens.count - 1
        if tokens <= last { return linearSecondsByTokens[tokens] }
        return linearSecondsByTokens[last] + extrapolationSlope * Double(tokens - last)
    }

    /// Least-squares slope of `times` over the points with at least half the largest token count (≥ 2 points),
    /// clamped at 0.
    static func upperHalfSlope(counts: [Int], times: [Double]) -> Double {
        let half = counts[counts.count - 1] / 2
        var first = counts.firstIndex { $0 >= half } ?? 0
        first = min(first, counts.count - 2)
        let xs = counts[first...].map(Double.init)
        let ys = Array(times[first...])
        let mx = xs.reduce(0, +) / Double(xs.count)
        let my = ys.reduce(0, +) / Double(ys.count)
        var sxy = 0.0
        var sxx = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
        }
        return sxx > 0 ? max(sxy / sxx, 0) : 0
    }
}

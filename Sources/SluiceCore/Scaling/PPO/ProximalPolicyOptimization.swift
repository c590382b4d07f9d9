#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The maths of PPO for scaling policies (issue 16, item 2): generalized advantage estimation over a semi-Markov
/// decision process, a linear-softmax policy with a linear value baseline, and the clipped surrogate objective with its
/// gradient. Schulman et al., "High-Dimensional Continuous Control Using Generalized Advantage Estimation" (ICLR 2016)
/// and "Proximal Policy Optimization Algorithms" (arXiv:1707.06347, 2017).
///
/// Semi-Markov: step t lasts Δt_t, so its discount is γ^{Δt_t} (`discounts[t]`), as in SMDP Q-learning (Bradtke & Duff
/// 1994). The training loop that drives the simulator is not built yet; these pieces are tested on hand-worked values.
public enum AdvantageEstimation: Sendable {
    /// GAE(γ, λ): δ_t = r_t + γ_t V_{t+1} − V_t, A_t = δ_t + γ_t λ A_{t+1}, returns R_t = A_t + V_t, with V_T =
    /// `bootstrap` after the last step. - Precondition: `rewards`, `values` and `discounts` have one length.
    public static func gae(rewards: [Double], values: [Double], bootstrap: Double, discounts: [Double], lambda: Double)
        -> (advantages: [Double], returns: [Double])
    {
        precondition(rewards.count == values.count && rewards.count == discounts.count)
        var advantages = Array(repeating: 0.0, count: rewards.count)
        var next = bootstrap
        var running = 0.0
        for t in stride(from: rewards.count - 1, through: 0, by: -1) {
            let delta = rewards[t] + discounts[t] * next - values[t]
            running = delta + discounts[t] * lambda * running
            advantages[t] = running
            next = values[t]
        }
        return (advantages, zip(advantages, values).map(+))
    }
}

/// π(a | x) = softmax(W x)_a over `actions` actions and a linear value v(x) = u·x, on `dimension` features.
///
/// Invariants: `weights` has `actions × dimension` entries (row-major), `valueWeights` has `dimension`.
public struct LinearSoftmaxPolicy: Sendable, Hashable, Codable {
    /// Actions.
    public let actions: Int
    /// Features.
    public let dimension: Int
    /// W, row-major.
    public var weights: [Double]
    /// u.
    public var valueWeights: [Double]

    /// A uniform policy with a zero value.
    public init(actions: Int, dimension: Int) {
        self.actions = actions
        self.dimension = dimension
        weights = Array(repeating: 0, count: actions * dimension)
        valueWeights = Array(repeating: 0, count: dimension)
    }

    /// π(· | x).
    public func probabilities(_ x: [Double]) -> [Double] {
        let logits = (0..<actions).map { a in (0..<dimension).reduce(0.0) { $0 + weights[a * dimension + $1] * x[$1] } }
        let top = logits.max() ?? 0
        let e = logits.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// v(x).
    public func value(_ x: [Double]) -> Double { zip(valueWeights, x).reduce(0) { $0 + $1.0 * $1.1 } }
}

/// One PPO sample: the features, the action taken, its probability under the policy that acted, its advantage and
/// its return.
public struct PPOSample: Sendable, Hashable {
    /// x_t.
    public var features: [Double]
    /// a_t.
    public var action: Int
    /// π_old(a_t | x_t), > 0.
    public var oldProbability: Double
    /// A_t (``AdvantageEstimation/gae(rewards:values:bootstrap:discounts:lambda:)``).
    public var advantage: Double
    /// R_t, the value target.
    public var returnValue: Double
    /// Creates a sample.
    public init(features: [Double], action: Int, oldProbability: Double, advantage: Double, returnValue: Double) {
        self.features = features
        self.action = action
        self.oldProbability = oldProbability
        self.advantage = advantage
        self.returnValue = returnValue
    }
}

/// The clipped surrogate L = mean_t min(ρ_t A_t, clip(ρ_t, 1 − ε, 1 + ε) A_t), ρ_t = π(a_t|x_t) / π_old(a_t|x_t),
/// maximised by gradient ascent, and the value loss mean (v(x_t) − R_t)², minimised.
public struct ClippedSurrogate: Sendable, Hashable {
    /// ε.
    public var clip = 0.2
    /// Step size of the policy.
    public var learningRate = 0.1
    /// Step size of the value baseline.
    public var valueLearningRate = 0.05
    /// The defaults of the PPO paper (ε = 0.2).
    public init() {}

    /// One sample's objective term.
    public func objective(ratio: Double, advantage: Double) -> Double {
        min(ratio * advantage, min(max(ratio, 1 - clip), 1 + clip) * advantage)
    }

    /// Whether the unclipped term is the minimum (else the gradient is zero).
    public func isActive(ratio: Double, advantage: Double) -> Bool {
        !((advantage > 0 && ratio > 1 + clip) || (advantage < 0 && ratio < 1 - clip))
    }

    /// L and its gradient with respect to W (row-major), over `samples`.
    public func objectiveAndGradient(_ policy: LinearSoftmaxPolicy, _ samples: [PPOSample]) -> (objective: Double, gradient: [Double]) {
        var gradient = Array(repeating: 0.0, count: policy.weights.count)
        var total = 0.0
        let n = Double(max(samples.count, 1))
        for s in samples {
            let p = policy.probabilities(s.features)
            let ratio = p[s.action] / s.oldProbability
            total += objective(ratio: ratio, advantage: s.advantage)
            guard isActive(ratio: ratio, advantage: s.advantage) else { continue }
            // ∂(ρA)/∂W_b = A ρ (1[b = a] − π_b) x.
            for b in 0..<policy.actions {
                let g = s.advantage * ratio * ((b == s.action ? 1 : 0) - p[b]) / n
                for j in 0..<policy.dimension { gradient[b * policy.dimension + j] += g * s.features[j] }
            }
        }
        return (total / n, gradient)
    }

    /// One ascent step of the policy and one descent step of the value baseline. - Returns: L before the step.
    @discardableResult
    public func step(_ policy: inout LinearSoftmaxPolicy, _ samples: [PPOSample]) -> Double {
        let (l, g) = objectiveAndGradient(policy, samples)
        for i in policy.weights.indices { policy.weights[i] += learningRate * g[i] }
        var valueGradient = Array(repeating: 0.0, count: policy.dimension)
        let n = Double(max(samples.count, 1))
        for s in samples {
            let error = policy.value(s.features) - s.returnValue
            for j in 0..<policy.dimension { valueGradient[j] += 2 * error * s.features[j] / n }
        }
        for j in 0..<policy.dimension { policy.valueWeights[j] -= valueLearningRate * valueGradient[j] }
        return l
    }
}

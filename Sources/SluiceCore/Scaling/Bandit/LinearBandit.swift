#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A disjoint linear contextual bandit (Li et al., "A Contextual-Bandit Approach to Personalized News Article
/// Recommendation", WWW'10 — LinUCB) with the discounting of Russac et al., "Weighted Linear Bandits for Non-Stationary
/// Environments" (NeurIPS'19), and linear Thompson sampling (Agrawal & Goyal, ICML'13) as the alternative learner.
///
/// Per arm a: `A_a = γ·A_a + x xᵀ + (1 − γ)·λ I`, `b_a = γ·b_a + r x`, `θ_a = A_a⁻¹ b_a`. LinUCB picks
/// `argmax θ_aᵀx + α √(xᵀ A_a⁻¹ x)`; Thompson sampling draws `θ̃ ~ N(θ_a, v² A_a⁻¹)` and picks `argmax θ̃ᵀx`.
/// Arms can be masked (a safety filter). Every decision is O(K d³) with d-dimensional contexts and K arms (d ≈ 12).
/// Deterministic for a seed.
public struct LinearBandit: Sendable {
    /// The learner.
    public enum Learner: String, Sendable, Hashable, CaseIterable {
        /// Upper confidence bounds.
        case linUCB = "linucb"
        /// Thompson sampling.
        case thompson
    }

    /// Learner knobs.
    public struct Parameters: Sendable, Hashable {
        /// The learner.
        public var learner = Learner.linUCB
        /// LinUCB's exploration width α.
        public var explorationWidth = 0.5
        /// Thompson sampling's posterior scale v.
        public var posteriorScale = 0.5
        /// Discount γ per update (1: stationary; 0.99 forgets with a horizon of about 100 updates).
        public var discount = 0.99
        /// Ridge regulariser λ.
        public var ridge = 1.0
        /// The defaults.
        public init() {}
    }

    /// Context dimension.
    public let dimension: Int
    /// Number of arms.
    public let armCount: Int
    /// The knobs.
    public let parameters: Parameters
    private var a: [[Double]]  // per arm, d×d row-major
    private var b: [[Double]]  // per arm, d
    private var rng: SplitMix64

    /// Creates a bandit with `arms` arms over `dimension`-dimensional contexts.
    public init(arms: Int, dimension: Int, parameters: Parameters = Parameters(), seed: UInt64) {
        self.dimension = dimension
        armCount = arms
        self.parameters = parameters
        var identity = Array(repeating: 0.0, count: dimension * dimension)
        for i in 0..<dimension { identity[i * dimension + i] = parameters.ridge }
        a = Array(repeating: identity, count: arms)
        b = Array(repeating: Array(repeating: 0, count: dimension), count: arms)
        rng = SplitMix64.stream(seed: seed, label: 0xBA4D17)
    }

    /// The arm to play for context `x` among those `allowed` (all when `nil`); ties go to `preferred` (a sane default
    /// configuration, tried first), else to the lowest index.
    public mutating func choose(_ x: [Double], allowed: [Bool]? = nil, preferred: Int? = nil) -> Int {
        var best = 0
        var bestScore = -Double.infinity
        for arm in 0..<armCount where allowed?[arm] ?? true {
            guard let l = CholeskySolver.factor(a[arm], dimension) else { continue }
            let theta = CholeskySolver.solve(l, b[arm], dimension)
            var score = 0.0
            switch parameters.learner {
            case .linUCB:
                let ax = CholeskySolver.solve(l, x, dimension)  // A⁻¹ x
                var mean = 0.0
                var width = 0.0
                for i in 0..<dimension {
                    mean += theta[i] * x[i]
                    width += x[i] * ax[i]
                }
                score = mean + parameters.explorationWidth * max(width, 0).squareRoot()
            case .thompson:
                // θ̃ = θ + v · L⁻ᵀ z, so that Cov = v² (L Lᵀ)⁻¹ = v² A⁻¹.
                var z = (0..<dimension).map { _ in gaussian() }
                CholeskySolver.backSubstituteTransposed(l, &z, dimension)
                for i in 0..<dimension { score += (theta[i] + parameters.posteriorScale * z[i]) * x[i] }
            }
            if score > bestScore || (score == bestScore && arm == preferred) {
                best = arm
                bestScore = score
            }
        }
        return best
    }

    /// Learns that `arm` earned `reward` in context `x`.
    public mutating func update(arm: Int, context x: [Double], reward: Double) {
        let d = dimension
        let g = parameters.discount
        for i in 0..<d {
            for j in 0..<d { a[arm][i * d + j] = g * a[arm][i * d + j] + x[i] * x[j] }
            a[arm][i * d + i] += (1 - g) * parameters.ridge
            b[arm][i] = g * b[arm][i] + reward * x[i]
        }
    }

    /// The current estimate θ_aᵀx of an arm's reward.
    public func estimate(arm: Int, context x: [Double]) -> Double {
        guard let l = CholeskySolver.factor(a[arm], dimension) else { return 0 }
        let theta = CholeskySolver.solve(l, b[arm], dimension)
        return zip(theta, x).reduce(0) { $0 + $1.0 * $1.1 }
    }

    private mutating func gaussian() -> Double {
        // Box–Muller.
        let u1 = max(rng.nextUnit(), .leastNonzeroMagnitude)
        let u2 = rng.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How request arrival times are produced.
public enum ArrivalSpec: Sendable, Hashable {
    /// The trace's own timestamps.
    case replay
    /// The trace's timestamps, time-scaled so the mean rate is `rate` requests/s (Poisson at `rate` for a trace
    /// without timestamps).
    case replayScaled(rate: Double)
    /// Poisson arrivals (exponential inter-arrival times) at `rate` requests/s.
    case poisson(rate: Double)
    /// Gamma inter-arrival times with mean `1/rate` and coefficient of variation `cv` (bursty for cv > 1), as in
    /// Sarathi-Serve's `gamma_request_interval_generator`.
    case gamma(rate: Double, cv: Double)
}

/// Generates inter-arrival times from a seeded generator.
struct InterArrivalGenerator {
    private var rng: SplitMix64
    private let rate: Double
    private let shape: Double  // gamma shape k = 1/cv² (1 for Poisson)

    /// Poisson at `rate`.
    init(poissonRate rate: Double, rng: SplitMix64) {
        self.rng = rng
        self.rate = rate
        shape = 1
    }

    /// Gamma with mean 1/rate and coefficient of variation `cv`.
    init(gammaRate rate: Double, cv: Double, rng: SplitMix64) {
        self.rng = rng
        self.rate = rate
        shape = 1 / (cv * cv)
    }

    /// The next gap, seconds.
    mutating func next() -> Double {
        if shape == 1 { return -log(1 - rng.nextUnit()) / rate }
        // Gamma(k, θ) with θ = 1/(rate·k) has mean 1/rate and cv 1/√k.
        return sampleGamma(shape: shape) / (rate * shape)
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang (ACM TOMS 2000), with the `shape < 1` boost u^(1/shape).
    private mutating func sampleGamma(shape k: Double) -> Double {
        if k < 1 {
            let u = max(rng.nextUnit(), .leastNonzeroMagnitude)
            return sampleGamma(shape: k + 1) * pow(u, 1 / k)
        }
        let d = k - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = standardNormal()
            var v = 1 + c * x
            if v <= 0 { continue }
            v = v * v * v
            let u = rng.nextUnit()
            if log(max(u, .leastNonzeroMagnitude)) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// A standard normal draw (Box–Muller).
    private mutating func standardNormal() -> Double {
        let u1 = max(rng.nextUnit(), .leastNonzeroMagnitude)
        let u2 = rng.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

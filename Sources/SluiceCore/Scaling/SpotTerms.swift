/// A replica rented as spot (preemptible) capacity: billed at the GPU's spot price, and reclaimed by the provider at
/// random, as a Poisson process of `interruptionsPerHour` while it is provisioned. A reclaimed replica loses its
/// requests (those not yet streaming are dispatched again; streaming ones fail) and a replacement starts cold.
public struct SpotTerms: Sendable, Hashable {
    /// Reclaims per hour of provisioned time.
    public var interruptionsPerHour: Double

    /// Creates spot terms.
    public init(interruptionsPerHour: Double = 0) { self.interruptionsPerHour = interruptionsPerHour }
}

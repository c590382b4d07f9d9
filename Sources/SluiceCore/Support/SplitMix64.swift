/// A small, fast, seedable random number generator (SplitMix64, Steele, Lea & Flood, OOPSLA 2014).
///
/// Everything random in Sluice draws from a generator seeded by the run's `--seed`, so a run is reproducible.
/// Never use the system generator inside the core.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        nextValue()
    }

    @usableFromInline
    mutating func nextValue() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(nextValue() >> 11) * 0x1.0p-53
    }

    /// A generator for an independent stream derived from this seed and a label (e.g. arrivals vs routing).
    public static func stream(seed: UInt64, label: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (label &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }
}

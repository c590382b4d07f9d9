/// Measured per-layer time of a transformer's token-level operators (the GEMMs, norms, rotary embedding,
/// activation and residual add) by number of tokens in the step, on one GPU shard at one tensor-parallel degree.
///
/// The data of Vidur's `mlp.csv` profiles (microsoft/vidur `data/profiling/compute/<gpu>/<model>/mlp.csv`,
/// SIMULATION.md §1.1), which ``ProfileTableStepTimeModel`` turns into a dense lookup table.
///
/// Invariants (checked by the initializer): at least two distinct token counts, all ≥ 1; times finite and ≥ 0;
/// ``tokenCounts`` strictly increasing with ``perLayerSeconds`` in the same order.
public struct LinearOperatorProfile: Sendable, Hashable {
    /// Profiled token counts, strictly increasing.
    public let tokenCounts: [Int]
    /// Per-layer time at each of ``tokenCounts``, seconds (repeated measurements of a count are averaged).
    public let perLayerSeconds: [Double]
    /// Tensor-parallel degree the profile was taken at.
    public let tensorParallel: Int
    /// Where the data comes from (a file name), for messages.
    public let source: String

    /// Builds a profile from samples in any order; samples with the same token count are averaged.
    /// - Parameters:
    ///   - tokenCounts: tokens in the profiled step, one per sample.
    ///   - perLayerSeconds: per-layer time of each sample, seconds.
    ///   - tensorParallel: tensor-parallel degree of the profile.
    ///   - source: where the data comes from.
    /// - Throws: ``SluiceError`` when the arrays differ in length, hold fewer than two distinct token counts, a
    ///   count below 1, or a negative or non-finite time.
    public init(tokenCounts: [Int], perLayerSeconds: [Double], tensorParallel: Int, source: String) throws(SluiceError)
    {
        guard tokenCounts.count == perLayerSeconds.count else {
            throw .invalidValue(
                field: "\(source) samples", value: "\(tokenCounts.count) token counts, \(perLayerSeconds.count) times",
                allowed: "one time per token count")
        }
        guard tensorParallel >= 1 else {
            throw .invalidValue(
                field: "\(source) tensor parallel", value: "\(tensorParallel)", allowed: "a degree >= 1")
        }
        var sums: [Int: (total: Double, count: Int)] = [:]
        for (tokens, seconds) in zip(tokenCounts, perLayerSeconds) {
            guard tokens >= 1 else {
                throw .invalidValue(field: "\(source) num_tokens", value: "\(tokens)", allowed: "a token count >= 1")
            }
            guard seconds >= 0, seconds.isFinite else {
                throw .invalidValue(
                    field: "\(source) time at \(tokens) tokens", value: "\(seconds)", allowed: "a finite time >= 0")
            }
            let old = sums[tokens] ?? (0, 0)
            sums[tokens] = (old.total + seconds, old.count + 1)
        }
        guard sums.count >= 2 else {
            throw .invalidValue(
                field: "\(source) samples", value: "\(sums.count) token counts",
                allowed: "at least two distinct token counts")
        }
        let sorted = sums.keys.sorted()
        self.tokenCounts = sorted
        self.perLayerSeconds = sorted.map { sums[$0].map { $0.total / Double($0.count) } ?? 0 }
        self.tensorParallel = tensorParallel
        self.source = source
    }

    /// Largest profiled token count.
    public var maxTokens: Int { tokenCounts[tokenCounts.count - 1] }

    /// ``perLayerSeconds`` made non-decreasing in tokens by isotonic regression (pool adjacent violators, Ayer et
    /// al., Ann. Math. Statist. 26(4), 1955): kernel timings jitter by a few percent between neighbouring token
    /// counts (GEMM tile effects, e.g. 96 → 104 tokens in Vidur's H100 Llama-2-7B profile), and a step-time model
    /// where more tokens can cost less would mislead token-budget schedulers.
    /// - Complexity: O(n).
    public var monotonePerLayerSeconds: [Double] {
        var blocks: [(mean: Double, count: Int)] = []
        for value in perLayerSeconds {
            blocks.append((value, 1))
            while blocks.count >= 2, blocks[blocks.count - 2].mean > blocks[blocks.count - 1].mean {
                let b = blocks.removeLast()
                let a = blocks.removeLast()
                let count = a.count + b.count
                blocks.append(((a.mean * Double(a.count) + b.mean * Double(b.count)) / Double(count), count))
            }
        }
        return blocks.flatMap { [Double](repeating: $0.mean, count: $0.count) }
    }
}

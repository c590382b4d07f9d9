/// The paged KV cache of one replica, as a count of free blocks (vLLM's block manager without block identity;
/// prefix sharing is not modelled here).
///
/// Invariant: `0 <= freeBlocks <= totalBlocks`; the blocks held by live sequences plus `freeBlocks` equal
/// `totalBlocks` at all times (checked by the simulator's tests at the end of every run).
public struct KVBlockPool: Sendable, Hashable {
    /// Blocks in the cache.
    public let totalBlocks: Int
    /// Tokens per block.
    public let blockSizeTokens: Int
    /// Blocks kept free when admitting new requests (vLLM v0 / Vidur watermark).
    public let watermarkBlocks: Int
    /// Blocks not held by any sequence.
    public private(set) var freeBlocks: Int

    /// Creates an empty pool.
    public init(totalBlocks: Int, blockSizeTokens: Int, watermarkFraction: Double) {
        self.totalBlocks = totalBlocks
        self.blockSizeTokens = blockSizeTokens
        self.watermarkBlocks = Int((Double(totalBlocks) * watermarkFraction).rounded(.down))
        self.freeBlocks = totalBlocks
    }

    /// Blocks needed to hold `tokens` tokens.
    @inlinable
    public func blocks(forTokens tokens: Int) -> Int {
        (tokens + blockSizeTokens - 1) / blockSizeTokens
    }

    /// Blocks in use.
    @inlinable public var usedBlocks: Int { totalBlocks - freeBlocks }

    /// Fraction of blocks in use (0...1).
    @inlinable public var utilization: Double { Double(totalBlocks - freeBlocks) / Double(totalBlocks) }

    /// Takes `count` blocks if that many are free (keeping `reserve` more free). - Returns: whether it did.
    public mutating func take(_ count: Int, keepingFree reserve: Int = 0) -> Bool {
        guard count <= freeBlocks - reserve else { return false }
        freeBlocks -= count
        return true
    }

    /// Returns `count` blocks to the pool.
    public mutating func give(_ count: Int) {
        freeBlocks += count
        assert(freeBlocks <= totalBlocks, "KV blocks returned twice")
    }
}

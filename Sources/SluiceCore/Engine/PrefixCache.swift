import HeapModule

/// Automatic prefix caching (vLLM's APC; Mooncake's KV reuse): KV of prompt blocks that finished requests computed
/// stays in the cache, keyed by the block's hash (a trace's `hash_ids`, one per `tokensPerHash` prompt tokens; equal
/// hashes mean an equal prefix), and a new request whose prompt starts with cached blocks skips their prefill.
///
/// Cached blocks live in the engine's *free* KV space (vLLM keeps them in the free list, evictable): the cache holds at
/// most what is free, and when allocations shrink the free space the policy evicts entries. Sharing a block between
/// running requests is not modelled (each request allocates its own KV), so memory savings are understated and compute
/// savings are exact. Evictions follow `policy`: least recently used (vLLM) or least frequently used.
///
/// Lookups and insertions are O(log n) (a heap with lazy deletion beside a dictionary).
public struct PrefixCache: Sendable {
    /// Which entry goes first when space is needed.
    public enum EvictionPolicy: String, Sendable, Hashable, CaseIterable {
        /// Least recently used (vLLM's default).
        case lru
        /// Least frequently used, then least recently.
        case lfu
    }

    private struct Entry: Sendable {
        var lastUse: UInt64
        var uses: UInt64
    }

    private struct Candidate: Comparable, Sendable {
        var primary: UInt64
        var secondary: UInt64
        var hash: UInt64
        static func < (a: Candidate, b: Candidate) -> Bool { (a.primary, a.secondary, a.hash) < (b.primary, b.secondary, b.hash) }
    }

    /// Prompt tokens per hash (512 in the Mooncake traces).
    public let tokensPerHash: Int
    /// The eviction policy.
    public var policy: EvictionPolicy
    private var entries: [UInt64: Entry] = [:]
    private var order = Heap<Candidate>()
    private var clock: UInt64 = 0
    /// Lookups and prompt tokens they found cached, since creation.
    public private(set) var lookups = 0
    /// Prompt tokens looked up.
    public private(set) var lookedUpTokens = 0
    /// Prompt tokens found cached.
    public private(set) var hitTokens = 0

    /// The default hash granularity, tokens (Mooncake's traces).
    public static let defaultTokensPerHash = 512

    /// Creates an empty cache.
    public init(tokensPerHash: Int = PrefixCache.defaultTokensPerHash, policy: EvictionPolicy = .lru) {
        self.tokensPerHash = tokensPerHash
        self.policy = policy
    }

    /// Entries held.
    public var count: Int { entries.count }

    /// Share of looked-up prompt tokens found cached.
    public var hitRatio: Double { lookedUpTokens > 0 ? Double(hitTokens) / Double(lookedUpTokens) : 0 }

    private func candidate(_ hash: UInt64, _ e: Entry) -> Candidate {
        switch policy {
        case .lru: Candidate(primary: e.lastUse, secondary: 0, hash: hash)
        case .lfu: Candidate(primary: e.uses, secondary: e.lastUse, hash: hash)
        }
    }

    private mutating func touch(_ hash: UInt64) {
        clock &+= 1
        var e = entries[hash] ?? Entry(lastUse: 0, uses: 0)
        e.lastUse = clock
        e.uses &+= 1
        entries[hash] = e
        order.insert(candidate(hash, e))
    }

    /// Prompt tokens of `hashes` (a prompt of `promptTokens`) already cached: the longest cached prefix, at most the
    /// prompt less one token (the last token is always computed, to sample from). Touches the entries it uses.
    public mutating func cachedPrefixTokens(_ hashes: [UInt64], promptTokens: Int) -> Int {
        guard !hashes.isEmpty else { return 0 }
        lookups += 1
        lookedUpTokens += promptTokens
        var matched = 0
        for h in hashes {
            guard entries[h] != nil else { break }
            touch(h)
            matched += 1
        }
        let tokens = min(matched * tokensPerHash, promptTokens - 1)
        hitTokens += max(tokens, 0)
        return max(tokens, 0)
    }

    /// The cached prefix length without touching anything (for routers).
    public func peekPrefixTokens(_ hashes: [UInt64], promptTokens: Int) -> Int {
        var matched = 0
        for h in hashes {
            guard entries[h] != nil else { break }
            matched += 1
        }
        return max(0, min(matched * tokensPerHash, promptTokens - 1))
    }

    /// Caches the full prompt blocks of a finished (or preempted) request, then evicts down to `capacityTokens`.
    public mutating func insert(_ hashes: [UInt64], promptTokens: Int, capacityTokens: Int) {
        let full = min(hashes.count, promptTokens / tokensPerHash)
        for h in hashes.prefix(full) { touch(h) }
        evict(toCapacityTokens: capacityTokens)
    }

    /// Evicts entries until they fit in `capacityTokens`.
    public mutating func evict(toCapacityTokens capacityTokens: Int) {
        let maxEntries = max(0, capacityTokens / tokensPerHash)
        while entries.count > maxEntries, let c = order.popMin() {
            guard let e = entries[c.hash], candidate(c.hash, e) == c else { continue }  // stale heap entry
            entries[c.hash] = nil
        }
        // Keep the heap from growing without bound with stale entries.
        if order.count > 4 * max(entries.count, 64) {
            order = Heap(entries.map { candidate($0.key, $0.value) })
        }
    }
}

import SluiceCore
import Testing

struct PrefixCacheTests {
    @Test func hitsAreTheLongestCachedPrefixShortOfTheLastToken() {
        var cache = PrefixCache(tokensPerHash: 512)
        cache.insert([1, 2, 3], promptTokens: 1536, capacityTokens: 100_000)
        #expect(cache.cachedPrefixTokens([1, 2, 9], promptTokens: 2000) == 1024)
        #expect(cache.cachedPrefixTokens([9, 1, 2], promptTokens: 2000) == 0, "a prefix, not any block")
        #expect(cache.cachedPrefixTokens([1, 2, 3], promptTokens: 1536) == 1535, "the last token is always computed")
        // Only full blocks of a prompt are cached.
        cache.insert([7, 8], promptTokens: 700, capacityTokens: 100_000)
        #expect(cache.peekPrefixTokens([7, 8], promptTokens: 5000) == 512)
        #expect(cache.hitRatio > 0)
    }

    @Test(arguments: PrefixCache.EvictionPolicy.allCases)
    func evictionKeepsWithinCapacityByPolicy(policy: PrefixCache.EvictionPolicy) {
        var cache = PrefixCache(tokensPerHash: 100, policy: policy)
        cache.insert([1], promptTokens: 100, capacityTokens: 10_000)
        cache.insert([2], promptTokens: 100, capacityTokens: 10_000)
        for _ in 0..<5 { _ = cache.cachedPrefixTokens([1], promptTokens: 1000) }  // 1: frequent, and used last but one
        cache.insert([3], promptTokens: 100, capacityTokens: 10_000)              // 3: most recent, used once
        cache.evict(toCapacityTokens: 200)
        #expect(cache.count == 2)
        cache.evict(toCapacityTokens: 100)
        #expect(cache.count == 1)
        switch policy {
        case .lru: #expect(cache.peekPrefixTokens([3], promptTokens: 1000) == 100, "the most recent stays")
        case .lfu: #expect(cache.peekPrefixTokens([1], promptTokens: 1000) == 100, "the most used stays")
        }
    }
}

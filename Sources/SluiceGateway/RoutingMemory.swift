/// What the gateway remembers for routing, bounded: the prompt-prefix blocks each upstream has seen (a proxy for its
/// prefix cache, so `prefix-affinity` sees cached tokens as in the simulator) and the upstream each session last used
/// (`x-sluice-session-id` affinity). Both forget their oldest entries first; memory is fixed by the two capacities.
struct RoutingMemory: Sendable {
    /// Prefix blocks remembered per upstream (at 64 tokens a block, the default keeps about 0.5 M prompt tokens each).
    static let blocksPerUpstream = 8192
    /// Sessions remembered.
    static let sessions = 65_536

    private var blocks: [BoundedSet]
    private var sessionUpstream: [String: Int] = [:]
    private var sessionOrder: [String] = []
    private var sessionNext = 0

    init(upstreams: Int) {
        blocks = Array(repeating: BoundedSet(capacity: Self.blocksPerUpstream), count: upstreams)
    }

    /// Leading blocks of `hashes` that upstream `u` has seen.
    func cachedBlocks(_ u: Int, _ hashes: [UInt64]) -> Int {
        var n = 0
        for h in hashes {
            guard blocks[u].contains(h) else { break }
            n += 1
        }
        return n
    }

    /// Upstream `u` took a request with prompt blocks `hashes` (and session `session`).
    mutating func record(_ u: Int, hashes: [UInt64], session: String?) {
        for h in hashes { blocks[u].insert(h) }
        guard let session else { return }
        if sessionUpstream.updateValue(u, forKey: session) == nil {
            if sessionOrder.count < Self.sessions {
                sessionOrder.append(session)
            } else {
                sessionUpstream.removeValue(forKey: sessionOrder[sessionNext])
                sessionOrder[sessionNext] = session
                sessionNext = (sessionNext + 1) % Self.sessions
            }
        }
    }

    /// The upstream `session` last used, if remembered.
    func upstream(ofSession session: String) -> Int? { sessionUpstream[session] }

    /// A set of at most `capacity` hashes that forgets the oldest first.
    struct BoundedSet: Sendable {
        let capacity: Int
        private var members = Set<UInt64>()
        private var order: [UInt64] = []
        private var next = 0
        init(capacity: Int) { self.capacity = capacity }
        func contains(_ h: UInt64) -> Bool { members.contains(h) }
        mutating func insert(_ h: UInt64) {
            guard members.insert(h).inserted else { return }
            if order.count < capacity {
                order.append(h)
            } else {
                members.remove(order[next])
                order[next] = h
                next = (next + 1) % capacity
            }
        }
    }
}

/// Chained FNV-1a hashes of a prompt's full blocks of `blockBytes` bytes: block i's hash covers every byte before its
/// end, so equal hashes mean equal prefixes (as vLLM's prefix-cache block hashes do, over text instead of token ids).
enum PromptPrefix {
    /// Bytes per block: about 64 tokens of English text.
    static let blockBytes = 256
    /// Blocks hashed at most (the first 256 KB of a prompt).
    static let maxBlocks = 1024
    /// Tokens a block stands for (at the gateway's estimate of characters per token).
    static var blockTokens: Int { blockBytes / Gateway.charactersPerToken }

    static func blockHashes(_ text: some Sequence<UInt8>) -> [UInt64] {
        var hashes: [UInt64] = []
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var inBlock = 0
        for byte in text {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            inBlock += 1
            if inBlock == blockBytes {
                hashes.append(h)
                inBlock = 0
                if hashes.count == maxBlocks { break }
            }
        }
        return hashes
    }
}

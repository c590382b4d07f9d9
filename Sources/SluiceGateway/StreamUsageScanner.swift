import NIOCore

/// Reads what a streamed (SSE) answer used, as its bytes pass through, without buffering or parsing JSON: it counts
/// `data:` events (one per token chunk on vLLM, SGLang and llama.cpp, less the final `[DONE]`) and picks up the
/// `prompt_tokens` / `completion_tokens` of a `usage` object when the engine sends one (vLLM with
/// `stream_options.include_usage`). Patterns split across network chunks are matched all the same.
struct StreamUsageScanner: Sendable {
    /// `data:` events seen, `[DONE]` excluded.
    private(set) var events = 0
    /// `completion_tokens` of the last usage object, if any.
    private(set) var reportedCompletionTokens: Int?
    /// `prompt_tokens` of the last usage object, if any.
    private(set) var reportedPromptTokens: Int?

    private var dataMatcher = Matcher(Array("data:".utf8))
    private var doneMatcher = Matcher(Array("[DONE]".utf8))
    private var completionMatcher = Matcher(Array("\"completion_tokens\":".utf8))
    private var promptMatcher = Matcher(Array("\"prompt_tokens\":".utf8))
    private var number: (value: Int, completion: Bool)?
    private var started = false
    private var atLineStart = true

    /// Output tokens: the engine's usage when it reported one, else the events counted.
    var completionTokens: Int { reportedCompletionTokens ?? events }

    /// A literal matched incrementally (none of the patterns has a proper border, so a mismatch restarts cleanly).
    struct Matcher: Sendable {
        let pattern: [UInt8]
        var matched = 0
        init(_ pattern: [UInt8]) { self.pattern = pattern }
        /// Feeds a byte. - Returns: whether the pattern just completed.
        mutating func feed(_ byte: UInt8) -> Bool {
            if pattern[matched] == byte {
                matched += 1
                if matched == pattern.count {
                    matched = 0
                    return true
                }
                return false
            }
            matched = pattern[0] == byte ? 1 : 0
            return false
        }
    }

    /// Scans the next chunk of the stream.
    mutating func scan(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes { feed(byte) }
        }
    }

    /// A reported token count this large or larger is not believed (no context window holds 100 M tokens).
    static let implausibleTokens = 100_000_000

    private static let newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")

    private mutating func feed(_ byte: UInt8) {
        if var n = number {
            if byte >= 0x30 && byte <= 0x39 {
                // Saturates instead of wrapping: a count near 2^64 must not become negative (and give budget back).
                n.value = min(Self.implausibleTokens, n.value * 10 + Int(byte - 0x30))
                number = n
                started = true
                return
            }
            if byte == Self.space && !started { return }
            // An implausible count is ignored: the events counted (or the reservation) stand instead.
            let value = n.value < Self.implausibleTokens ? n.value : nil
            if n.completion { reportedCompletionTokens = value } else { reportedPromptTokens = value }
            number = nil
            started = false
        }
        if atLineStart || dataMatcher.matched > 0 {
            if dataMatcher.feed(byte) { events += 1 }
        }
        if doneMatcher.feed(byte) { events = max(0, events - 1) }
        if completionMatcher.feed(byte) { number = (0, true) }
        if promptMatcher.feed(byte) { number = (0, false) }
        atLineStart = byte == Self.newline
    }
}

import Foundation
import HTTPTypes

extension Gateway {
    /// The checked essentials of an OpenAI request body.
    struct Parsed {
        var model: String
        var stream: Bool
        var promptTokensEstimate: Int
        /// The output-token limit the upstream will honour: the smaller of `max_tokens` and `max_completion_tokens`,
        /// or ``GatewayLimits/defaultMaxTokens`` when neither is set.
        var maxTokens: Int
        /// The body to forward when it must say `max_tokens` itself (`nil`: forward the client's bytes unchanged).
        var normalizedBody: Data?
        /// The prompt's prefix blocks (``PromptPrefix``), for `prefix-affinity`.
        var prefixHashes: [UInt64] = []
    }

    /// Largest `max_tokens` accepted.
    static let maxTokensLimit = 1_000_000
    /// Characters per token for the prompt-length estimate routers see (English text averages about 4).
    static let charactersPerToken = 4

    /// A JSON integer: an `NSNumber` holding an integer type. JSON `true` is an `NSNumber` too (and `as? Int` gives 1
    /// on Linux), and `1.5` or `1e3` are doubles; neither is an integer here.
    static func jsonInteger(_ value: Any) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        switch UInt8(bitPattern: n.objCType.pointee) {
        case UInt8(ascii: "c"), UInt8(ascii: "B"), UInt8(ascii: "d"), UInt8(ascii: "f"): return nil
        default: return value as? Int
        }
    }

    /// A JSON boolean (`true`/`false`, not `1`/`0`).
    static func jsonBool(_ value: Any) -> Bool? {
        guard let n = value as? NSNumber else { return nil }
        let type = UInt8(bitPattern: n.objCType.pointee)
        return type == UInt8(ascii: "c") || type == UInt8(ascii: "B") ? n.boolValue : nil
    }

    /// Checks a request body and normalises its output-token limit. - Throws: ``OpenAIError`` naming the bad field.
    /// `hashPrefixes`: compute the prompt's prefix blocks (only a router that reads them needs the work).
    static func parse(_ data: Data, path: String, limits: GatewayLimits = GatewayLimits(), hashPrefixes: Bool = true) throws(OpenAIError) -> Parsed {
        guard let object = try? JSONSerialization.jsonObject(with: data), var body = object as? [String: Any] else {
            throw OpenAIError(.badRequest, "the request body is not a JSON object", code: "invalid_json")
        }
        guard let model = body["model"] as? String, !model.isEmpty else {
            throw OpenAIError(.badRequest, "field 'model' is required and must be a non-empty string", code: "invalid_model")
        }
        guard model.utf8.count <= limits.maxModelNameBytes else {
            throw OpenAIError(.badRequest, "field 'model' is \(model.utf8.count) bytes long; at most \(limits.maxModelNameBytes)", code: "invalid_model")
        }
        var stream = false
        if let s = body["stream"] {
            guard let b = jsonBool(s) else { throw OpenAIError(.badRequest, "field 'stream' must be a boolean (true or false)", code: "invalid_stream") }
            stream = b
        }
        var limitsGiven: [String: Int] = [:]
        for key in ["max_tokens", "max_completion_tokens"] {
            guard let v = body[key], !(v is NSNull) else { continue }
            guard let n = jsonInteger(v), (1...Self.maxTokensLimit).contains(n) else {
                throw OpenAIError(.badRequest, "field '\(key)' must be an integer in 1...\(Self.maxTokensLimit)", code: "invalid_max_tokens")
            }
            limitsGiven[key] = n
        }
        let maxTokens = limitsGiven.values.min() ?? limits.defaultMaxTokens
        var normalizedBody: Data?
        if limitsGiven["max_tokens"] != maxTokens || (limitsGiven.count == 2 && limitsGiven["max_completion_tokens"] != maxTokens) {
            // Engines differ in which field they honour: forward one limit, in both fields where the client sent both.
            if body["max_tokens"] == nil, let brace = data.firstIndex(of: UInt8(ascii: "{")) {
                // The common case, no `max_tokens` key at all: insert it after the object's opening brace (the object
                // has at least `model`, so a comma follows), without re-encoding the body.
                var bytes = data
                bytes.insert(contentsOf: Array(#""max_tokens":\#(maxTokens),"#.utf8), at: brace + 1)
                normalizedBody = bytes
            } else {
                body["max_tokens"] = maxTokens
                if limitsGiven["max_completion_tokens"] != nil { body["max_completion_tokens"] = maxTokens }
                normalizedBody = try? JSONSerialization.data(withJSONObject: body)
            }
        }
        let chat = path.hasSuffix("chat/completions")
        let characters = chat ? try chatCharacters(body) : try promptCharacters(body)
        return Parsed(
            model: model, stream: stream, promptTokensEstimate: max(1, characters.tokens + characters.characters / Self.charactersPerToken),
            maxTokens: maxTokens, normalizedBody: normalizedBody,
            prefixHashes: hashPrefixes ? PromptPrefix.blockHashes(prefixText(body, chat: chat)) : [])
    }

    /// The text a prompt's prefix blocks are hashed over: each message's role and text in order, or the prompt (token
    /// ids as decimal text).
    static func prefixText(_ body: [String: Any], chat: Bool) -> [UInt8] {
        var text: [UInt8] = []
        let cap = PromptPrefix.maxBlocks * PromptPrefix.blockBytes
        func add(_ s: String) { if text.count < cap { text.append(contentsOf: s.utf8.prefix(cap - text.count)) } }
        if chat, let messages = body["messages"] as? [[String: Any]] {
            for m in messages {
                add((m["role"] as? String ?? "") + "\u{1}")
                if let c = m["content"] as? String { add(c) } else if let parts = m["content"] as? [[String: Any]] {
                    for p in parts { add(p["text"] as? String ?? "") }
                }
                add("\u{2}")
            }
        } else if let s = body["prompt"] as? String {
            add(s)
        } else if let items = body["prompt"] as? [Any] {
            for item in items { add("\(item),") }
        }
        return text
    }

    /// The text characters of a chat request's messages (string content, or the text parts of an array).
    static func chatCharacters(_ body: [String: Any]) throws(OpenAIError) -> (characters: Int, tokens: Int) {
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
            throw OpenAIError(.badRequest, "field 'messages' must be a non-empty array of objects", code: "invalid_messages")
        }
        var characters = 0
        for (i, m) in messages.enumerated() {
            guard m["role"] is String else { throw OpenAIError(.badRequest, "messages[\(i)].role must be a string", code: "invalid_messages") }
            if let c = m["content"] as? String {
                characters += c.utf8.count
            } else if let parts = m["content"] as? [[String: Any]] {
                for p in parts { characters += (p["text"] as? String)?.utf8.count ?? 0 }
            }
        }
        return (characters, 0)
    }

    /// A completion request's prompt: a string, strings, token ids, or arrays of token ids (as OpenAI accepts).
    static func promptCharacters(_ body: [String: Any]) throws(OpenAIError) -> (characters: Int, tokens: Int) {
        guard let prompt = body["prompt"] else { throw OpenAIError(.badRequest, "field 'prompt' is required", code: "invalid_prompt") }
        if let s = prompt as? String { return (s.utf8.count, 0) }
        guard let items = prompt as? [Any], !items.isEmpty else {
            throw OpenAIError(
                .badRequest, "field 'prompt' must be a string, an array of strings, an array of token ids or an array of such arrays",
                code: "invalid_prompt")
        }
        var characters = 0
        var tokens = 0
        for (i, item) in items.enumerated() {
            if let s = item as? String {
                characters += s.utf8.count
            } else if let id = jsonInteger(item), id >= 0 {
                tokens += 1
            } else if let ids = item as? [Any], !ids.isEmpty, ids.allSatisfy({ (jsonInteger($0) ?? -1) >= 0 }) {
                tokens += ids.count
            } else {
                throw OpenAIError(
                    .badRequest, "prompt[\(i)] must be a string, a token id (integer >= 0) or a non-empty array of token ids", code: "invalid_prompt")
            }
        }
        return (characters, tokens)
    }
}

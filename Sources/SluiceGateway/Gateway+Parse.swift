import Foundation
import HTTPTypes

extension Gateway {
    /// The checked essentials of an OpenAI request body.
    struct Parsed {
        var model: String
        var stream: Bool
        var promptTokensEstimate: Int
        var maxTokens: Int?
    }

    /// Output tokens assumed for a budget reservation when the request sets no `max_tokens`.
    static let budgetDefaultMaxTokens = 1024
    /// Largest `max_tokens` accepted.
    static let maxTokensLimit = 1_000_000
    /// Characters per token for the prompt-length estimate routers see (English text averages about 4).
    static let charactersPerToken = 4

    /// Checks a request body. - Throws: ``OpenAIError`` naming the bad field.
    static func parse(_ data: Data, path: String) throws(OpenAIError) -> Parsed {
        guard let object = try? JSONSerialization.jsonObject(with: data), let body = object as? [String: Any] else {
            throw OpenAIError(.badRequest, "the request body is not a JSON object", code: "invalid_json")
        }
        guard let model = body["model"] as? String, !model.isEmpty else {
            throw OpenAIError(.badRequest, "field 'model' is required and must be a non-empty string", code: "invalid_model")
        }
        var stream = false
        if let s = body["stream"] {
            guard let b = s as? Bool else { throw OpenAIError(.badRequest, "field 'stream' must be a boolean", code: "invalid_stream") }
            stream = b
        }
        var maxTokens: Int?
        for key in ["max_tokens", "max_completion_tokens"] {
            guard let v = body[key] else { continue }
            guard let n = v as? Int, !(v is Bool), (1...Self.maxTokensLimit).contains(n) else {
                throw OpenAIError(.badRequest, "field '\(key)' must be an integer in 1...\(Self.maxTokensLimit)", code: "invalid_max_tokens")
            }
            maxTokens = n
        }
        var characters = 0
        if path.hasSuffix("chat/completions") {
            guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
                throw OpenAIError(.badRequest, "field 'messages' must be a non-empty array of objects", code: "invalid_messages")
            }
            for (i, m) in messages.enumerated() {
                guard m["role"] is String else { throw OpenAIError(.badRequest, "messages[\(i)].role must be a string", code: "invalid_messages") }
                if let c = m["content"] as? String { characters += c.count }
            }
        } else {
            guard let prompt = body["prompt"] else { throw OpenAIError(.badRequest, "field 'prompt' is required", code: "invalid_prompt") }
            guard prompt is String || prompt is [String] else {
                throw OpenAIError(.badRequest, "field 'prompt' must be a string or an array of strings", code: "invalid_prompt")
            }
            characters = (prompt as? String)?.count ?? (prompt as? [String])?.reduce(0) { $0 + $1.count } ?? 0
        }
        return Parsed(model: model, stream: stream, promptTokensEstimate: max(1, characters / Self.charactersPerToken), maxTokens: maxTokens)
    }
}

import Foundation
public import Hummingbird
import HTTPTypes
import NIOCore
import SluiceCore

/// The OpenAI-compatible HTTP face of an ``EmulatedEngine``: `POST /v1/chat/completions` and `/v1/completions`
/// (streamed token by token as SSE, or whole), `GET /v1/models`, `/health`, and `GET /metrics` with vLLM's metric
/// names and HELP texts (`vllm:num_requests_running`, `vllm:num_requests_waiting`, `vllm:kv_cache_usage_perc`,
/// `vllm:cache_config_info`, `vllm:num_preemptions_total`, `vllm:prompt_tokens_total`, `vllm:generation_tokens_total`,
/// `vllm:request_success_total`, and the histograms `vllm:time_to_first_token_seconds` and
/// `vllm:time_per_output_token_seconds` with vLLM's buckets), so a gateway or a dashboard reads it as it reads vLLM.
///
/// The answer's text is one short word per token; its length is the request's `max_tokens` (or
/// `max_completion_tokens`), else ``defaultOutputTokens``, capped by the engine's limits. Prompt tokens are estimated as
/// one per ``charactersPerToken`` characters.
public struct EngineServer: Sendable {
    /// The engine.
    public let engine: EmulatedEngine
    /// Model name served (what clients put in `model`).
    public let servedModelName: String
    /// Output tokens when a request sets no `max_tokens`.
    public let defaultOutputTokens: Int
    /// Characters per prompt token.
    public static let charactersPerToken = 4

    /// Creates the server.
    public init(engine: EmulatedEngine, servedModelName: String, defaultOutputTokens: Int) {
        self.engine = engine
        self.servedModelName = servedModelName
        self.defaultOutputTokens = defaultOutputTokens
    }

    /// The application listening on `host:port`; `onServerRunning` is told the bound port.
    public func application(host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in Response(status: .ok) }
        router.get("/v1/models") { _, _ in
            Self.json(#"{"object":"list","data":[{"id":"\#(servedModelName)","object":"model","owned_by":"sluice-engine"}]}"#)
        }
        router.get("/metrics") { _, _ in
            let s = await engine.snapshot()
            let m = "model_name=\"\(servedModelName)\""
            var text = ""
            func series(_ name: String, _ type: String, _ help: String, _ labels: String, _ value: String) {
                text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name){\(labels)} \(value)\n"
            }
            series("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", m, "\(s.running)")
            series("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", m, "\(s.waiting)")
            series("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", m, "\(s.kvUsage)")
            series("vllm:cache_config_info", "gauge", "Information of the KV cache configuration.",
                   "block_size=\"\(s.blockSizeTokens)\",num_gpu_blocks=\"\(s.blocks)\"", "1")
            series("vllm:num_preemptions_total", "counter", "Cumulative number of preemptions from the engine.", m, "\(s.preemptions)")
            series("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", m, "\(s.promptTokens)")
            series("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", m, "\(s.generationTokens)")
            series("vllm:request_success_total", "counter", "Count of successfully processed requests.", m, "\(s.finished)")
            text += s.ttft.render(name: "vllm:time_to_first_token_seconds", help: "Histogram of time to first token in seconds.", labels: m)
            text += s.interToken.render(
                name: "vllm:time_per_output_token_seconds", help: "Histogram of time per output token in seconds.", labels: m)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/v1/chat/completions") { request, _ in await complete(request, chat: true) }
        router.post("/v1/completions") { request, _ in await complete(request, chat: false) }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "sluice-engine"),
            onServerRunning: { await onServerRunning($0.localAddress?.port ?? 0) })
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, code: String) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: ["error": ["message": message, "type": "invalid_request_error", "code": code]]))
            ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The word sent for output token `index`.
    static func word(_ index: Int) -> String { index == 1 ? "tok" : " tok" }

    func complete(_ request: Request, chat: Bool) async -> Response {
        guard let body = try? await request.body.collect(upTo: 8 << 20),
              let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] else {
            return Self.error(.badRequest, "the request body is not a JSON object", code: "invalid_json")
        }
        guard let model = object["model"] as? String, model == servedModelName else {
            return Self.error(.notFound, "model not served; this engine serves '\(servedModelName)'", code: "model_not_found")
        }
        var characters = 0
        if chat {
            for m in object["messages"] as? [[String: Any]] ?? [] { characters += (m["content"] as? String)?.count ?? 0 }
        } else {
            characters = (object["prompt"] as? String)?.count ?? (object["prompt"] as? [String])?.reduce(0) { $0 + $1.count } ?? 0
        }
        let promptTokens = max(1, characters / Self.charactersPerToken)
        let asked = (object["max_tokens"] as? Int) ?? (object["max_completion_tokens"] as? Int) ?? defaultOutputTokens
        guard asked >= 1 else { return Self.error(.badRequest, "max_tokens must be at least 1", code: "invalid_max_tokens") }
        let stream = object["stream"] as? Bool ?? false
        let includeUsage = ((object["stream_options"] as? [String: Any])?["include_usage"] as? Bool) ?? false
        let tokens: AsyncStream<EmulatedEngine.Token>
        do { tokens = try await engine.submit(promptTokens: promptTokens, outputTokens: asked) } catch {
            return Self.error(.badRequest, error.description, code: "context_length_exceeded")
        }
        let output = await engine.cappedOutputTokens(promptTokens: promptTokens, outputTokens: asked)
        let finishReason = output < asked ? "length" : (object["max_tokens"] != nil || object["max_completion_tokens"] != nil ? "length" : "stop")
        let id = "cmpl-\(UInt32.random(in: 0...UInt32.max))"
        let created = Int(Date().timeIntervalSince1970)
        let usage = #"{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(output),"total_tokens":\#(promptTokens + output)}"#
        let name = servedModelName
        if stream {
            let kind = chat ? "chat.completion.chunk" : "text_completion"
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                for await token in tokens {
                    switch token {
                    case .token(let index, let last):
                        let piece = chat ? #""delta":{"content":"\#(Self.word(index))"}"# : #""text":"\#(Self.word(index))""#
                        let finish = last ? #""\#(finishReason)""# : "null"
                        try await writer.write(ByteBuffer(string:
                            #"data: {"id":"\#(id)","object":"\#(kind)","created":\#(created),"model":"\#(name)","choices":[{"index":0,\#(piece),"finish_reason":\#(finish)}]}"# + "\n\n"))
                    case .rejected(let reason):
                        try await writer.write(ByteBuffer(string: #"data: {"error":{"message":"\#(reason)","code":"engine_rejected"}}"# + "\n\n"))
                    }
                }
                if includeUsage {
                    try await writer.write(ByteBuffer(string:
                        #"data: {"id":"\#(id)","object":"\#(kind)","created":\#(created),"model":"\#(name)","choices":[],"usage":\#(usage)}"# + "\n\n"))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            })
        }
        var count = 0
        for await token in tokens {
            if case .rejected(let reason) = token { return Self.error(.serviceUnavailable, reason, code: "engine_rejected") }
            count += 1
        }
        let text = (1...max(1, count)).map(Self.word).joined()
        let choice = chat
            ? #"{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"\#(finishReason)"}"#
            : #"{"index":0,"text":"\#(text)","finish_reason":"\#(finishReason)"}"#
        return Self.json(#"{"id":"\#(id)","object":"\#(chat ? "chat.completion" : "text_completion")","created":\#(created),"model":"\#(name)","choices":[\#(choice)],"usage":\#(usage)}"#)
    }
}

public import AsyncHTTPClient
import Foundation
public import SluiceToolPlanning

/// A text tool answered by an LLM behind Sluice's own gateway (or any OpenAI-compatible server): the call is a
/// `POST /v1/chat/completions` with the tool's instruction as the system message and the inputs as the user message,
/// so the gateway's tenants, budgets, SLO classes and cost ledger apply to tool calls too.
///
/// Invariants: the answer is `choices[0].message.content`; an error status (a 429 budget refusal, a 503 overload)
/// fails the call with the gateway's message; the execution time is the measured round trip and the per-call memory
/// 0 (the model's memory is the catalog's long-term figure).
public struct GatewayLLMTool: PlanTool {
    /// The tool's name (in errors).
    public var name: String
    /// Base URL of the gateway (`http://127.0.0.1:8080`).
    public var gatewayURL: String
    /// The model to ask for.
    public var model: String
    /// The system message.
    public var instruction: String
    /// The tenant's API key (sent as `Authorization: Bearer`), if any.
    public var apiKey: String?
    /// Sluice SLO class (`x-sluice-slo-class`), if any.
    public var sloClass: String?
    /// Most tokens to generate.
    public var maxTokens: Int
    /// The client.
    public var client: HTTPClient
    /// Seconds the request may take (a queued request waits at the gateway).
    public var timeoutSeconds: Double

    /// Tokens generated when no limit is given.
    public static let defaultMaxTokens = 256

    /// The instruction used for a tool when none is given: the tool's task in words.
    public static func defaultInstruction(tool: String) -> String {
        "You are the tool '\(tool)'. Perform \(tool.replacingOccurrences(of: "_", with: " ")) on the user's input and answer with the result only."
    }

    /// Creates a tool.
    public init(
        name: String, gatewayURL: String, model: String, instruction: String? = nil, apiKey: String? = nil, sloClass: String? = nil,
        maxTokens: Int = GatewayLLMTool.defaultMaxTokens, client: HTTPClient = .shared, timeoutSeconds: Double = HTTPTool.defaultTimeoutSeconds
    ) {
        self.timeoutSeconds = timeoutSeconds
        self.name = name
        self.gatewayURL = gatewayURL.hasSuffix("/") ? String(gatewayURL.dropLast()) : gatewayURL
        self.model = model
        self.instruction = instruction ?? Self.defaultInstruction(tool: name)
        self.apiKey = apiKey
        self.sloClass = sloClass
        self.maxTokens = maxTokens
        self.client = client
    }

    public func call(_ inputs: [ToolValue]) async throws -> (value: ToolValue, usage: ToolCallUsage) {
        let body: [String: Any] = [
            "model": model, "max_tokens": maxTokens,
            "messages": [["role": "system", "content": instruction], ["role": "user", "content": inputs.map(\.payload).joined(separator: "\n\n")]],
        ]
        var headers: [(name: String, value: String)] = []
        if let apiKey { headers.append(("authorization", "Bearer \(apiKey)")) }
        if let sloClass { headers.append(("x-sluice-slo-class", sloClass)) }
        let clock = ContinuousClock()
        let began = clock.now
        let url = gatewayURL + "/v1/chat/completions"
        let object = try await ToolHTTP.postJSON(
            client: client, url: url, body: body, headers: headers, maxResponseBytes: HTTPTool.defaultMaxResponseBytes,
            timeoutSeconds: timeoutSeconds, what: "LLM tool '\(name)'")
        let ms = ToolHTTP.milliseconds(began.duration(to: clock.now))
        guard let choices = object["choices"] as? [[String: Any]], let message = choices.first?["message"] as? [String: Any],
              let content = message["content"] as? String else {
            throw ToolCallError("LLM tool '\(name)' at \(url) answered without choices[0].message.content")
        }
        return (ToolValue(type: "text", payload: content), ToolCallUsage(execMs: ms))
    }
}

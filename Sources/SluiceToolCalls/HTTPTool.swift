public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SluiceCore
public import SluiceToolPlanning

/// A plan tool served over HTTP. The call is `POST url` with the JSON body
/// `{"tool": NAME, "inputs": [{"type": "image", "payload": "..."}]}`; a 2xx answer is
/// `{"type": T, "payload": "...", "usage": {"exec_ms": …, "short_term_cpu_mem_mb": …, "short_term_gpu_mem_mb": …}}`
/// where `usage` may be left out (then the execution time is the measured round trip and the per-call memory 0).
///
/// Invariants: an answer whose `type` is not the tool's output type, a non-2xx status, a body that is not that JSON or
/// one larger than ``maxResponseBytes`` fail the call with an error saying which; cancellation (the executor's timeout)
/// ends the request.
public struct HTTPTool: PlanTool {
    /// The tool's name (sent as `tool`).
    public var name: String
    /// The type the tool must answer.
    public var outputType: String
    /// The endpoint.
    public var url: String
    /// Extra request headers (an API key).
    public var headers: [(name: String, value: String)]
    /// The client (shared: connection pooling).
    public var client: HTTPClient
    /// Largest answer read.
    public var maxResponseBytes: Int
    /// Seconds the request may take, connecting included (AsyncHTTPClient retries a refused connection until then).
    public var timeoutSeconds: Double

    /// Answer size limit when none is given, bytes.
    public static let defaultMaxResponseBytes = 8 << 20
    /// Request time limit when none is given, seconds.
    public static let defaultTimeoutSeconds = 60.0

    /// Creates a tool.
    public init(
        name: String, outputType: String, url: String, headers: [(name: String, value: String)] = [], client: HTTPClient = .shared,
        maxResponseBytes: Int = HTTPTool.defaultMaxResponseBytes, timeoutSeconds: Double = HTTPTool.defaultTimeoutSeconds
    ) {
        self.timeoutSeconds = timeoutSeconds
        self.name = name
        self.outputType = outputType
        self.url = url
        self.headers = headers
        self.client = client
        self.maxResponseBytes = maxResponseBytes
    }

    public func call(_ inputs: [ToolValue]) async throws -> (value: ToolValue, usage: ToolCallUsage) {
        let body: [String: Any] = ["tool": name, "inputs": inputs.map { ["type": $0.type, "payload": $0.payload] }]
        let clock = ContinuousClock()
        let began = clock.now
        let object = try await ToolHTTP.postJSON(
            client: client, url: url, body: body, headers: headers, maxResponseBytes: maxResponseBytes, timeoutSeconds: timeoutSeconds,
            what: "tool '\(name)'")
        let measuredMs = ToolHTTP.milliseconds(began.duration(to: clock.now))
        guard let type = object["type"] as? String, let payload = object["payload"] as? String else {
            throw ToolCallError("tool '\(name)' at \(url) answered without string fields 'type' and 'payload'")
        }
        guard type == outputType else { throw ToolCallError("tool '\(name)' at \(url) answered type '\(type)', expected '\(outputType)'") }
        let usage = object["usage"] as? [String: Any]
        func number(_ key: String) -> Double? { (usage?[key] as? NSNumber)?.doubleValue }
        return (
            ToolValue(type: type, payload: payload),
            ToolCallUsage(
                execMs: number("exec_ms") ?? measuredMs, shortTermCPUMemoryMB: number("short_term_cpu_mem_mb") ?? 0,
                shortTermGPUMemoryMB: number("short_term_gpu_mem_mb") ?? 0))
    }
}

/// Why a tool call over HTTP failed (what answered what).
public struct ToolCallError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The JSON POST both HTTP tools make.
enum ToolHTTP {
    static func milliseconds(_ d: Duration) -> Double { d.inSeconds * 1000 }

    static func postJSON(
        client: HTTPClient, url: String, body: [String: Any], headers: [(name: String, value: String)], maxResponseBytes: Int, timeoutSeconds: Double,
        what: String
    ) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for h in headers { request.headers.add(name: h.name, value: h.value) }
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        let response: HTTPClientResponse
        do {
            // The executor's timeout also cancels this task; AsyncHTTPClient then cancels the request.
            response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        } catch {
            throw ToolCallError("\(what) at \(url) could not be reached: \(error)")
        }
        let bytes: ByteBuffer
        do { bytes = try await response.body.collect(upTo: maxResponseBytes) } catch {
            throw ToolCallError("\(what) at \(url): answer unreadable or over \(maxResponseBytes) bytes (\(error))")
        }
        guard (200..<300).contains(response.status.code) else {
            throw ToolCallError("\(what) at \(url) answered HTTP \(response.status.code): \(String(buffer: bytes).prefix(200))")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] else {
            throw ToolCallError("\(what) at \(url) answered a body that is not a JSON object: \(String(buffer: bytes).prefix(200))")
        }
        return object
    }
}

import Foundation
public import Hummingbird

/// An error in the OpenAI API's JSON shape (`{"error": {"message", "type", "code"}}`), with its HTTP status and, for
/// overload, a `Retry-After`.
public struct OpenAIError: Error, Sendable {
    /// HTTP status.
    public var status: HTTPResponse.Status
    /// Human message: what was wrong and where.
    public var message: String
    /// OpenAI error type (`invalid_request_error`, `rate_limit_error`, `server_error`).
    public var type: String
    /// Machine-readable reason.
    public var code: String
    /// Seconds after which a retry may succeed.
    public var retryAfterSeconds: Int?
    /// The tenant the refusal concerns when it is known before the request is (metrics only, never in the body).
    public var tenant: String?

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error", code: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The response.
    public func response() -> Response {
        let body: [String: [String: String]] = ["error": ["message": message, "type": type, "code": code]]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = "\(retryAfterSeconds)" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

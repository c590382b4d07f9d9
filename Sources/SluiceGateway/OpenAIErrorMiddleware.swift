import Hummingbird
import HTTPTypes

/// Gives the router's own refusals OpenAI's error shape: an unknown path is a JSON 404 (`not_found`), a known path
/// asked with the wrong method a JSON 405 (`method_not_allowed`) with `Allow`, and any other `HTTPError` keeps its
/// status with a JSON body. Clients written for OpenAI then read every error the same way.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The method each served path takes.
    let allowedMethods: [String: HTTPRequest.Method]

    /// Longest path echoed in an error message, characters.
    static var maxEchoedPathCharacters: Int { 200 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let path = String(request.uri.path.prefix(Self.maxEchoedPathCharacters))
            if error.status == .notFound, let allowed = allowedMethods[request.uri.path] {
                var response = OpenAIError(
                    .methodNotAllowed, "\(request.method.rawValue) is not allowed on \(path); use \(allowed.rawValue)", code: "method_not_allowed"
                ).response()
                response.headers[.allow] = allowed.rawValue
                return response
            }
            if error.status == .notFound {
                return OpenAIError(.notFound, "no such endpoint: \(request.method.rawValue) \(path)", code: "not_found").response()
            }
            let type = error.status.code >= 500 ? "server_error" : "invalid_request_error"
            return OpenAIError(error.status, error.body ?? error.status.reasonPhrase, type: type, code: "http_\(error.status.code)").response()
        }
    }
}

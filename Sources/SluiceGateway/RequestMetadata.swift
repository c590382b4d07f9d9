import HTTPTypes
import SluiceCore

/// What a client says about a request besides its body, in Sluice's headers or the peers' aliases (PEERS.md §3.2):
///
/// | meaning | header (aliases) |
/// |---|---|
/// | SLO class | `x-sluice-slo-class` |
/// | TTFT target, ms | `x-sluice-ttft-ms` (`x-llm-d-slo-ttft-ms`, `x-sgl-ttft-slo-ms`) |
/// | time per output token target, ms | `x-sluice-tpot-ms` (`x-llm-d-slo-tpot-ms`) |
/// | end-to-end deadline, ms | `x-sluice-deadline-ms` |
/// | priority, **higher is more important** | `x-sluice-priority` |
/// | expected output tokens | `x-sluice-expected-output-tokens` |
/// | session | `x-sluice-session-id` (`x-session-id`, `x-dynamo-session-id`) |
///
/// A request with only a deadline is end-to-end (batch); any TTFT or TPOT target makes it interactive. A named class
/// (the header, else the tenant's default) supplies the targets the headers leave unset, from `sloClasses` in the
/// configuration; when classes are configured, an unknown class name is refused.
struct RequestMetadata: Sendable {
    var sloClass: String?
    var targets = SLOTargets()
    var priority = 0
    var expectedOutputTokens: Int?
    var sessionID: String?

    static let ttftHeaders = ["x-sluice-ttft-ms", "x-llm-d-slo-ttft-ms", "x-sgl-ttft-slo-ms"]
    static let tpotHeaders = ["x-sluice-tpot-ms", "x-llm-d-slo-tpot-ms"]
    static let sessionHeaders = ["x-sluice-session-id", "x-session-id", "x-dynamo-session-id"]

    /// Reads the headers. - Throws: ``OpenAIError`` naming a header with a bad value.
    init(
        _ headers: HTTPFields, classes: [String: GatewayConfig.SLOClassConfig] = [:], defaultClass: String? = nil,
        maxValueBytes: Int = GatewayLimits().maxHeaderValueBytes
    ) throws(OpenAIError) {
        func value(_ names: [String]) throws(OpenAIError) -> (String, String)? {
            for n in names {
                guard let name = HTTPField.Name(n), let v = headers[name] else { continue }
                // Values are stored in the ledger and echoed in errors: bounded.
                guard v.utf8.count <= maxValueBytes else {
                    throw OpenAIError(.badRequest, "header '\(n)' is \(v.utf8.count) bytes long; at most \(maxValueBytes)", code: "invalid_header")
                }
                return (n, v)
            }
            return nil
        }
        func milliseconds(_ names: [String]) throws(OpenAIError) -> Double? {
            guard let (name, text) = try value(names) else { return nil }
            guard let v = Double(text), v > 0, v.isFinite else {
                throw OpenAIError(.badRequest, "header '\(name)' must be a positive number of milliseconds, got '\(text)'", code: "invalid_header")
            }
            return v / 1000
        }
        sloClass = try value(["x-sluice-slo-class"])?.1 ?? defaultClass
        if let name = sloClass, !classes.isEmpty {
            guard let c = classes[name] else {
                throw OpenAIError(
                    .badRequest, "header 'x-sluice-slo-class': unknown class '\(name)'; classes: \(classes.keys.sorted().joined(separator: ", "))",
                    code: "invalid_header")
            }
            targets = c.targets
        }
        targets.ttftSeconds = try milliseconds(Self.ttftHeaders) ?? targets.ttftSeconds
        targets.tpotSeconds = try milliseconds(Self.tpotHeaders) ?? targets.tpotSeconds
        targets.e2eSeconds = try milliseconds(["x-sluice-deadline-ms"]) ?? targets.e2eSeconds
        if let (name, text) = try value(["x-sluice-priority"]) {
            guard let p = Int(text) else {
                throw OpenAIError(.badRequest, "header '\(name)' must be an integer (higher is more important), got '\(text)'", code: "invalid_header")
            }
            priority = p
        }
        if let (name, text) = try value(["x-sluice-expected-output-tokens"]) {
            guard let n = Int(text), n >= 1 else {
                throw OpenAIError(.badRequest, "header '\(name)' must be a positive integer, got '\(text)'", code: "invalid_header")
            }
            expectedOutputTokens = n
        }
        sessionID = try value(Self.sessionHeaders)?.1
    }
}

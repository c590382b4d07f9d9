public import SluiceCore
import Foundation
import Yams

/// `sluice serve --config sluice.yaml`: where the gateway listens, its upstream engines, its policies (router,
/// ordering, admission, priority bands), the ledger, tenants and SLO classes. The README's gateway section has the
/// whole schema; the smallest file is
///
/// ```yaml
/// upstreams:
///   - name: gpu-a
///     url: http://127.0.0.1:8001   # an OpenAI-compatible engine (vLLM, SGLang, llama.cpp server)
///     model: llama-3.1-8b          # the model name clients ask for
///     engine: vllm                 # where its load signal is read
///     pricePerHourUSD: 2.99
/// ```
///
/// Invariants after ``validate(file:)``: at least one upstream, unique names, http(s) URLs, known router and ordering,
/// catalog GPUs and models where named, positive limits; errors name the file and the field.
public struct GatewayConfig: Sendable, Decodable {
    /// Listening address.
    public struct Listen: Sendable, Decodable {
        /// Host.
        public var host: String = "127.0.0.1"
        /// Port (0: any free port).
        public var port: Int = 8080

        enum CodingKeys: String, CodingKey { case host, port }

        /// Decodes, with defaults.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            host = try c.decodeIfPresent(String.self, forKey: .host) ?? "127.0.0.1"
            port = try c.decodeIfPresent(Int.self, forKey: .port) ?? 8080
        }

        /// Creates a listening address.
        public init(host: String = "127.0.0.1", port: Int = 8080) {
            self.host = host
            self.port = port
        }
    }

    /// Listening address.
    public var listen = Listen()
    /// Router name (``RouterRegistry``).
    public var router = "least-outstanding"
    /// Largest request body accepted, bytes.
    public var maxBodyBytes = 1 << 20
    /// Seconds an upstream may take to answer.
    public var upstreamTimeoutSeconds: Double = 600
    /// Order of requests waiting for a free upstream slot: fcfs, edf (SLO deadline), sjf (expected output), priority,
    /// or sa-slo (simulated annealing of the order and the upstream's concurrency, arXiv 2504.14966).
    public var ordering = "fcfs"
    /// Requests that may wait for a slot; more get 503 `queue_full`.
    public var maxQueueLength = 1024
    /// Seconds a request may wait for a slot; then 503 `queue_timeout`.
    public var maxQueueSeconds: Double = 30
    /// The upstreams.
    public var upstreams: [Upstream]
    /// Tenants (empty, and none in the tenant store: no API key required).
    public var tenants: [TenantConfig] = []
    /// The ledger and tenant store (programmatic default: none; `sluice serve` default: SQLite beside the file).
    public var ledger: LedgerLocation = .none
    /// Seconds between reloads of the tenant store (tenants added with `sluice tenants add` take effect then).
    public var tenantRefreshSeconds: Double = 5
    /// Seconds between reads of each upstream's load signal and health.
    public var loadPollSeconds: Double = 1
    /// Per priority band (`x-sluice-priority` > 0: high, 0: normal, < 0: low), its own queue length and waiting-time
    /// limits (unset: `maxQueueLength`, `maxQueueSeconds`). Bands are served strictly in order, so low sheds first.
    public var queueBands: [PriorityBand: QueueBand] = [:]
    /// Admission: `none`, or `slo` (refuse with 503 `slo_unattainable` a request with targets that no upstream is
    /// predicted to meet, from the upstreams' step-time models).
    public var admission = "none"
    /// Named SLO classes (`x-sluice-slo-class`, or a tenant's default): their targets apply unless headers set others.
    public var sloClasses: [String: SLOClassConfig] = [:]
    /// Output tokens assumed for a request's predicted cost before the gateway has seen any answer of its model.
    public var defaultExpectedOutputTokens = 256
    /// Connection, timeout and length limits (``GatewayLimits``).
    public var limits = GatewayLimits()
    /// SHA-256 (hex) of the key `/metrics` requires as `Authorization: Bearer KEY` (`nil`: `/metrics` is open).
    public var metricsKeySHA256: String?

    /// A tenant: its API key's SHA-256 (`sluice tenants hash-key KEY` prints it) and an optional budget.
    public struct TenantConfig: Sendable, Decodable {
        /// Name (in the ledger and metrics).
        public var name: String
        /// SHA-256 of the API key, hex. The key itself is never stored.
        public var keySHA256: String
        /// Budget (`TENANT:usd=…` syntax of `--budget` without the tenant: `tokens=100000,period=3600`).
        public var budget: TenantBudget?
        /// Requests per minute it may send to one gateway replica (`nil`: unlimited); over it: 429 `rate_limited`.
        public var requestsPerMinute: Int?

        enum CodingKeys: String, CodingKey { case name, keySHA256, budget, requestsPerMinute }

        /// Decodes; the budget is parsed with ``TenantBudget/parse(_:)``.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            keySHA256 = try c.decode(String.self, forKey: .keySHA256)
            requestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .requestsPerMinute)
            if let spec = try c.decodeIfPresent(String.self, forKey: .budget) {
                do { budget = try TenantBudget.parse("\(name):\(spec)").budget } catch {
                    throw DecodingError.dataCorruptedError(forKey: .budget, in: c, debugDescription: error.description)
                }
            }
        }

        /// Creates a tenant.
        public init(name: String, keySHA256: String, budget: TenantBudget? = nil, requestsPerMinute: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.name = name
            self.keySHA256 = keySHA256
            self.budget = budget
        }
    }

    enum CodingKeys: String, CodingKey {
        case listen, router, maxBodyBytes, upstreamTimeoutSeconds, upstreams, ordering, maxQueueLength, maxQueueSeconds, tenants, ledger
        case tenantRefreshSeconds, loadPollSeconds, defaultExpectedOutputTokens, sloClasses, queueBands, admission, limits, metricsKeySHA256
    }

    /// A request's priority band.
    public enum PriorityBand: String, Sendable, Hashable, CaseIterable, CodingKeyRepresentable, Decodable {
        /// `x-sluice-priority` above 0.
        case high
        /// Priority 0 (the default).
        case normal
        /// Below 0 (sheddable).
        case low

        /// The band of `priority`.
        public static func of(priority: Int) -> PriorityBand { priority > 0 ? .high : (priority < 0 ? .low : .normal) }
        /// Serving rank (0 first).
        public var rank: Int { self == .high ? 0 : (self == .normal ? 1 : 2) }
    }

    /// One band's queue limits.
    public struct QueueBand: Sendable, Hashable, Decodable {
        /// Requests of the band that may wait.
        public var maxLength: Int?
        /// Seconds one may wait.
        public var maxSeconds: Double?

        /// Creates limits.
        public init(maxLength: Int? = nil, maxSeconds: Double? = nil) {
            self.maxLength = maxLength
            self.maxSeconds = maxSeconds
        }
    }

    /// The queue limits of `band`.
    public func queueLimits(_ band: PriorityBand) -> (length: Int, seconds: Double) {
        (queueBands[band]?.maxLength ?? maxQueueLength, queueBands[band]?.maxSeconds ?? maxQueueSeconds)
    }

    /// An SLO class's targets, in milliseconds as the headers give them.
    public struct SLOClassConfig: Sendable, Decodable, Hashable {
        /// Time to first token, ms.
        public var ttftMs: Double?
        /// Mean time per output token, ms.
        public var tpotMs: Double?
        /// Largest gap between tokens, ms.
        public var tbtMs: Double?
        /// End-to-end deadline, ms.
        public var deadlineMs: Double?

        /// Creates a class.
        public init(ttftMs: Double? = nil, tpotMs: Double? = nil, tbtMs: Double? = nil, deadlineMs: Double? = nil) {
            self.ttftMs = ttftMs
            self.tpotMs = tpotMs
            self.tbtMs = tbtMs
            self.deadlineMs = deadlineMs
        }

        /// The targets in seconds.
        public var targets: SLOTargets {
            SLOTargets(ttftSeconds: ttftMs.map { $0 / 1000 }, tbtSeconds: tbtMs.map { $0 / 1000 }, tpotSeconds: tpotMs.map { $0 / 1000 },
                       e2eSeconds: deadlineMs.map { $0 / 1000 })
        }
    }

    /// Creates a configuration.
    public init(listen: Listen = Listen(), router: String = "least-outstanding", upstreams: [Upstream]) {
        self.listen = listen
        self.router = router
        self.upstreams = upstreams
    }

    /// Decodes, with defaults for what is missing.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listen = try c.decodeIfPresent(Listen.self, forKey: .listen) ?? Listen()
        router = try c.decodeIfPresent(String.self, forKey: .router) ?? "least-outstanding"
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? (1 << 20)
        upstreamTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .upstreamTimeoutSeconds) ?? 600
        upstreams = try c.decode([Upstream].self, forKey: .upstreams)
        ordering = try c.decodeIfPresent(String.self, forKey: .ordering) ?? "fcfs"
        maxQueueLength = try c.decodeIfPresent(Int.self, forKey: .maxQueueLength) ?? 1024
        maxQueueSeconds = try c.decodeIfPresent(Double.self, forKey: .maxQueueSeconds) ?? 30
        tenants = try c.decodeIfPresent([TenantConfig].self, forKey: .tenants) ?? []
        tenantRefreshSeconds = try c.decodeIfPresent(Double.self, forKey: .tenantRefreshSeconds) ?? 5
        loadPollSeconds = try c.decodeIfPresent(Double.self, forKey: .loadPollSeconds) ?? 1
        defaultExpectedOutputTokens = try c.decodeIfPresent(Int.self, forKey: .defaultExpectedOutputTokens) ?? 256
        sloClasses = try c.decodeIfPresent([String: SLOClassConfig].self, forKey: .sloClasses) ?? [:]
        queueBands = try c.decodeIfPresent([PriorityBand: QueueBand].self, forKey: .queueBands) ?? [:]
        admission = try c.decodeIfPresent(String.self, forKey: .admission) ?? "none"
        limits = try c.decodeIfPresent(GatewayLimits.self, forKey: .limits) ?? GatewayLimits()
        metricsKeySHA256 = try c.decodeIfPresent(String.self, forKey: .metricsKeySHA256)
        if (try? c.decodeIfPresent(String.self, forKey: .ledger)) == "none" {
            ledger = .none
        } else if let section = try c.decodeIfPresent(LedgerSection.self, forKey: .ledger) {
            switch (section.sqlite, section.postgres) {
            case (let path?, nil): ledger = .sqlite(path: path, synchronous: section.synchronous ?? "normal")
            case (nil, let url?): ledger = .postgres(url: url)
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .ledger, in: c, debugDescription: "give exactly one of 'sqlite: PATH' and 'postgres: URL', or 'none'")
            }
        } else {
            ledger = .sqlite(path: Self.defaultLedgerFile, synchronous: "normal")
        }
    }

    /// The default SQLite ledger, beside the configuration file.
    public static let defaultLedgerFile = "sluice-ledger.db"

    /// Reads and checks `path`. - Throws: ``SluiceError`` naming the file and the field.
    public static func load(path: String) throws(SluiceError) -> GatewayConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        let config: GatewayConfig
        do { config = try YAMLDecoder().decode(GatewayConfig.self, from: text) } catch let DecodingError.keyNotFound(key, context) {
            throw .malformed(file: path, line: nil, field: fieldPath(context.codingPath + [key]), reason: "is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .malformed(file: path, line: nil, field: fieldPath(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.dataCorrupted(context) {
            throw .malformed(file: path, line: nil, field: fieldPath(context.codingPath), reason: context.debugDescription)
        } catch {
            throw .malformed(file: path, line: nil, field: nil, reason: "not a valid configuration: \(error)")
        }
        var resolved = config
        for (i, u) in config.upstreams.enumerated() {
            if let key = u.apiKey { resolved.upstreams[i].apiKey = try expandEnvironment(key, file: path, field: "upstreams[\(i)].apiKey") }
        }
        if case .postgres(let url) = config.ledger {
            resolved.ledger = .postgres(url: try expandEnvironment(url, file: path, field: "ledger.postgres"))
        }
        if case .sqlite(let file, let synchronous) = config.ledger, !file.hasPrefix("/") {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            resolved.ledger = .sqlite(path: directory + "/" + file, synchronous: synchronous)
        }
        try resolved.validate(file: path)
        return resolved
    }

    /// Checks values. - Throws: ``SluiceError`` naming the field.
    public func validate(file: String) throws(SluiceError) {
        guard !upstreams.isEmpty else { throw .malformed(file: file, line: nil, field: "upstreams", reason: "needs at least one upstream") }
        guard (0...65_535).contains(listen.port) else {
            throw .malformed(file: file, line: nil, field: "listen.port", reason: "must be 0...65535, got \(listen.port)")
        }
        guard maxBodyBytes > 0 else { throw .malformed(file: file, line: nil, field: "maxBodyBytes", reason: "must be positive") }
        try limits.validate(file: file)
        if let m = metricsKeySHA256, m.count != 64 || !m.allSatisfy(\.isHexDigit) {
            throw .malformed(file: file, line: nil, field: "metricsKeySHA256", reason: "must be 64 hex digits (sluice tenants hash-key KEY)")
        }
        _ = try RouterRegistry.make(named: router, seed: 0)
        guard RequestPolicyRegistry.names.contains(ordering) else {
            throw .malformed(file: file, line: nil, field: "ordering", reason: "'\(ordering)' is not one of \(RequestPolicyRegistry.names.joined(separator: ", "))")
        }
        for (i, t) in tenants.enumerated() where (t.requestsPerMinute ?? 1) < 1 {
            throw .malformed(file: file, line: nil, field: "tenants[\(i)].requestsPerMinute", reason: "must be at least 1")
        }
        for (i, t) in tenants.enumerated() where t.keySHA256.count != 64 || !t.keySHA256.allSatisfy(\.isHexDigit) {
            throw .malformed(file: file, line: nil, field: "tenants[\(i)].keySHA256", reason: "must be 64 hex digits (sluice tenants hash-key KEY)")
        }
        if case .sqlite(_, let synchronous) = ledger, !["normal", "full"].contains(synchronous) {
            throw .malformed(file: file, line: nil, field: "ledger.synchronous", reason: "'\(synchronous)' is not one of normal, full")
        }
        guard tenantRefreshSeconds > 0, loadPollSeconds > 0 else {
            throw .malformed(file: file, line: nil, field: "tenantRefreshSeconds/loadPollSeconds", reason: "must be positive")
        }
        for (name, c) in sloClasses.sorted(by: { $0.key < $1.key }) {
            for (key, v) in [("ttftMs", c.ttftMs), ("tpotMs", c.tpotMs), ("tbtMs", c.tbtMs), ("deadlineMs", c.deadlineMs)] {
                if let v, !(v > 0 && v.isFinite) {
                    throw .malformed(file: file, line: nil, field: "sloClasses.\(name).\(key)", reason: "must be a positive number of ms, got \(v)")
                }
            }
        }
        guard defaultExpectedOutputTokens > 0 else {
            throw .malformed(file: file, line: nil, field: "defaultExpectedOutputTokens", reason: "must be positive")
        }
        for band in PriorityBand.allCases {
            let (length, seconds) = queueLimits(band)
            guard length >= 0, seconds > 0, seconds.isFinite else {
                throw .malformed(file: file, line: nil, field: "queueBands.\(band.rawValue)", reason: "maxLength must be >= 0 and maxSeconds > 0")
            }
        }
        guard ["none", "slo"].contains(admission) else {
            throw .malformed(file: file, line: nil, field: "admission", reason: "'\(admission)' is not one of none, slo")
        }
        guard maxQueueLength >= 0, maxQueueSeconds > 0 else {
            throw .malformed(file: file, line: nil, field: "maxQueueLength/maxQueueSeconds", reason: "must be >= 0 and > 0")
        }
        var names = Set<String>()
        for (i, u) in upstreams.enumerated() {
            guard names.insert(u.name).inserted else {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)].name", reason: "'\(u.name)' appears twice")
            }
            guard let url = URL(string: u.url), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)].url", reason: "'\(u.url)' is not an http(s) URL")
            }
            guard u.maxConcurrency > 0 else {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)].maxConcurrency", reason: "must be positive")
            }
            guard u.pricePerHourUSD >= 0, (u.inputPricePerMillionUSD ?? 0) >= 0, (u.outputPricePerMillionUSD ?? 0) >= 0 else {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)].pricePerHourUSD", reason: "prices must be >= 0")
            }
        }
        _ = try UpstreamPerformance.resolve(self, file: file)
    }
}

/// `${NAME}` replaced by the environment variable NAME (secrets stay out of the file). - Throws: ``SluiceError`` naming
/// the field and the variable when it is not set.
func expandEnvironment(_ text: String, file: String, field: String) throws(SluiceError) -> String {
    var out = ""
    var rest = Substring(text)
    while let open = rest.range(of: "${") {
        out += rest[..<open.lowerBound]
        guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
            throw .malformed(file: file, line: nil, field: field, reason: "unterminated '${' in '\(text)'")
        }
        let name = String(rest[open.upperBound..<close])
        guard let value = ProcessInfo.processInfo.environment[name] else {
            throw .malformed(file: file, line: nil, field: field, reason: "environment variable \(name) is not set")
        }
        out += value
        rest = rest[rest.index(after: close)...]
    }
    return out + rest
}

/// `upstreams[0].url` from a decoding path.
private func fieldPath(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
    }
    return out
}

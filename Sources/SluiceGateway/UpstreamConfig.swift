extension GatewayConfig {
    /// Which engine an upstream runs: it decides where its load signal is read (PEERS.md §3.1).
    public enum EngineKind: String, Sendable, Decodable, CaseIterable {
        /// vLLM (and `sluice engine`): `GET /metrics`, `vllm:num_requests_running`/`_waiting`, `vllm:kv_cache_usage_perc`.
        case vllm
        /// SGLang: `GET /metrics`, `sglang:num_running_reqs`, `sglang:num_queue_reqs`, `sglang:token_usage`.
        case sglang
        /// llama.cpp server (llama-server, llama-cpp-python): `GET /slots` (busy slots), else `GET /v1/models`.
        case llamacpp = "llama.cpp"
        /// Any other OpenAI-compatible API (a priced provider): `GET /v1/models` for health, no load signal.
        case openai
    }

    /// One upstream engine.
    public struct Upstream: Sendable, Decodable, Hashable {
        /// Name (in `x-sluice-upstream`, metrics and the ledger).
        public var name: String
        /// Base URL of its OpenAI-compatible API (`http://host:port`).
        public var url: String
        /// The model name clients ask for.
        public var model: String
        /// The engine, for its load signal.
        public var engine: EngineKind = .openai
        /// Catalog GPU (`sluice catalog`, e.g. `h100-sxm`): gives the upstream a step-time model, which `cost-aware`
        /// routing and `sa-slo` ordering need.
        public var gpu: String?
        /// Catalog model of the served model (default: `model`, when that is a catalog name).
        public var catalogModel: String?
        /// GPUs per engine (tensor parallelism), for the step-time model.
        public var tensorParallel = 1
        /// Price of the engine's GPUs, USD per hour; requests are charged their GPU-seconds share of it.
        public var pricePerHourUSD: Double = 0
        /// Priced APIs: USD per million prompt tokens (with ``outputPricePerMillionUSD``, replaces GPU-time pricing).
        public var inputPricePerMillionUSD: Double?
        /// Priced APIs: USD per million output tokens.
        public var outputPricePerMillionUSD: Double?
        /// Requests it may hold at once.
        public var maxConcurrency: Int = 64
        /// Key sent to it as `Authorization: Bearer` (priced APIs); write `${ENV_NAME}` to keep it out of the file.
        public var apiKey: String?

        enum CodingKeys: String, CodingKey {
            case name, url, model, engine, gpu, catalogModel, tensorParallel, pricePerHourUSD, inputPricePerMillionUSD, outputPricePerMillionUSD
            case maxConcurrency, apiKey
        }

        /// Decodes, with defaults for the optional fields.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            url = try c.decode(String.self, forKey: .url)
            model = try c.decode(String.self, forKey: .model)
            if let text = try c.decodeIfPresent(String.self, forKey: .engine) {
                guard let kind = EngineKind(rawValue: text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .engine, in: c,
                        debugDescription: "'\(text)' is not one of \(EngineKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                engine = kind
            }
            gpu = try c.decodeIfPresent(String.self, forKey: .gpu)
            catalogModel = try c.decodeIfPresent(String.self, forKey: .catalogModel)
            tensorParallel = try c.decodeIfPresent(Int.self, forKey: .tensorParallel) ?? 1
            pricePerHourUSD = try c.decodeIfPresent(Double.self, forKey: .pricePerHourUSD) ?? 0
            inputPricePerMillionUSD = try c.decodeIfPresent(Double.self, forKey: .inputPricePerMillionUSD)
            outputPricePerMillionUSD = try c.decodeIfPresent(Double.self, forKey: .outputPricePerMillionUSD)
            maxConcurrency = try c.decodeIfPresent(Int.self, forKey: .maxConcurrency) ?? 64
            apiKey = try c.decodeIfPresent(String.self, forKey: .apiKey)
        }

        /// Creates an upstream.
        public init(
            name: String, url: String, model: String, engine: EngineKind = .openai, pricePerHourUSD: Double = 0, maxConcurrency: Int = 64,
            inputPricePerMillionUSD: Double? = nil, outputPricePerMillionUSD: Double? = nil, gpu: String? = nil, catalogModel: String? = nil
        ) {
            self.gpu = gpu
            self.catalogModel = catalogModel
            self.name = name
            self.url = url
            self.model = model
            self.engine = engine
            self.pricePerHourUSD = pricePerHourUSD
            self.maxConcurrency = maxConcurrency
            self.inputPricePerMillionUSD = inputPricePerMillionUSD
            self.outputPricePerMillionUSD = outputPricePerMillionUSD
        }

        /// Whether it is priced per token (an API) rather than by GPU time.
        public var isTokenPriced: Bool { inputPricePerMillionUSD != nil || outputPricePerMillionUSD != nil }

        /// The per-token charge of a request, USD (priced APIs only).
        public func tokenCharge(promptTokens: Int, completionTokens: Int) -> Double {
            (Double(promptTokens) * (inputPricePerMillionUSD ?? 0) + Double(completionTokens) * (outputPricePerMillionUSD ?? 0)) / 1e6
        }
    }

    /// Where the ledger and tenant store live: `sqlite: PATH` (default: `sluice-ledger.db` beside the
    /// configuration file), `postgres: postgres://user:password@host:port/db` (several gateway replicas), or `none`.
    public enum LedgerLocation: Sendable, Hashable {
        /// No ledger (nothing is recorded; tenants only from the configuration).
        case none
        /// An SQLite file.
        case sqlite(path: String, synchronous: String)
        /// A PostgreSQL database.
        case postgres(url: String)
    }

    /// The YAML form of ``LedgerLocation``.
    struct LedgerSection: Decodable {
        var sqlite: String?
        var postgres: String?
        var synchronous: String?
    }
}

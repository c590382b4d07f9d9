public import Foundation
public import SluiceCore

/// The tools a plan may call, their input and output types, plan-language tokens and memory figures, and the cost
/// model's constants — OpenCATP's `tools.json` (CATP-LLM, Wu et al., ICCV 2025; ALGORITHMS.md §4.3), loaded as data.
///
/// Invariants: tool names and tokens are unique; price tiers are sorted by memory.
public struct ToolCatalog: Sendable {
    /// One tool.
    public struct Tool: Sendable, Hashable {
        /// Name (`image_captioning`).
        public var name: String
        /// Plan-language token of the tool (80002…).
        public var toolToken: Int
        /// Token of the tool as a dependency (90002…).
        public var dependencyToken: Int
        /// Input type (`image`, `text`, `image-text`, `text-text`).
        public var inputType: String
        /// Output type (`image`, `text`).
        public var outputType: String
        /// Resident CPU memory of the loaded model, MB.
        public var longTermCPUMemoryMB: Double
        /// Resident GPU memory of the loaded model, MB.
        public var longTermGPUMemoryMB: Double
        /// Average price per input size level, USD (CATP-LLM's cost features; not used to score executed plans).
        public var estimatedPriceUSDBySizeLevel: [Double]
        /// The only tools this one may follow (upstream `tool_dependencies`); empty: any tool of the right type.
        public var allowedPredecessors: Set<Int> = []
        /// Whether upstream implements the tool and uses it in OpenCATP (the planner enumerates only these).
        public var isPlannable = true
    }

    /// A memory tier of the price table: USD per ms for memory up to `memoryMB`.
    public struct Tier: Sendable, Hashable {
        /// Tier size, MB.
        public var memoryMB: Double
        /// Rate, USD per ms (multiplied by the tool's actual memory, as upstream codes it).
        public var usdPerMs: Double
    }

    /// The tools, in token order.
    public var tools: [Tool]
    /// USD charged per call.
    public var pricePerRequestUSD: Double
    /// CPU long-term memory tiers.
    public var cpuTiers: [Tier]
    /// GPU long-term memory tiers.
    public var gpuTiers: [Tier]
    /// USD per MB per ms of short-term (per-call peak) CPU memory.
    public var cpuShortTermUSDPerMBPerMs: Double
    /// USD per MB per ms of short-term GPU memory.
    public var gpuShortTermUSDPerMBPerMs: Double
    /// The quality-of-plan metric's constants.
    public var qop: QoP
    /// Special tokens of the token form.
    public var startOfPlan = 80000, endOfPlan = 80001, startOfDependencies = 90000, endOfDependencies = 90001
    /// Dependency token of the query input.
    public var inputDependencyToken = 90017

    /// The name of the query's input in plans.
    public static let inputNode = "input_of_query"

    private var indexByName: [String: Int] = [:]

    /// The index of the tool called `name` (normalised as upstream: lower case, spaces to `_`, aliases).
    public func index(of name: String) -> Int? { indexByName[Self.normalise(name)] }

    /// Upstream's name normalisation (`src/catpllm/utils/utils.py`).
    public static func normalise(_ name: String) -> String {
        let n = name.lowercased().replacingOccurrences(of: " ", with: "_")
        switch n {
        case "colorization": return "image_colorization"
        case "text_to_image_generation": return "text_to_image"
        case "fill_mask": return "mask_filling"
        default: return n
        }
    }

    /// Reads `tools.json`. - Throws: ``SluiceError`` naming the file and the field.
    public init(contentsOf url: URL) throws(SluiceError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .io(path: url.path, reason: "cannot read: \(error.localizedDescription)") }
        try self.init(json: data, file: url.path)
    }

    /// Parses the JSON of `tools.json`. - Throws: ``SluiceError`` naming the field.
    public init(json: Data, file: String) throws(SluiceError) {
        guard let root = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw .malformed(file: file, line: nil, field: nil, reason: "not a JSON object")
        }
        func field<T>(_ object: [String: Any], _ key: String, _ path: String) throws(SluiceError) -> T {
            guard let v = object[key] as? T else { throw .malformed(file: file, line: nil, field: path + key, reason: "missing or of the wrong type") }
            return v
        }
        func number(_ object: [String: Any], _ key: String, _ path: String) throws(SluiceError) -> Double {
            guard let v = (object[key] as? NSNumber)?.doubleValue, v.isFinite else {
                throw .malformed(file: file, line: nil, field: path + key, reason: "must be a number")
            }
            return v
        }
        let list: [[String: Any]] = try field(root, "tools", "")
        var tools: [Tool] = []
        for (i, t) in list.enumerated() {
            let p = "tools[\(i)]."
            tools.append(Tool(
                name: try field(t, "name", p), toolToken: Int(try number(t, "tool_token", p)), dependencyToken: Int(try number(t, "dependency_token", p)),
                inputType: try field(t, "input_type", p), outputType: try field(t, "output_type", p),
                longTermCPUMemoryMB: try number(t, "long_term_cpu_memory_mb", p), longTermGPUMemoryMB: try number(t, "long_term_gpu_memory_mb", p),
                estimatedPriceUSDBySizeLevel: (t["estimated_price_usd_by_size_level"] as? [NSNumber])?.map(\.doubleValue) ?? [],
                isPlannable: (t["implemented"] as? Bool ?? true) && !(t["marked_unused_in_opencatp"] as? Bool ?? false)))
        }
        let pricing: [String: Any] = try field(root, "pricing", "")
        func tiers(_ key: String) throws(SluiceError) -> [Tier] {
            let rows: [[String: Any]] = try field(pricing, key, "pricing.")
            var out: [Tier] = []
            for (i, r) in rows.enumerated() {
                out.append(Tier(memoryMB: try number(r, "memory_mb", "pricing.\(key)[\(i)]."), usdPerMs: try number(r, "usd_per_ms", "pricing.\(key)[\(i)].")))
            }
            guard !out.isEmpty else { throw .malformed(file: file, line: nil, field: "pricing.\(key)", reason: "needs at least one tier") }
            return out.sorted { $0.memoryMB < $1.memoryMB }
        }
        let q: [String: Any] = try field(root, "qop", "")
        self.tools = tools
        pricePerRequestUSD = try number(pricing, "price_per_request_usd", "pricing.")
        cpuTiers = try tiers("cpu_long_term_tiers")
        gpuTiers = try tiers("gpu_long_term_tiers")
        cpuShortTermUSDPerMBPerMs = try number(pricing, "cpu_short_term_usd_per_mb_per_ms", "pricing.")
        gpuShortTermUSDPerMBPerMs = try number(pricing, "gpu_short_term_usd_per_mb_per_ms", "pricing.")
        qop = QoP(
            alpha: try number(q, "alpha", "qop."), minScore: try number(q, "min_score", "qop."), maxScore: try number(q, "max_score", "qop."),
            minCost: try number(q, "min_cost", "qop."), maxCost: try number(q, "max_cost", "qop."),
            invalidScore: try number(q, "invalid_plan_score", "qop."), invalidCost: try number(q, "invalid_plan_cost", "qop."))
        for (i, t) in tools.enumerated() {
            guard indexByName.updateValue(i, forKey: t.name) == nil else {
                throw .malformed(file: file, line: nil, field: "tools[\(i)].name", reason: "'\(t.name)' appears twice")
            }
        }
        for (i, t) in list.enumerated() {
            for name in t["allowed_predecessor_tools"] as? [String] ?? [] {
                guard let j = indexByName[Self.normalise(name)] else {
                    throw .malformed(file: file, line: nil, field: "tools[\(i)].allowed_predecessor_tools", reason: "'\(name)' is not a tool")
                }
                self.tools[i].allowedPredecessors.insert(j)
            }
        }
        if let language = root["plan_language"] as? [String: Any] {
            let special = language["special_tokens"] as? [String: Int] ?? [:]
            startOfPlan = special["SOP"] ?? startOfPlan
            endOfPlan = special["EOP"] ?? endOfPlan
            startOfDependencies = special["SOD"] ?? startOfDependencies
            endOfDependencies = special["EOD"] ?? endOfDependencies
            inputDependencyToken = language["input_of_query_dependency_token"] as? Int ?? inputDependencyToken
        }
    }
}

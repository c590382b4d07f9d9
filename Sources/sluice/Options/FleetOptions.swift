import ArgumentParser
import SluiceCore
import SluiceEngineModel
import SluiceCatalog
import SluiceSimulator

/// Options that describe the fleet: deployment, engine limits and the step-time model.
struct FleetOptions: ParsableArguments {
    @Option(help: "Model name from the catalog (see 'sluice catalog').")
    var model = "llama-3.1-8b"

    @Option(help: "GPU name from the catalog.")
    var gpu = "h100-sxm"

    @Option(help: "Tensor-parallel degree (GPUs per replica).")
    var tp = 1

    @Option(help: "Number of identical replicas (default 1; 4 for 'sluice bench').")
    var replicas: Int?

    @OptionGroup var scaling: ScalingOptions

    /// Replicas when `--replicas` is not given.
    var defaultReplicas = 1

    enum CodingKeys: String, CodingKey {
        case model, gpu, tp, replicas, fleet, catalogs, chunkSize, maxNumSeqs, blockSize, kvBlocks, gpuMemoryUtilization
        case maxModelLen, maxOutputTokens, stepModel, profile, calibration, predictor, predictorMae, schedulerOptions
        case requestScheduler, requestOptions, scaling, prefixBlockTokens, engine, dtype, kvDtype, outputLagSteps
    }

    @Option(help: ArgumentHelp(
        "Weight and GEMM precision: bf16 or fp8 (FP8 GEMMs at the GPU's FP8 peak where it has one). Default: the catalog's.",
        valueName: "DTYPE"))
    var dtype: String?

    @Option(help: ArgumentHelp("KV-cache precision: bf16 or fp8. Default: the catalog's (bf16).", valueName: "DTYPE"))
    var kvDtype: String?

    @Option(help: ArgumentHelp(
        "Prompt tokens per prefix-cache block hash: 512 for Mooncake hash_ids (default), 16 for vLLM-style block hashes.",
        valueName: "TOKENS"))
    var prefixBlockTokens = PrefixCache.defaultTokensPerHash

    @Option(help: ArgumentHelp(
        "Engine modelled: vllm, sglang or trtllm. Picks its calibration with --calibration auto and its defaults: scheduler (trtllm: orca, reserving prompt + --max-output-tokens as GUARANTEED_NO_EVICT), token budget with that scheduler (2048, 8192, 16384), output lag (trtllm 1) and FP8 KV with --dtype fp8 (trtllm). Default: none (any calibration, vLLM's behaviour).",
        valueName: "NAME"))
    var engine: String?

    @Option(help: ArgumentHelp(
        "Steps between a token being sampled and the client receiving it: 0 (vLLM, SGLang) or 1 (an overlap scheduler: TensorRT-LLM, the default with --engine trtllm).",
        valueName: "0|1"))
    var outputLagSteps: Int?

    /// The engine `--engine` names (its defaults: ``EngineProfile``), `nil` when none is named.
    /// - Throws: ``SluiceError`` listing the engines when the name is unknown.
    func engineProfile(_ name: String? = nil) throws -> EngineProfile? {
        try EngineProfile.named(name ?? engine)
    }

    /// The iteration scheduler: `requested` (the command's `--scheduler`), else the engine's admission policy, else vLLM.
    func schedulerName(_ requested: String?) throws -> String {
        if let requested { return requested }
        return try engineProfile()?.scheduler ?? "vllm"
    }

    /// The output lag for `engine` (the flag, else the engine's default). - Throws: ``SluiceError`` outside 0...1.
    func outputLag(engine: String?) throws -> Int {
        let lag = try outputLagSteps ?? (engineProfile(engine)?.outputLagSteps ?? 0)
        guard (0...1).contains(lag) else {
            throw SluiceError.invalidValue(field: "--output-lag-steps", value: "\(lag)", allowed: "0 or 1")
        }
        return lag
    }

    @Option(
        help: ArgumentHelp(
            "A heterogeneous fleet instead of --model/--gpu/--tp/--replicas.",
            discussion: "Comma-separated groups [COUNT*]MODEL@GPU[:tpN], e.g. '2*llama-3.1-8b@h100-sxm,2*llama-3.1-8b@a100-80g:tp2'.",
            valueName: "SPEC"))
    var fleet: String?

    @Option(name: .customLong("catalog"), help: ArgumentHelp("Extra catalog file (JSON or YAML) with GPUs/models; repeatable.", valueName: "FILE"))
    var catalogs: [String] = []

    @Option(help: ArgumentHelp("Token budget per iteration (chunked-prefill chunk size); default per scheduler.", valueName: "TOKENS"))
    var chunkSize: Int?

    @Option(help: "Cap on running sequences per replica (vLLM max_num_seqs).")
    var maxNumSeqs = 256

    @Option(help: "KV-cache block size, tokens.")
    var blockSize = 16

    @Option(help: "Explicit KV block count per replica (default: derived from GPU memory).")
    var kvBlocks: Int?

    @Option(help: "Fraction of GPU memory the engine uses (vLLM gpu_memory_utilization).")
    var gpuMemoryUtilization = 0.9

    @Option(help: "Longest prompt + output per request (default: the model's context length).")
    var maxModelLen: Int?

    @Option(help: "Cap on output tokens per request; Orca/static reserve prompt + this many.")
    var maxOutputTokens = 4096

    @Option(help: ArgumentHelp("Step-time model: roofline or table (Vidur profile CSV given by --profile).", valueName: "KIND"))
    var stepModel = "roofline"

    @Option(help: ArgumentHelp("Vidur-format mlp.csv for --step-model table.", valueName: "FILE"))
    var profile: String?

    @Option(
        name: .customLong("scheduler-option"),
        help: ArgumentHelp(
            "Override a scheduler parameter, KEY=VALUE; repeatable (e.g. offset-below=3 for slai, tile=128 for rad).",
            discussion: "Keys: slai*: \(SLAIScheduler.optionKeys.joined(separator: ", ")); rad: \(RADScheduler.optionKeys.joined(separator: ", ")); isrtf/ltr/trail: \((PredictedLengthScheduler.optionKeys + ["repredict-every"]).joined(separator: ", ")).",
            valueName: "KEY=VALUE"))
    var schedulerOptions: [String] = []

    @Option(
        help: ArgumentHelp(
            "Request-level scheduler ordering a queue in front of each engine: \(RequestPolicyRegistry.names.joined(separator: ", ")) (default: none, requests go straight in).",
            valueName: "NAME"))
    var requestScheduler: String?

    @Option(
        name: .customLong("request-option"),
        help: ArgumentHelp(
            "Override a request-scheduler parameter, KEY=VALUE; repeatable.",
            discussion: "Keys of sa-slo: \(AnnealingOrderPolicy.optionKeys.joined(separator: ", ")).", valueName: "KEY=VALUE"))
    var requestOptions: [String] = []

    @Option(help: ArgumentHelp("Output-length predictor for isrtf/ltr/trail/wait, sjf and sa-slo: online, oracle or noisy-oracle.", valueName: "NAME"))
    var predictor = "online"

    @Option(help: ArgumentHelp("Mean absolute error of the noisy-oracle predictor, tokens.", valueName: "TOKENS"))
    var predictorMae = 50.0

    @Option(
        help: ArgumentHelp(
            "Roofline calibration: 'auto' (the bundled one for MODEL@GPU if any), 'none', or a calibration file.",
            valueName: "FILE|auto|none"))
    var calibration = "auto"

    /// The catalog in force (bundled plus --catalog files).
    func loadCatalog() throws -> Catalog {
        try CatalogLoader.builtIn(merging: catalogs)
    }

    /// The engine limits from the flags. When `--chunk-size` is not given and `scheduler` is the named engine's own
    /// policy, the engine's token budget applies (``EngineProfile/maxBatchedTokens``); other schedulers keep theirs.
    func limits(scheduler: String? = nil) throws -> EngineLimits {
        func positive(_ name: String, _ v: Int?) throws {
            if let v, v <= 0 { throw SluiceError.invalidValue(field: "--\(name)", value: "\(v)", allowed: "a positive integer") }
        }
        try positive("chunk-size", chunkSize)
        try positive("max-num-seqs", maxNumSeqs)
        try positive("block-size", blockSize)
        try positive("kv-blocks", kvBlocks)
        try positive("max-model-len", maxModelLen)
        try positive("max-output-tokens", maxOutputTokens)
        guard gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1 else {
            throw SluiceError.invalidValue(field: "--gpu-memory-utilization", value: "\(gpuMemoryUtilization)", allowed: "a fraction in (0, 1]")
        }
        let profile = try engineProfile()
        let engineBudget = scheduler.flatMap { profile?.maxBatchedTokens(scheduler: $0) }
        return EngineLimits(
            maxBatchedTokens: chunkSize ?? engineBudget, maxRunningSequences: maxNumSeqs, blockSizeTokens: blockSize, kvBlocks: kvBlocks,
            gpuMemoryUtilization: gpuMemoryUtilization, maxModelLenTokens: maxModelLen, maxOutputTokens: maxOutputTokens,
            outputLagSteps: try outputLag(engine: engine))
    }

    /// The deployments of the fleet, one per replica, for `scheduler` (see ``limits(scheduler:)``).
    func deployments(catalog: Catalog, scheduler: String? = nil) throws -> [Deployment] {
        let limits = try limits(scheduler: scheduler)
        let profile = try engineProfile()
        var groups: [(count: Int, model: String, gpu: String, tp: Int)] = []
        if let fleet {
            groups = try FleetSpecParser.parse(fleet)
        } else {
            let count = replicas ?? defaultReplicas
            guard count > 0 else { throw SluiceError.invalidValue(field: "--replicas", value: "\(count)", allowed: "a positive integer") }
            groups = [(count, model, gpu, tp)]
        }
        var out: [Deployment] = []
        for g in groups {
            guard g.tp > 0 else { throw SluiceError.invalidValue(field: "--tp", value: "\(g.tp)", allowed: "a positive integer") }
            var model = try catalog.model(named: g.model)
            if dtype != nil || kvDtype != nil {
                let weights = dtype ?? (model.bytesPerWeight <= 1 ? "fp8" : "bf16")
                let kv = kvDtype ?? profile?.kvDtype(weights: weights) ?? (model.bytesPerKVElement <= 1 ? "fp8" : "bf16")
                model = try model.withPrecision(weights: weights, kv: kv)
            }
            let d = Deployment(model: model, gpu: try catalog.gpu(named: g.gpu), tensorParallel: g.tp, limits: limits)
            _ = try d.kvBlockCapacity()  // a model that does not fit fails here, with by how much
            out += Array(repeating: d, count: g.count)
        }
        return out
    }

    /// The step-time model for a deployment, and what it rests on.
    func stepTimeModel(for deployment: Deployment) throws -> (model: any StepTimeModel, provenance: StepModelProvenance) {
        _ = try engineProfile()
        let (parameters, provenance) = try StepModelFactory.rooflineParameters(calibration: calibration, deployment: deployment, engine: engine)
        switch stepModel.lowercased() {
        case "roofline":
            return (RooflineStepTimeModel(deployment: deployment, parameters: parameters), provenance)
        case "table":
            guard let profile else {
                throw SluiceError.invalidValue(field: "--profile", value: "(missing)", allowed: "a Vidur mlp.csv path with --step-model table")
            }
            var p = provenance
            p.model = "table (\(profile.split(separator: "/").last.map(String.init) ?? profile))"
            return (try StepModelFactory.tableModel(profile: profile, deployment: deployment, parameters: parameters), p)
        default:
            throw SluiceError.unknownName(kind: "step model", name: stepModel, valid: ["roofline", "table"])
        }
    }

    /// Replica specs running `scheduler`.
    func replicaSpecs(scheduler: String, catalog: Catalog, onlyOwnOptions: Bool = false) throws -> [ReplicaSpec] {
        let entry = try SchedulerRegistry.entry(named: scheduler)
        var options = try SchedulerOptions(parsing: schedulerOptions)
        if onlyOwnOptions {
            // Comparing several schedulers: each takes the overrides it knows (every key is checked by the caller).
            options = try SchedulerOptions(parsing: schedulerOptions.filter { pair in entry.optionKeys.contains { pair.hasPrefix($0 + "=") } })
        }
        try options.validate(scheduler: scheduler, allowed: entry.optionKeys)
        var models: [Deployment: (model: any StepTimeModel, provenance: StepModelProvenance)] = [:]
        return try scaling.elastic(try deployments(catalog: catalog, scheduler: scheduler).map { d in
            let m: (model: any StepTimeModel, provenance: StepModelProvenance)
            if let cached = models[d] { m = cached } else {
                m = try stepTimeModel(for: d)
                models[d] = m
            }
            var spec = ReplicaSpec(deployment: d, scheduler: scheduler, stepModel: m.model, schedulerOptions: options)
            spec.stepModelProvenance = m.provenance
            return spec
        })
    }
}

/// Parses `--fleet` specs.
enum FleetSpecParser {
    static func parse(_ spec: String) throws -> [(count: Int, model: String, gpu: String, tp: Int)] {
        var out: [(Int, String, String, Int)] = []
        for raw in spec.split(separator: ",") {
            let part = String(raw).trimmed(" ")
            var rest = Substring(part)
            var count = 1
            if let star = rest.firstIndex(of: "*") {
                guard let c = Int(rest[..<star]), c > 0 else {
                    throw SluiceError.invalidValue(field: "--fleet", value: part, allowed: "[COUNT*]MODEL@GPU[:tpN] with a positive COUNT")
                }
                count = c
                rest = rest[rest.index(after: star)...]
            }
            var tp = 1
            if let colon = rest.firstIndex(of: ":") {
                let t = rest[rest.index(after: colon)...]
                guard t.hasPrefix("tp"), let v = Int(t.dropFirst(2)), v > 0 else {
                    throw SluiceError.invalidValue(field: "--fleet", value: part, allowed: "[COUNT*]MODEL@GPU[:tpN], e.g. 2*llama-3.1-8b@h100-sxm:tp2")
                }
                tp = v
                rest = rest[..<colon]
            }
            let mg = rest.split(separator: "@")
            guard mg.count == 2, !mg[0].isEmpty, !mg[1].isEmpty else {
                throw SluiceError.invalidValue(field: "--fleet", value: part, allowed: "[COUNT*]MODEL@GPU[:tpN]")
            }
            out.append((count, String(mg[0]), String(mg[1]), tp))
        }
        guard !out.isEmpty else { throw SluiceError.invalidValue(field: "--fleet", value: spec, allowed: "at least one group") }
        return out
    }
}

extension String {
    func trimmed(_ set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

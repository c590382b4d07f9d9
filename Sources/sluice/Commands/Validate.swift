import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceSimulator

/// `sluice validate`: how far the simulator is from measured engine results.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay measured engine results and report the simulator's TTFT, TPOT and E2E errors.",
        discussion: """
            Formats (--format, detected when possible):
              concurrency-csv  model,gpu,tp,dtype,concurrency,input_tokens,output_tokens,ttft_ms,tpot_ms[,engine]: one \
            closed-loop run per row, simulated at that concurrency in steady state (each row's deployment comes from the \
            row; the flags give the engine limits and the calibration).
              requests-jsonl   {"arrival_s","input_tokens","output_tokens","ttft_s","tpot_s","e2e_s"[,"prefix_hash_ids"]} \
            per line, replayed on the deployment the flags give.
              vllm-bench       the JSON of `vllm bench serve --save-result --save-detailed`, replayed the way it was sent \
            (max_concurrency, request_rate) on the deployment the flags give.
            Errors are fractions: APE = |sim - measured| / measured, signed = (sim - measured) / measured.
            """)

    @Argument(help: ArgumentHelp("Measured results.", valueName: "FILE"))
    var file: String

    @Option(help: ArgumentHelp("Input format: \(MeasuredData.formats.joined(separator: ", ")) (default: detected).", valueName: "FORMAT"))
    var format: String?

    @Option(help: ArgumentHelp("Write the report as JSON ('-' for standard output, then nothing else is printed).", valueName: "FILE"))
    var json: String?

    @Flag(help: "Print every row, simulated beside measured.")
    var rows = false

    @Option(help: ArgumentHelp(
        "Scheduler for every replay (default: the engine's policy: vllm with its token budget; for trtllm rows orca, reserving each request's prompt + max_tokens as TensorRT-LLM's GUARANTEED_NO_EVICT does).",
        valueName: "NAME"))
    var scheduler: String?

    @Option(help: ArgumentHelp(
        "Closed-loop client round trip in seconds: from a request's last token to the client's next request reaching the engine (default: \(Self.defaultClientGapSeconds), see `calibrate --from-validate --serving-grid`).",
        valueName: "SECONDS"))
    var clientGap = Self.defaultClientGapSeconds

    @Option(help: ArgumentHelp(
        "How client round trips are drawn: fixed, or exponential with --client-gap as the mean (default: \(Self.defaultClientGapDistribution.rawValue)).",
        valueName: "fixed|exponential"))
    var clientGapDistribution = Self.defaultClientGapDistribution.rawValue

    @OptionGroup var fleet: FleetOptions

    /// The closed-loop client round trip `validate` assumes when `--client-gap` is not given. Chosen with the TRT-LLM
    /// token budget (``EngineProfile/trtllm``) by `sluice calibrate --from-validate data/measured/concurrency.csv --serving-grid`, leave one
    /// configuration group out: with TensorRT-LLM's one-step output lag (``EngineLimits/outputLagSteps``) a client
    /// already comes back a step after its last token was sampled, which keeps closed loops in cohorts, and a further
    /// 0 or 5 ms barely matters (12 of 13 held-out choices were 0 ms, as was the choice on all groups; before the KV-read
    /// scale joined the grid 10 of 13 chose 5 ms; without the lag every group chose 5 ms).
    static let defaultClientGapSeconds = 0.0
    /// How `validate` draws the round trips when `--client-gap-distribution` is not given (fixed: chosen with the gap).
    static let defaultClientGapDistribution = ThinkTimeDistribution.fixed

    /// Parses a think-time distribution name. - Throws: ``SluiceError`` naming `field` and the allowed names.
    static func thinkDistribution(_ name: String, field: String) throws -> ThinkTimeDistribution {
        guard let d = ThinkTimeDistribution(rawValue: name) else {
            throw SluiceError.invalidValue(field: field, value: name, allowed: ThinkTimeDistribution.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return d
    }

    /// The replica a measured closed-loop row describes: its model, GPU, TP and precision from the row, the engine
    /// limits from `fleet` (the token budget by engine unless `--chunk-size` is given), and the calibration `fleet` names
    /// (`parameters` replaces it when given, e.g. a fit being evaluated).
    static func replica(
        for run: MeasuredConcurrencyRun, fleet: FleetOptions, catalog: Catalog, scheduler requested: String? = nil,
        parameters override: RooflineParameters? = nil, tokenBudget: Int? = nil
    ) throws(SluiceError) -> (spec: ReplicaSpec, base: RooflineParameters) {
        do {
            // A measured row names its engine; rows without one are taken for vLLM (``EngineProfile``).
            let profile = try fleet.engineProfile(run.engine) ?? .vllm
            let scheduler = requested ?? profile.scheduler
            let kv = fleet.kvDtype ?? profile.kvDtype(weights: run.dtype)
            let model = try catalog.model(named: run.model).withPrecision(weights: run.dtype, kv: kv)
            var limits = try fleet.limits()
            limits.outputLagSteps = try fleet.outputLag(engine: profile.name)
            if let tokenBudget { limits.maxBatchedTokens = tokenBudget }
            // Benchmarks send max_tokens = the output length (GenAI-Perf, vllm bench): a worst-case reservation is that.
            if requested == nil, profile.reservesMaxTokens { limits.maxOutputTokens = run.outputTokens }
            if limits.maxBatchedTokens == nil { limits.maxBatchedTokens = profile.maxBatchedTokens }
            let d = Deployment(model: model, gpu: try catalog.gpu(named: run.gpu), tensorParallel: run.tensorParallel, limits: limits)
            var (parameters, provenance) = try StepModelFactory.rooflineParameters(
                calibration: fleet.calibration, deployment: d, engine: run.engine ?? fleet.engine)
            let base = parameters
            if let override {
                parameters = override
                provenance = StepModelProvenance(deployment: d.label, model: "roofline", calibration: "a fit being evaluated", match: "held out")
            }
            var spec = ReplicaSpec(deployment: d, scheduler: scheduler, stepModel: RooflineStepTimeModel(deployment: d, parameters: parameters))
            spec.stepModelProvenance = provenance
            return (spec, base)
        } catch let e as SluiceError {
            throw .invalidValue(field: run.label, value: e.description, allowed: "a configuration the catalog describes")
        } catch {
            throw .invalidValue(field: run.label, value: "\(error)", allowed: "a configuration the catalog describes")
        }
    }

    func run() throws {
        let data = try MeasuredDataReader.read(path: file, format: format)
        let catalog = try fleet.loadCatalog()
        guard clientGap >= 0, clientGap.isFinite else {
            throw SluiceError.invalidValue(field: "--client-gap", value: "\(clientGap)", allowed: "seconds >= 0")
        }
        var validator = Validator(seed: 0)
        validator.clientGapSeconds = clientGap
        validator.clientGapDistribution = try Self.thinkDistribution(clientGapDistribution, field: "--client-gap-distribution")
        let report: ValidationReport
        switch data {
        case .concurrency(let runs):
            report = try validator.validate(runs) { run throws(SluiceError) in
                let r = try Self.replica(for: run, fleet: fleet, catalog: catalog, scheduler: scheduler)
                return (r.spec, r.spec.stepModelProvenance.summaryLine)
            }
        case .replay(let replay):
            let specs = try fleet.replicaSpecs(scheduler: try fleet.schedulerName(scheduler), catalog: catalog)
            guard let spec = specs.first else { throw SluiceError.invalidValue(field: "--replicas", value: "0", allowed: "1") }
            report = try validator.validate(replay, replica: spec, stepModel: spec.stepModelProvenance.summaryLine, group: spec.deployment.label)
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(report)
            if json == "-" {
                FileHandle.standardOutput.write(data)
                FileHandle.standardOutput.write(Data("\n".utf8))
                return
            }
            try writeData(data, to: json)
        }
        print(ValidationPrinter.render(report, rows: rows))
    }
}

/// The text form of a ``ValidationReport``.
enum ValidationPrinter {
    static func pct(_ x: Double) -> String { fixed(x * 100, 1) + "%" }
    static func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + fixed(x * 100, 1) + "%" }

    static func render(_ r: ValidationReport, rows: Bool) -> String {
        var out = "\(r.rows) measured results\n\n"
        var t = TextTable(["metric", "median APE", "p90 APE", "mean APE", "median signed"])
        for (name, e) in [("TTFT", r.ttft), ("TPOT", r.tpot), ("E2E", r.e2e)] {
            t.add([name, pct(e.medianAPE), pct(e.p90APE), pct(e.meanAPE), signed(e.medianSignedError)])
        }
        out += t.render() + "\n"
        var g = TextTable(["group", "rows", "TTFT ms meas/sim", "TTFT APE", "TTFT signed", "TPOT ms meas/sim", "TPOT APE", "TPOT signed", "E2E APE"])
        for x in r.groups {
            g.add([
                x.name, "\(x.rows)", "\(fixed(x.measuredMedianTTFTSeconds * 1000, 1))/\(fixed(x.simulatedMedianTTFTSeconds * 1000, 1))",
                pct(x.ttft.medianAPE), signed(x.ttft.medianSignedError),
                "\(fixed(x.measuredMedianTPOTSeconds * 1000, 2))/\(fixed(x.simulatedMedianTPOTSeconds * 1000, 2))",
                pct(x.tpot.medianAPE), signed(x.tpot.medianSignedError), pct(x.e2e.medianAPE),
            ])
        }
        out += "\nper configuration group (medians):\n" + g.render() + "\n"
        for x in r.groups where !x.stepModel.isEmpty { out += "step model: \(x.stepModel)\n" }
        if rows {
            var p = TextTable(["row", "TTFT ms meas", "sim", "TPOT ms meas", "sim", "E2E s meas", "sim"])
            for x in r.pairs {
                p.add([x.label, fixed(x.measuredTTFT * 1000, 1), fixed(x.simulatedTTFT * 1000, 1), fixed(x.measuredTPOT * 1000, 2),
                       fixed(x.simulatedTPOT * 1000, 2), fixed(x.measuredE2E, 2), fixed(x.simulatedE2E, 2)])
            }
            out += "\n" + p.render()
        }
        return out
    }
}

import ArgumentParser
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// `sluice calibrate`: fit the roofline to measured step times.
struct Calibrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit the roofline step-time model's efficiencies and overheads to measured step times.",
        discussion: """
            Data formats (detected from the header):
              chunk sweep  chunk_tokens,iteration_ms[,ttft_<P>_prompt_ms]: mean iteration time while one P-token prompt \
            is prefilled alone in chunks (P from the header or --prompt-tokens), as in the SLAI paper's measurements;
              step table   prefill_tokens,prefill_context_tokens,decode_sequences,decode_context_tokens,step_ms: one \
            measured step per row.
            Fits by least squares on relative error and reports the median and maximum absolute percentage error. \
            Roofline parameters: \(RooflineParameters.names.joined(separator: ", ")).
            Example (the shipped calibration):
              sluice calibrate --data ../shared/data/profiles/slai-mistral7b-rtx6000ada.csv --model mistral-7b \
            --gpu rtx-6000-ada --fit computeEfficiency,weightStreamEfficiency,stepOverheadSeconds,gemmOverlapLoss
            """)

    @Option(help: ArgumentHelp("Measured step times (CSV).", valueName: "FILE"))
    var data: String?

    @Option(help: ArgumentHelp(
        "A folder of step tables named MODEL-tpN-DTYPE.csv, all on --gpu: one GPU-wide fit over every configuration, with its leave-one-configuration-out error.",
        valueName: "DIR"))
    var dataDir: String?

    @Option(help: ArgumentHelp(
        "A validate concurrency CSV: fit the engine's overheads (--fit) from end-to-end closed-loop results on top of each GPU's kernel calibration; errors leave one configuration group out.",
        valueName: "FILE"))
    var fromValidate: String?

    @Option(help: ArgumentHelp(
        "A gateway's SQLite ledger: fit the roofline (--fit) for --upstream, described by --model, --gpu and --tp, from its streamed answers; the error is judged on the latest 20 % of them.",
        valueName: "FILE"))
    var fromLedger: String?

    @Option(help: ArgumentHelp("With --from-ledger: the upstream's name in the gateway configuration.", valueName: "NAME"))
    var upstream: String?

    @Option(help: ArgumentHelp("With --from-validate: the engine whose kernel calibrations are the base.", valueName: "NAME"))
    var baseEngine = "vllm"

    @Option(help: ArgumentHelp("With --from-validate: the folder the calibration files go to (default: the current one).", valueName: "DIR"))
    var outputDir: String?

    @Flag(help: "With --from-validate: also choose the engine's token budget and the closed-loop client round trip from a grid, leave one group out.")
    var servingGrid = false

    @Option(help: ArgumentHelp("Engine the measurements describe (recorded in the file): vllm, sglang or trtllm.", valueName: "NAME"))
    var engine: String?

    @Option(help: ArgumentHelp("Sources of the data, with licences (recorded in the file); repeatable.", valueName: "TEXT"))
    var source: [String] = []

    @Option(help: ArgumentHelp("With --data-dir: only the tables of this precision (bf16, fp8); recorded in the file.", valueName: "DTYPE"))
    var dtype: String?

    @Option(help: "Model name from the catalog (not with --data-dir).")
    var model: String?

    @Option(help: "GPU name from the catalog.")
    var gpu: String

    @Option(help: "Tensor-parallel degree of the measurements.")
    var tp = 1

    @Option(help: ArgumentHelp("Comma-separated roofline parameters to fit.", valueName: "NAMES"))
    var fit = RooflineCalibrator.defaultFittedParameters.joined(separator: ",")

    @Option(help: "Prompt length of a chunk-sweep file whose header does not say.")
    var promptTokens: Int?

    @Option(help: ArgumentHelp("Where to write the calibration (default: MODEL@GPU.json).", valueName: "FILE"))
    var output: String?

    @Option(name: .customLong("catalog"), help: ArgumentHelp("Extra catalog file; repeatable.", valueName: "FILE"))
    var catalogs: [String] = []

    func run() async throws {
        guard tp > 0 else { throw SluiceError.invalidValue(field: "--tp", value: "\(tp)", allowed: "a positive integer") }
        let catalog = try CatalogLoader.builtIn(merging: catalogs)
        if let fromLedger {
            guard let upstream, let model else {
                throw SluiceError.invalidValue(field: "--from-ledger", value: fromLedger, allowed: "with --upstream NAME and --model M (and --gpu, --tp)")
            }
            let deployment = Deployment(model: try catalog.model(named: model), gpu: try catalog.gpu(named: gpu), tensorParallel: tp)
            try await LedgerCalibration(
                ledgerPath: fromLedger, upstream: upstream, deployment: deployment, fit: fit.split(separator: ",").map { String($0).trimmed(" ") },
                engine: engine, output: output).run()
            return
        }
        if let fromValidate {
            var fleet = try FleetOptions.parse([])
            fleet.catalogs = catalogs
            try EndToEndCalibration(
                file: fromValidate, fit: fit.split(separator: ",").map { String($0).trimmed(" ") }, engine: engine, baseEngine: baseEngine,
                sources: source, outputDirectory: outputDir, fleet: fleet, servingGrid: servingGrid).run()
            return
        }
        if let dataDir {
            guard data == nil, model == nil else {
                throw SluiceError.invalidValue(field: "--data-dir", value: dataDir, allowed: "without --data and --model (each file names its model)")
            }
            try GPUWideCalibration(
                catalog: catalog, gpu: gpu, folder: dataDir, fit: fit, engine: engine, sources: source, output: output, dtype: dtype).run()
            return
        }
        guard let data, let model else {
            throw SluiceError.invalidValue(field: "--data", value: "(missing)", allowed: "--data FILE with --model, or --data-dir DIR")
        }
        let deployment = Deployment(model: try catalog.model(named: model), gpu: try catalog.gpu(named: gpu), tensorParallel: tp)
        let points = try CalibrationData.points(contentsOf: data, promptTokens: promptTokens)
        let names = fit.split(separator: ",").map { String($0).trimmed(" ") }
        let calibrator = try RooflineCalibrator(deployment: deployment, fitting: names)
        let result = try calibrator.fit(points)
        var t = TextTable(["point", "measured ms", "predicted ms", "error"])
        for (i, p) in result.points.enumerated() {
            let predicted = result.predictedSeconds[i]
            t.add([p.label.isEmpty ? "\(i + 1)" : p.label, fixed(p.measuredSeconds * 1000, 2), fixed(predicted * 1000, 2),
                   fixed(result.absolutePercentageErrors[i], 2) + "%"])
        }
        print("\(deployment.label): \(result.points.count) points from \(CalibrationFile.fileName(of: data))\n")
        print(t.render())
        var p = TextTable(["parameter", "value", "note"])
        for (name, value) in zip(RooflineParameters.names, result.parameters.values) {
            var note = names.contains(name) ? "fitted" : "default"
            if result.parametersAtBounds.contains(name) { note += ", at a bound" }
            if result.weaklyDeterminedParameters.contains(name) { note += ", weakly determined by this data" }
            p.add([name, String(value), note])
        }
        print(p.render())
        print("median absolute error \(fixed(result.medianAbsolutePercentageError, 2))%, max \(fixed(result.maxAbsolutePercentageError, 2))%")
        let file = CalibrationFile(
            result: result, deployment: deployment, sourceData: CalibrationFile.fileName(of: data),
            description: "Fitted by sluice calibrate to \(CalibrationFile.fileName(of: data)) (\(result.points.count) points).")
        let path = output ?? "\(model)@\(gpu).json"
        try file.write(to: path)
        print("wrote \(path)")
    }
}

import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceCatalog
import SluiceSimulator

/// `sluice calibrate --from-validate FILE`: fits an engine's overheads from end-to-end closed-loop measurements
/// (a `validate` concurrency CSV), on top of each GPU's kernel calibration.
///
/// Rows at concurrency 1 isolate single steps: the mean TPOT is one decode of a batch of 1 over the mean context
/// (prompt + output / 2), the TTFT one prefill of the prompt (plus the next step for an engine whose output lags a
/// step, ``EngineLimits/outputLagSteps``). The fitted parameters (engine and serving overheads,
/// all-reduce latency, decode-attention occupancy) are shared by every configuration group; the rest of each group's
/// parameters come from its GPU's kernel calibration (`--base-engine`). Errors are leave-one-group-out: each group is
/// simulated at every concurrency it was measured at, with a fit made without it.
struct EndToEndCalibration {
    let file: String
    let fit: [String]
    let engine: String?
    let baseEngine: String
    let sources: [String]
    let outputDirectory: String?
    let fleet: FleetOptions
    /// Also choose the engine's token budget and the closed-loop client round trip (``ServingGrid``), leave one group out.
    var servingGrid = false

    func run() throws {
        var isDirectory: ObjCBool = false
        if let outputDirectory, !(FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw SluiceError.io(path: outputDirectory, reason: "no such folder for the calibration files (--output-dir)")
        }
        guard case .concurrency(let all) = try MeasuredDataReader.read(path: file, format: "concurrency-csv") else { return }
        let runs = all.filter { engine == nil || $0.engine == engine }
        guard !runs.isEmpty else { throw SluiceError.invalidValue(field: "--engine", value: engine ?? "", allowed: "an engine the file has rows for") }
        let catalog = try fleet.loadCatalog()
        var groups: [String] = []
        for r in runs where !groups.contains(r.group) { groups.append(r.group) }
        var configurations: [MultiConfigurationCalibrator.Configuration] = []
        var rowsByGroup: [String: [MeasuredConcurrencyRun]] = [:]
        for g in groups {
            let rows = runs.filter { $0.group == g }
            rowsByGroup[g] = rows
            let d = try Validate.replica(for: rows[0], fleet: fleet, catalog: catalog).spec.deployment
            let (base, _) = try StepModelFactory.rooflineParameters(calibration: "auto", deployment: d, engine: baseEngine)
            var points: [CalibrationPoint] = []
            for r in rows where r.concurrency == 1 {
                var decode = BatchShape()
                decode.addDecode(contextTokens: r.inputTokens + r.outputTokens / 2)
                points.append(CalibrationPoint(shape: decode, measuredSeconds: r.tpotSeconds, label: "\(r.label) TPOT"))
                var prefill = BatchShape()
                prefill.addPrefill(newTokens: r.inputTokens, contextTokens: 0)
                if d.limits.outputLagSteps > 0 {
                    // The first token reaches the client when the next step ends: TTFT is the prefill plus one decode
                    // step, i.e. twice the mean of the two.
                    var firstDecode = BatchShape()
                    firstDecode.addDecode(contextTokens: r.inputTokens + 1)
                    points.append(CalibrationPoint(shapes: [prefill, firstDecode], measuredSeconds: r.ttftSeconds / 2, label: "\(r.label) TTFT"))
                } else {
                    points.append(CalibrationPoint(shape: prefill, measuredSeconds: r.ttftSeconds, label: "\(r.label) TTFT"))
                }
            }
            if !points.isEmpty { configurations.append(.init(name: g, deployment: d, points: points, base: base)) }
        }
        guard configurations.count >= 2 else {
            throw SluiceError.invalidValue(field: file, value: "\(configurations.count) configuration groups with concurrency-1 rows",
                                           allowed: "at least 2 (the error is reported leave-one-group-out)")
        }
        let calibrator = try MultiConfigurationCalibrator(configurations: configurations, fitting: fit)
        let stepFit = try calibrator.fit()
        let values = try calibrator.fittedValues(fittingOn: configurations)
        // Leave one group out, end to end: simulate the group at every measured concurrency with a fit made without it.
        var pairs: [ValidationPair] = []
        var validator = Validator()
        validator.clientGapSeconds = Validate.defaultClientGapSeconds
        validator.clientGapDistribution = Validate.defaultClientGapDistribution
        var heldOutParameters: [String: RooflineParameters] = [:]
        for (i, c) in configurations.enumerated() {
            var rest = configurations
            rest.remove(at: i)
            let heldOutValues = try calibrator.fittedValues(fittingOn: rest)
            let parameters = calibrator.withFittedValues(heldOutValues, base: c.base!)
            heldOutParameters[c.name] = parameters
            if servingGrid { continue }
            let report = try validator.validate(rowsByGroup[c.name]!) { run throws(SluiceError) in
                let r = try Validate.replica(for: run, fleet: fleet, catalog: catalog, parameters: parameters)
                return (r.spec, "held out")
            }
            pairs += report.pairs
        }
        var servingChoice: ServingGrid.Point?
        if servingGrid {
            let grid = ServingGrid()
            let results = try grid.evaluate(groups: configurations.map(\.name)) { point, group throws(SluiceError) in
                var v = validator
                v.clientGapSeconds = point.clientGapSeconds
                v.clientGapDistribution = point.clientGapDistribution
                var parameters = heldOutParameters[group]!
                parameters.perSequenceOverheadSeconds = point.perSequenceOverheadSeconds
                parameters.kvBandwidthEfficiency *= point.kvBandwidthScale
                return try v.validate(rowsByGroup[group]!) { run throws(SluiceError) in
                    let r = try Validate.replica(
                        for: run, fleet: fleet, catalog: catalog, parameters: parameters, tokenBudget: point.tokenBudget)
                    return (r.spec, "held out")
                }.pairs
            }
            print(Self.render(grid, results))
            pairs = results.heldOutPairs
            servingChoice = results.chosenOnAll
        }
        let heldOut = ValidationReport(pairs: pairs, stepModels: [:])
        let servingNote = servingGrid
            ? ", at the engine token budget and client round trip chosen for each group on the others (--serving-grid)"
            : " (validate's default token budget and client round trip)"
        print("\(configurations.count) configuration groups, \(runs.count) closed-loop rows from \(CalibrationFile.fileName(of: file)); fitted on the concurrency-1 rows\n")
        var p = TextTable(["parameter", "value (all groups)"])
        for (name, v) in zip(fit, values) { p.add([name, String(v)]) }
        print(p.render())
        print(ValidationPrinter.render(heldOut, rows: false).replacingOccurrences(of: "measured results", with: "measured results, each group simulated with a fit made without it (leave one group out)"))
        guard var step = stepFit.heldOut else { return }
        step.ttftMedianAPE = heldOut.ttft.medianAPE
        step.tpotMedianAPE = heldOut.tpot.medianAPE
        step.e2eMedianAPE = heldOut.e2e.medianAPE
        func fileParameters(_ base: RooflineParameters) -> RooflineParameters {
            var p = calibrator.withFittedValues(values, base: base)
            if let servingChoice {
                p.perSequenceOverheadSeconds = servingChoice.perSequenceOverheadSeconds
                p.kvBandwidthEfficiency *= servingChoice.kvBandwidthScale
            }
            return p
        }
        // One file per GPU and precision measured: its kernel calibration with the engine's fitted values.
        var written = Set<String>()
        for c in configurations {
            let dtype = c.deployment.model.bytesPerWeight <= 1 ? "fp8" : "bf16"
            let key = "\(c.deployment.gpu.name)-\(dtype)"
            guard written.insert(key).inserted else { continue }
            let engineName = rowsByGroup[c.name]![0].engine ?? engine ?? "unknown"
            var f = CalibrationFile(
                model: GPUWideCalibration.anyModel, gpu: c.deployment.gpu.name, tensorParallel: 1,
                parameters: fileParameters(c.base!), fittedParameters: fit + (servingChoice == nil ? [] : ["perSequenceOverheadSeconds", "kvBandwidthEfficiency"]),
                statistics: .init(points: configurations.reduce(0) { $0 + $1.points.count },
                                  medianAPEPercent: (stepFit.inSampleMedianAPE * 10_000).rounded() / 100, maxAPEPercent: 0),
                sourceData: CalibrationFile.fileName(of: file),
                description: "\(engineName) overheads fitted by sluice calibrate --from-validate on the concurrency-1 rows of \(configurations.count) configuration groups, on top of the \(c.deployment.gpu.name) \(dtype) kernel calibration (\(baseEngine)). Held-out errors are leave-one-group-out; the end-to-end ones simulate every measured concurrency\(servingNote).",
                gpuSpec: c.deployment.gpu)
            f.engine = engineName
            f.dtype = dtype
            f.sources = sources.isEmpty ? nil : sources
            f.heldOut = step
            let name = "\(GPUWideCalibration.anyModel)@\(key)-\(engineName).json"
            let path = outputDirectory.map { ($0 as NSString).appendingPathComponent(name) } ?? name
            try f.write(to: path)
            print("wrote \(path)")
        }
    }

    /// Each grid point's errors over all groups (in sample, for reading only), then the held-out choices.
    static func render(_ grid: ServingGrid, _ results: ServingGrid.Results) -> String {
        var t = TextTable(["token budget", "client gap ms", "gap drawn", "per-seq µs", "KV scale", "TTFT APE", "TPOT APE", "E2E APE"])
        for p in grid.points {
            let r = ValidationReport(pairs: results.pairs[p]!.values.flatMap { $0 }, stepModels: [:])
            t.add([String(p.tokenBudget), fixed(p.clientGapSeconds * 1000, 1), p.clientGapDistribution.rawValue, fixed(p.perSequenceOverheadSeconds * 1e6, 0),
                   fixed(p.kvBandwidthScale, 2), ValidationPrinter.pct(r.ttft.medianAPE),
                   ValidationPrinter.pct(r.tpot.medianAPE), ValidationPrinter.pct(r.e2e.medianAPE)])
        }
        var counts: [ServingGrid.Point: Int] = [:]
        for p in results.choice.values { counts[p, default: 0] += 1 }
        let chosen = counts.sorted { $0.value > $1.value }.map { "\(describe($0.key)) for \($0.value) of \(results.choice.count) groups" }
        let all = results.chosenOnAll
        var out = "serving grid, every group pooled (in sample, median APE):\n" + t.render()
        out += "\nchosen leave one group out: " + chosen.joined(separator: "; ")
        out += "\nchosen on all groups (per-sequence cost and KV-read scale written to the files; token budget and client gap are validate's defaults): "
        return out + describe(all) + "\n"
    }

    /// One grid point in words.
    static func describe(_ p: ServingGrid.Point) -> String {
        let gap = fixed(p.clientGapSeconds * 1000, 1)
        let perSequence = fixed(p.perSequenceOverheadSeconds * 1e6, 0)
        return "token budget \(p.tokenBudget), client gap \(gap) ms \(p.clientGapDistribution.rawValue), \(perSequence) µs per sequence, KV-read efficiency x \(fixed(p.kvBandwidthScale, 2))"
    }
}

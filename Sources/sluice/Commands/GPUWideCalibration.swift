import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// `sluice calibrate --data-dir`: one roofline fit per GPU over every configuration's step table, reported with its
/// leave-one-configuration-out error, written as a calibration file that applies to any model on that GPU.
struct GPUWideCalibration {
    let catalog: Catalog
    let gpu: String
    let folder: String
    let fit: String
    let engine: String?
    let sources: [String]
    let output: String?
    /// Only files of this precision (`nil`: all).
    let dtype: String?

    /// The model name a GPU-wide calibration file records.
    static let anyModel = "any"

    func run() throws {
        let gpuSpec = try catalog.gpu(named: gpu)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".csv") }.sorted()
        } catch {
            throw SluiceError.io(path: folder, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        var configurations: [MultiConfigurationCalibrator.Configuration] = []
        for name in names {
            let stem = String(name.dropLast(4))
            let parts = stem.split(separator: "-")
            guard parts.count >= 3, let tpPart = parts.dropLast().last, tpPart.hasPrefix("tp"), let tp = Int(tpPart.dropFirst(2)), tp > 0 else {
                throw SluiceError.malformed(file: name, line: nil, field: "file name", reason: "expected MODEL-tpN-DTYPE.csv (e.g. llama-3.1-8b-tp1-bf16.csv)")
            }
            let dtype = String(parts.last!)
            if let wanted = self.dtype, wanted.lowercased() != dtype.lowercased() { continue }
            let modelName = parts.dropLast(2).joined(separator: "-")
            let model = try catalog.model(named: modelName).withPrecision(weights: dtype, kv: "bf16")
            let deployment = Deployment(model: model, gpu: gpuSpec, tensorParallel: tp)
            let points = try StepTimeCSV.points(contentsOf: (folder as NSString).appendingPathComponent(name))
            configurations.append(.init(name: stem, deployment: deployment, points: points))
        }
        guard !configurations.isEmpty else { throw SluiceError.io(path: folder, reason: "no .csv step tables") }
        let fitted = fit.split(separator: ",").map { String($0).trimmed(" ") }
        // Kernel tables hold GPU time only: the engine's CPU overheads are not in them, so they start (and, unless
        // fitted, stay) at 0 rather than at the datasheet defaults.
        var initial = RooflineParameters()
        if !fitted.contains("stepOverheadSeconds") { initial.stepOverheadSeconds = 0 }
        if !fitted.contains("perSequenceOverheadSeconds") { initial.perSequenceOverheadSeconds = 0 }
        let calibrator = try MultiConfigurationCalibrator(configurations: configurations, fitting: fitted, initial: initial)
        let result = try calibrator.fit()
        print("\(gpu): \(configurations.count) configurations, \(configurations.reduce(0) { $0 + $1.points.count }) steps from \(folder)")
        var t = TextTable(["configuration left out", "held-out median APE"])
        for (name, ape) in result.heldOutByConfiguration { t.add([name, fixed(ape * 100, 2) + "%"]) }
        print(t.render())
        var p = TextTable(["parameter", "value"])
        for (name, value) in zip(RooflineParameters.names, result.parameters.values) {
            p.add([name, String(value) + (fitted.contains(name) ? "  (fitted)" : "")])
        }
        print(p.render())
        print("in-sample median APE \(fixed(result.inSampleMedianAPE * 100, 2))%")
        if let h = result.heldOut { print("held-out: \(h.summary), p90 \(fixed(h.stepP90APE * 100, 2))%") }
        // The file carries the engine's CPU overheads back (the datasheet defaults unless fitted): a simulation needs them.
        var parameters = result.parameters
        let defaults = RooflineParameters()
        if !fitted.contains("stepOverheadSeconds") { parameters.stepOverheadSeconds = defaults.stepOverheadSeconds }
        if !fitted.contains("perSequenceOverheadSeconds") { parameters.perSequenceOverheadSeconds = defaults.perSequenceOverheadSeconds }
        var file = CalibrationFile(
            model: Self.anyModel, gpu: gpuSpec.name, tensorParallel: 1, parameters: parameters, fittedParameters: fitted,
            statistics: .init(points: configurations.reduce(0) { $0 + $1.points.count }, medianAPEPercent: (result.inSampleMedianAPE * 10_000).rounded() / 100,
                              maxAPEPercent: 0),
            sourceData: CalibrationFile.fileName(of: folder),
            description: "GPU-wide fit by sluice calibrate --data-dir over \(configurations.map(\.name).joined(separator: ", ")). Applies to any model on \(gpuSpec.name); held-out error is leave-one-configuration-out, on kernel time (the tables hold no CPU overhead, so the fit ran with the step and per-sequence overheads at 0; the file keeps their defaults).",
            gpuSpec: gpuSpec)
        file.engine = engine
        file.dtype = dtype?.lowercased()
        file.sources = sources.isEmpty ? nil : sources
        file.heldOut = result.heldOut
        let path = output ?? "\(Self.anyModel)@\(gpuSpec.name)\(dtype.map { "-\($0)" } ?? "").json"
        try file.write(to: path)
        print("wrote \(path)")
    }
}

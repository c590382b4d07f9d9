import Foundation
public import SluiceCore

/// The calibrations Sluice can use: those bundled in `Resources/calibrations/` (one JSON ``CalibrationFile`` per
/// model, GPU and TP, named `<model>@<gpu>.json`, or `<model>@<gpu>x<tp>.json` above TP 1) plus any a user adds.
///
/// Lookup is by content, not file name: model and GPU names case-insensitively and the TP exactly.
public struct CalibrationStore: Sendable {
    /// Folder of the bundled calibrations inside the module's resources.
    public static let bundledFolder = "calibrations"

    /// The known calibrations; later ones replace earlier ones with the same key and TP.
    public private(set) var files: [CalibrationFile]

    /// A store holding `files`.
    public init(files: [CalibrationFile] = []) {
        self.files = []
        for file in files { add(file) }
    }

    /// The calibrations bundled with Sluice, in file-name order.
    /// - Throws: ``SluiceError`` when a bundled file is unreadable or invalid (a packaging bug).
    public static func bundled() throws(SluiceError) -> CalibrationStore {
        guard let folder = Bundle.module.url(forResource: bundledFolder, withExtension: nil) else {
            return CalibrationStore()
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
                .sorted()
        } catch {
            throw .io(path: folder.path, reason: "cannot list the bundled calibrations: \(error.localizedDescription)")
        }
        var store = CalibrationStore()
        for name in names {
            store.add(try CalibrationFile(contentsOf: folder.appendingPathComponent(name).path))
        }
        return store
    }

    /// Adds `file`, replacing a calibration with the same model, GPU and TP.
    public mutating func add(_ file: CalibrationFile) {
        if let i = files.firstIndex(where: {
            $0.key == file.key && $0.tensorParallel == file.tensorParallel && $0.dtype == file.dtype && $0.engine == file.engine
        }) {
            files[i] = file
        } else {
            files.append(file)
        }
    }

    /// `model@gpu xTP` for every calibration, for listings and error messages.
    public var names: [String] { files.map { "\($0.key) (TP \($0.tensorParallel))" } }

    /// The calibration of `model` on `gpu` at `tensorParallel`.
    /// - Throws: ``SluiceError`` listing the calibrations there are.
    public func calibration(model: String, gpu: String, tensorParallel: Int = 1) throws(SluiceError) -> CalibrationFile
    {
        let key = "\(model.lowercased())@\(gpu.lowercased())"
        guard let file = files.first(where: { $0.key == key && $0.tensorParallel == tensorParallel }) else {
            throw .unknownName(kind: "calibration", name: "\(key) (TP \(tensorParallel))", valid: names)
        }
        return file
    }

    /// The calibration called `key` (`model@gpu`) at `tensorParallel`.
    /// - Throws: ``SluiceError`` when `key` has no `@` or no calibration matches.
    public func calibration(named key: String, tensorParallel: Int = 1) throws(SluiceError) -> CalibrationFile {
        let parts = key.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidValue(
                field: "calibration", value: key, allowed: "model@gpu (e.g. mistral-7b@rtx-6000-ada) or a .json file")
        }
        return try calibration(model: parts[0], gpu: parts[1], tensorParallel: tensorParallel)
    }

    /// Resolves what a user typed: a path to a calibration file (ends in `.json` or contains `/`), otherwise a
    /// `model@gpu` name looked up here.
    /// - Throws: ``SluiceError`` when the file is unreadable or invalid, or the name is unknown.
    public func resolve(_ reference: String, tensorParallel: Int = 1) throws(SluiceError) -> CalibrationFile {
        if reference.hasSuffix(".json") || reference.contains("/") {
            return try CalibrationFile(contentsOf: reference)
        }
        return try calibration(named: reference, tensorParallel: tensorParallel)
    }

    /// The calibrated parameters for `deployment`: from `reference` (a file or `model@gpu` name) when given,
    /// otherwise the calibration of the deployment's own model, GPU and TP.
    /// - Throws: ``SluiceError`` when nothing matches, or when the calibration is for another model, GPU or TP.
    public func parameters(for deployment: Deployment, from reference: String? = nil) throws(SluiceError)
        -> RooflineParameters
    {
        let tp = deployment.tensorParallel
        let file: CalibrationFile
        if let reference {
            file = try resolve(reference, tensorParallel: tp)
        } else {
            file = try calibration(model: deployment.model.name, gpu: deployment.gpu.name, tensorParallel: tp)
        }
        let wanted = "\(deployment.model.name.lowercased())@\(deployment.gpu.name.lowercased())"
        guard file.key == wanted, file.tensorParallel == tp else {
            throw .invalidValue(
                field: "calibration", value: "\(file.key) (TP \(file.tensorParallel))",
                allowed: "a calibration of \(wanted) (TP \(tp))")
        }
        return file.parameters
    }

    /// How a calibration found by ``bestMatch(for:engine:)`` relates to the deployment.
    public enum Match: Sendable, Hashable {
        /// Same model, GPU and TP.
        case exact
        /// Same model and GPU, another TP (the efficiencies carry over; TP collectives are modelled).
        case otherTensorParallel(Int)
        /// Same GPU, another model (efficiencies and overheads are properties of GPU and engine, not of the model).
        case otherModel(String)

        /// For summaries.
        public var description: String {
            switch self {
            case .exact: "exact"
            case .otherTensorParallel(let tp): "same model and GPU, fitted at TP \(tp)"
            case .otherModel(let m): m == "any" ? "GPU-wide fit over several models" : "same GPU, fitted on \(m)"
            }
        }
    }

    /// The closest calibration for `deployment`: the exact model, GPU and TP first, then the same model and GPU at
    /// another TP (nearest), then another model on the same GPU (largest data set). Among equals, one for `engine`
    /// (when given) and `dtype` wins. `nil` when nothing was fitted on the deployment's GPU.
    public func bestMatch(for deployment: Deployment, engine: String? = nil, dtype: String? = nil) -> (file: CalibrationFile, match: Match)? {
        let gpu = deployment.gpu.name.lowercased()
        let model = deployment.model.name.lowercased()
        let tp = deployment.tensorParallel
        // One key, compared in order: how close the configuration is (exact, other TP by distance, GPU-wide, another
        // model), then engine and precision misses, then the larger data set, then the name (for determinism).
        func key(_ f: CalibrationFile) -> (Int, Int, Int, Int, String) {
            let sameModel = f.model.lowercased() == model
            let tier = sameModel ? (f.tensorParallel == tp ? 0 : 1 + abs(f.tensorParallel - tp)) : (f.model == "any" ? 1_000 : 1_001)
            let engineMiss = engine.map { f.engine == nil ? 1 : (f.engine!.lowercased() == $0.lowercased() ? 0 : 2) } ?? 0
            let dtypeMiss = dtype.map { (f.dtype ?? "bf16").lowercased() == $0.lowercased() ? 0 : 1 } ?? 0
            return (tier, engineMiss, dtypeMiss, -(f.points?.count ?? f.statistics.points), f.model)
        }
        guard let best = files.filter({ $0.gpu.lowercased() == gpu }).min(by: { key($0) < key($1) }) else { return nil }
        if best.model.lowercased() != model { return (best, .otherModel(best.model)) }
        return (best, best.tensorParallel == tp ? .exact : .otherTensorParallel(best.tensorParallel))
    }
}

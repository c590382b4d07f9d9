public import Foundation
public import SluiceCore

extension CalibrationFile {
    /// Reads and validates a calibration file.
    /// - Throws: ``SluiceError`` when the file cannot be read or is not a valid calibration (names the field).
    public init(contentsOf path: String) throws(SluiceError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, reason: "cannot read the calibration file (missing or not readable)")
        }
        try self.init(json: data, file: path)
    }

    /// Decodes and validates calibration JSON; `file` names it in errors.
    /// - Throws: ``SluiceError`` naming the field that is missing, mistyped or out of range.
    public init(json: Data, file: String) throws(SluiceError) {
        let decoded: CalibrationFile
        do {
            decoded = try JSONDecoder().decode(CalibrationFile.self, from: json)
        } catch let error as DecodingError {
            throw Catalog.describe(error, file: file)
        } catch {
            throw .malformed(file: file, line: nil, field: nil, reason: "\(error)")
        }
        try decoded.validate(file: file)
        self = decoded
    }

    /// The file as JSON: pretty-printed with sorted keys and a final newline, so equal calibrations give equal bytes.
    /// - Throws: ``SluiceError`` when a value cannot be encoded (a non-finite number).
    public func jsonData() throws(SluiceError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(self)
            data.append(contentsOf: Array("\n".utf8))
            return data
        } catch {
            throw .malformed(file: key, line: nil, field: nil, reason: "cannot encode the calibration: \(error)")
        }
    }

    /// Writes ``jsonData()`` to `path` (atomically, replacing any file there).
    /// - Throws: ``SluiceError`` when the file cannot be written.
    public func write(to path: String) throws(SluiceError) {
        let data = try jsonData()
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: "cannot write the calibration file: \(error.localizedDescription)")
        }
    }

    /// Checks what decoding cannot: the version, TP, names and parameter ranges.
    func validate(file: String) throws(SluiceError) {
        guard formatVersion >= 1, formatVersion <= Self.currentFormatVersion else {
            throw .malformed(
                file: file, line: nil, field: "formatVersion",
                reason: "version \(formatVersion) is not supported (this Sluice reads 1...\(Self.currentFormatVersion))"
            )
        }
        guard tensorParallel >= 1 else {
            throw .malformed(
                file: file, line: nil, field: "tensorParallel", reason: "must be >= 1, got \(tensorParallel)")
        }
        for name in fittedParameters where !RooflineParameters.names.contains(name) {
            throw .malformed(
                file: file, line: nil, field: "fittedParameters",
                reason: "unknown parameter '\(name)'; valid: \(RooflineParameters.names.joined(separator: ", "))")
        }
        for (name, value) in zip(RooflineParameters.names, parameters.values) {
            let efficiency = name.hasSuffix("Efficiency")
            let ok = value.isFinite && value >= 0 && (!efficiency || (value > 0 && value <= 1))
            guard ok else {
                throw .malformed(
                    file: file, line: nil, field: "parameters.\(name)",
                    reason: efficiency
                        ? "must be in (0, 1], got \(value)" : "must be a finite number >= 0, got \(value)")
            }
        }
        for (name, share) in [("gemmOverlapLoss", parameters.gemmOverlapLoss), ("fp8AttentionShare", parameters.fp8AttentionShare)]
        where share > 1 {
            throw .malformed(file: file, line: nil, field: "parameters.\(name)", reason: "must be in [0, 1], got \(share)")
        }
    }

    /// The last path component of `path` (what calibration files record as their source data).
    public static func fileName(of path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }
}

public import SluiceCore
import SluiceCatalog

/// Reads measured step times in any format Sluice knows, choosing the reader by the header row:
/// ``ChunkSweepCSV`` when it has a `chunk_tokens` column, ``StepTimeCSV`` when it has `step_ms`.
public enum CalibrationData: Sendable {
    /// The formats, by the header column that identifies them.
    public enum Format: String, Sendable, CaseIterable {
        /// ``ChunkSweepCSV``.
        case chunkSweep = "chunk_tokens"
        /// ``StepTimeCSV``.
        case steps = "step_ms"
    }

    /// Reads the file at `path` in whichever format its header shows.
    /// - Parameters:
    ///   - path: the CSV file.
    ///   - promptTokens: the prompt length of a chunk sweep (`nil`: from its header); ignored for step files.
    /// - Throws: ``SluiceError`` for an unreadable file, an unknown header, or malformed rows (line and field).
    public static func points(contentsOf path: String, promptTokens: Int? = nil) throws(SluiceError)
        -> [CalibrationPoint]
    {
        let text = try CalibrationCSV.readText(path: path)
        let file = CalibrationFile.fileName(of: path)
        switch try format(of: text, file: file) {
        case .chunkSweep: return try ChunkSweepCSV.points(parsing: text, file: file, promptTokens: promptTokens)
        case .steps: return try StepTimeCSV.points(parsing: text, file: file)
        }
    }

    /// The format of CSV `text`. - Throws: ``SluiceError`` naming the header line when no format matches.
    public static func format(of text: String, file: String) throws(SluiceError) -> Format {
        let csv = try CalibrationCSV(text: text, file: file)
        for format in Format.allCases where csv.header.contains(format.rawValue) { return format }
        throw .malformed(
            file: file, line: csv.headerLine, field: nil,
            reason: "unknown calibration data format: expected a '\(ChunkSweepCSV.chunkColumn)' (chunk sweep) or "
                + "'\(StepTimeCSV.columns.joined(separator: ","))' (steps) header")
    }
}

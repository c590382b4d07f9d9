public import SluiceCore
import SluiceCatalog

/// Reads generic measured step times: one engine iteration per row, described by the running sums of a
/// ``BatchShape`` (SIMULATION.md §2.7: prefill chunks `(c, k)` and decodes over contexts `xⱼ`).
///
/// Format (CSV, header first, columns in any order, extra columns ignored):
/// `prefill_tokens,prefill_context_tokens,decode_sequences,decode_context_tokens,step_ms`.
/// A row holds at most one prefill chunk of `prefill_tokens` new tokens over `prefill_context_tokens` tokens already
/// in KV (`prefill_tokens = 0`: a pure decode step), plus `decode_sequences` decodes whose contexts sum to
/// `decode_context_tokens` (each about `decode_context_tokens / decode_sequences`; the remainder is spread one token
/// each over the first decodes, which leaves every sum the model reads exact). `step_ms` is the measured iteration
/// time in milliseconds.
public enum StepTimeCSV: Sendable {
    /// The required columns, in the canonical order.
    public static let columns = [
        "prefill_tokens", "prefill_context_tokens", "decode_sequences", "decode_context_tokens", "step_ms",
    ]

    /// Reads the file at `path`.
    /// - Returns: one point per row, labelled `<file>:<line>`.
    /// - Throws: ``SluiceError`` naming line and field for malformed input, or when the file cannot be read.
    public static func points(contentsOf path: String) throws(SluiceError) -> [CalibrationPoint] {
        try points(parsing: CalibrationCSV.readText(path: path), file: CalibrationFile.fileName(of: path))
    }

    /// Parses step CSV text; `file` is used in labels and error messages.
    /// - Throws: ``SluiceError`` naming line and field for malformed input: a missing column, a wrong field count,
    ///   a non-integer or negative count, a non-positive time, context without its tokens or sequences, or an
    ///   empty step.
    public static func points(parsing text: String, file: String) throws(SluiceError) -> [CalibrationPoint] {
        let csv = try CalibrationCSV(text: text, file: file)
        var index: [Int] = []
        for name in columns { index.append(try csv.column(name)) }
        var points: [CalibrationPoint] = []
        for row in csv.rows {
            try csv.checkWidth(row)
            let prefill = try csv.integer(row, index[0], minimum: 0)
            let prefillContext = try csv.integer(row, index[1], minimum: 0)
            let decodes = try csv.integer(row, index[2], minimum: 0)
            let decodeContext = try csv.integer(row, index[3], minimum: 0)
            let ms = try csv.positiveNumber(row, index[4])
            if prefill == 0, prefillContext > 0 {
                throw .malformed(
                    file: file, line: row.line, field: columns[1], reason: "context without prefill tokens")
            }
            if decodes == 0, decodeContext > 0 {
                throw .malformed(
                    file: file, line: row.line, field: columns[3], reason: "context without decode sequences")
            }
            if prefill == 0, decodes == 0 {
                throw .malformed(
                    file: file, line: row.line, field: columns[0],
                    reason: "empty step: no prefill tokens and no decodes")
            }
            var shape = BatchShape()
            if prefill > 0 { shape.addPrefill(newTokens: prefill, contextTokens: prefillContext) }
            for j in 0..<decodes {
                shape.addDecode(contextTokens: decodeContext / decodes + (j < decodeContext % decodes ? 1 : 0))
            }
            points.append(
                CalibrationPoint(
                    shape: shape, measuredSeconds: ms / ChunkSweepCSV.millisecondsPerSecond,
                    label: "\(file):\(row.line)"))
        }
        guard !points.isEmpty else {
            throw .malformed(file: file, line: nil, field: nil, reason: "no data rows after the header")
        }
        return points
    }
}

public import SluiceCore
import SluiceCatalog

/// Reads a "chunk sweep": mean iteration time while one prompt of `P` tokens is prefilled alone in chunks of
/// `c` tokens, for several `c` (the SLAI paper's measurement, agrimUT/SLAI `scripts/plot1_results.csv`, shipped
/// as `data/profiles/slai-mistral7b-rtx6000ada.csv`).
///
/// Format (CSV, header first): `chunk_tokens,iteration_ms[,ttft_<P>_prompt_ms]`. `P` comes from the
/// `ttft_<P>_prompt_ms` header (or is given). Row `c` becomes one ``CalibrationPoint`` over the batches
/// `(c, k = 0), (c, k = c), (c, k = 2c), …`, the last chunk holding the `P mod c` remaining tokens when `c` does not
/// divide `P`: each a batch of one sequence in prefill. The TTFT column is not used (it includes time outside
/// the iterations: `2 × 74.7 ms` of iterations against a 202 ms TTFT at `c = 1024`).
public enum ChunkSweepCSV: Sendable {
    /// Column with the chunk size, tokens.
    public static let chunkColumn = "chunk_tokens"
    /// Column with the mean iteration time, milliseconds.
    public static let iterationColumn = "iteration_ms"
    /// Prefix of the TTFT column that names the prompt length (`ttft_<P>_prompt_ms`).
    public static let promptColumnPrefix = "ttft_"
    /// Suffix of the TTFT column that names the prompt length.
    public static let promptColumnSuffix = "_prompt_ms"

    /// Reads the file at `path`.
    /// - Parameters:
    ///   - path: the CSV file.
    ///   - promptTokens: the prompt length `P`; `nil` reads it from the `ttft_<P>_prompt_ms` header.
    /// - Returns: one point per row, labelled `<file>:<line> chunk <c>`.
    /// - Throws: ``SluiceError`` naming line and field for malformed input, or when the file cannot be read.
    public static func points(contentsOf path: String, promptTokens: Int? = nil) throws(SluiceError)
        -> [CalibrationPoint]
    {
        try points(
            parsing: CalibrationCSV.readText(path: path), file: CalibrationFile.fileName(of: path),
            promptTokens: promptTokens)
    }

    /// Parses chunk-sweep CSV text; `file` is used in labels and error messages.
    /// - Throws: ``SluiceError`` naming line and field for malformed input.
    public static func points(parsing text: String, file: String, promptTokens: Int? = nil) throws(SluiceError)
        -> [CalibrationPoint]
    {
        let csv = try CalibrationCSV(text: text, file: file)
        let chunk = try csv.column(chunkColumn)
        let iteration = try csv.column(iterationColumn)
        var prompt = 0
        if let promptTokens { prompt = promptTokens } else { prompt = try promptLength(fromHeader: csv) }
        guard prompt >= 1 else {
            throw .invalidValue(field: "prompt tokens", value: "\(prompt)", allowed: "a prompt length >= 1")
        }
        var points: [CalibrationPoint] = []
        for row in csv.rows {
            try csv.checkWidth(row)
            let c = try csv.integer(row, chunk, minimum: 1)
            let ms = try csv.positiveNumber(row, iteration)
            points.append(
                CalibrationPoint(
                    shapes: batches(chunkTokens: c, promptTokens: prompt), measuredSeconds: ms / millisecondsPerSecond,
                    label: "\(file):\(row.line) chunk \(c)"))
        }
        guard !points.isEmpty else {
            throw .malformed(file: file, line: nil, field: nil, reason: "no data rows after the header")
        }
        return points
    }

    /// The prefill chunks of one `promptTokens`-token prompt cut into chunks of `chunkTokens`, each a batch of one
    /// sequence with the earlier chunks in KV.
    public static func batches(chunkTokens: Int, promptTokens: Int) -> [BatchShape] {
        precondition(chunkTokens >= 1 && promptTokens >= 1, "chunk and prompt lengths must be positive")
        var shapes: [BatchShape] = []
        var done = 0
        while done < promptTokens {
            let c = min(chunkTokens, promptTokens - done)
            var shape = BatchShape()
            shape.addPrefill(newTokens: c, contextTokens: done)
            shapes.append(shape)
            done += c
        }
        return shapes
    }

    static let millisecondsPerSecond = 1000.0

    /// `P` from a `ttft_<P>_prompt_ms` header field.
    static func promptLength(fromHeader csv: CalibrationCSV) throws(SluiceError) -> Int {
        let (prefix, suffix) = (promptColumnPrefix, promptColumnSuffix)
        for field in csv.header where field.hasPrefix(prefix) && field.hasSuffix(suffix) {
            let digits = field.dropFirst(prefix.count).dropLast(suffix.count)
            if let p = Int(digits), p >= 1 { return p }
            throw .malformed(
                file: csv.file, line: csv.headerLine, field: field, reason: "'\(digits)' is not a prompt length")
        }
        throw .malformed(
            file: csv.file, line: csv.headerLine, field: "\(prefix)<P>\(suffix)",
            reason: "prompt length unknown: add a \(prefix)<P>\(suffix) column or give the prompt length")
    }
}

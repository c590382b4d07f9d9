public import SluiceCore

/// Reads the length-statistics CSV of Sarathi-Serve and Vidur (`num_prefill_tokens,num_decode_tokens,...`):
/// prompt and output lengths without timestamps, so arrivals must be generated.
public struct StatsTraceReader: TraceReader {
    /// The file.
    public let path: String
    private let lines: LineReader
    private var fields: [Range<Int>] = []
    private let prefillColumn: Int
    private let decodeColumn: Int

    /// Opens the file and finds the two columns. - Throws: ``SluiceError`` for a missing file or column.
    public init(path: String) throws(SluiceError) {
        self.path = path
        lines = try LineReader(path: path)
        let header = try CSVFields.header(lines, expected: "num_prefill_tokens,num_decode_tokens,...")
        guard let p = header.firstIndex(of: "num_prefill_tokens") else {
            throw .malformed(file: path, line: 1, field: "num_prefill_tokens", reason: "missing column")
        }
        guard let d = header.firstIndex(of: "num_decode_tokens") else {
            throw .malformed(file: path, line: 1, field: "num_decode_tokens", reason: "missing column")
        }
        prefillColumn = p
        decodeColumn = d
    }

    /// The next row.
    public mutating func next() throws(SluiceError) -> TraceRecord? {
        while true {
            let path = self.path
            let (pc, dc) = (prefillColumn, decodeColumn)
            var fields: [Range<Int>] = []
            swap(&fields, &self.fields)  // keep the buffer uniquely referenced: no copy per row
            let lineNumber = lines.lineNumber + 1
            let parsed: (Int, Int)?? = try lines.withNextLine { line throws(SluiceError) -> (Int, Int)? in
                if line.allSatisfy({ $0 == UInt8(ascii: " ") }) { return nil }
                CSVFields.split(line, into: &fields)
                guard fields.count > max(pc, dc) else {
                    throw .malformed(file: path, line: lineNumber, field: nil, reason: "expected at least \(max(pc, dc) + 1) fields, found \(fields.count)")
                }
                guard let p = CSVFields.integer(line, fields[pc]) else {
                    throw .malformed(file: path, line: lineNumber, field: "num_prefill_tokens", reason: "'\(CSVFields.text(line, fields[pc]))' is not a non-negative integer")
                }
                guard let d = CSVFields.integer(line, fields[dc]) else {
                    throw .malformed(file: path, line: lineNumber, field: "num_decode_tokens", reason: "'\(CSVFields.text(line, fields[dc]))' is not a non-negative integer")
                }
                return (p, d)
            }
            self.fields = fields
            guard let row = parsed else { return nil }
            guard let (p, d) = row else { continue }
            return TraceRecord(line: lineNumber, arrivalSeconds: nil, promptTokens: atLeastOneToken(p), outputTokens: atLeastOneToken(d))
        }
    }
}

/// A reader owns an open file; it is used from one task only.
@available(*, unavailable)
extension StatsTraceReader: Sendable {}

public import SluiceCore

/// Reads the Azure LLM inference trace CSV (Azure/AzurePublicDataset, 2023 and 2024 editions):
/// header `TIMESTAMP,ContextTokens,GeneratedTokens`, timestamps `YYYY-MM-DD HH:MM:SS[.fffffff]`.
///
/// Arrival times are reported in seconds relative to the first row.
public struct AzureTraceReader: TraceReader {
    /// The file.
    public let path: String
    private let lines: LineReader
    private var fields: [Range<Int>] = []
    private let timestampColumn: Int
    private let contextColumn: Int
    private let generatedColumn: Int
    private var origin: Double?

    /// Opens the file and checks its header. - Throws: ``SluiceError`` for a missing file or a wrong header.
    public init(path: String) throws(SluiceError) {
        self.path = path
        lines = try LineReader(path: path)
        let header = try CSVFields.header(lines, expected: "TIMESTAMP,ContextTokens,GeneratedTokens")
        func column(_ name: String) throws(SluiceError) -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw .malformed(file: path, line: 1, field: name, reason: "missing column; header is '\(header.joined(separator: ","))'")
            }
            return i
        }
        timestampColumn = try column("TIMESTAMP")
        contextColumn = try column("ContextTokens")
        generatedColumn = try column("GeneratedTokens")
    }

    /// The next row.
    public mutating func next() throws(SluiceError) -> TraceRecord? {
        while true {
            let path = self.path
            let (tc, cc, gc) = (timestampColumn, contextColumn, generatedColumn)
            var fields: [Range<Int>] = []
            swap(&fields, &self.fields)  // keep the buffer uniquely referenced: no copy per row
            let lineNumber = lines.lineNumber + 1
            let parsed: (Double, Int, Int)?? = try lines.withNextLine { line throws(SluiceError) -> (Double, Int, Int)? in
                if line.allSatisfy({ $0 == UInt8(ascii: " ") }) { return nil }
                CSVFields.split(line, into: &fields)
                guard fields.count > max(tc, cc, gc) else {
                    throw .malformed(file: path, line: lineNumber, field: nil, reason: "expected 3 fields, found \(fields.count)")
                }
                guard let t = AzureTraceReader.parseTimestamp(line, fields[tc]) else {
                    throw .malformed(
                        file: path, line: lineNumber, field: "TIMESTAMP",
                        reason: "'\(CSVFields.text(line, fields[tc]))' is not a timestamp like 2023-11-16 18:15:46.6805900")
                }
                guard let c = CSVFields.integer(line, fields[cc]) else {
                    throw .malformed(file: path, line: lineNumber, field: "ContextTokens", reason: "'\(CSVFields.text(line, fields[cc]))' is not a non-negative integer")
                }
                guard let g = CSVFields.integer(line, fields[gc]) else {
                    throw .malformed(file: path, line: lineNumber, field: "GeneratedTokens", reason: "'\(CSVFields.text(line, fields[gc]))' is not a non-negative integer")
                }
                return (t, c, g)
            }
            self.fields = fields
            guard let row = parsed else { return nil }  // end of file
            guard let (t, c, g) = row else { continue }  // blank line
            let base = origin ?? t
            origin = base
            return TraceRecord(line: lineNumber, arrivalSeconds: t - base, promptTokens: atLeastOneToken(c), outputTokens: atLeastOneToken(g))
        }
    }

    /// Seconds since 1970-01-01 of `YYYY-MM-DD HH:MM:SS[.f…]` (UTC, proleptic Gregorian), or `nil`.
    static func parseTimestamp(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double? {
        var i = r.lowerBound
        let end = r.upperBound
        while i < end && line[i] == UInt8(ascii: " ") { i += 1 }
        func number(_ digits: Int) -> Int? {
            guard i + digits <= end else { return nil }
            var v = 0
            for k in 0..<digits {
                let c = line[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += digits
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < end && line[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")), let day = number(2),
            expect(UInt8(ascii: " ")) || expect(UInt8(ascii: "T")), let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2),
            expect(UInt8(ascii: ":")), let second = number(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if i < end && line[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            var any = false
            while i < end, line[i] >= 0x30 && line[i] <= 0x39 {
                fraction += Double(line[i] - 0x30) * scale
                scale /= 10
                i += 1
                any = true
            }
            if !any { return nil }
        }
        while i < end && line[i] == UInt8(ascii: " ") { i += 1 }
        guard i == end else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
    }

    /// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\u{FEFF}" || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// A reader owns an open file; it is used from one task only.
@available(*, unavailable)
extension AzureTraceReader: Sendable {}

import Foundation
import SluiceCore

/// The small CSV reader the calibration data formats share: a header row, then rows of plain numeric fields
/// (no quoting). Blank lines and lines starting with `#` are skipped; `\r\n` line ends are accepted.
/// Every error names the file, the 1-based line and the field (``SluiceError/malformed(file:line:field:reason:)``).
struct CalibrationCSV {
    /// One data row: its 1-based line number and fields, trimmed of spaces.
    struct Row {
        var line: Int
        var fields: [String]
    }

    /// File name used in messages.
    let file: String
    /// Header fields, trimmed.
    let header: [String]
    /// Line number of the header.
    let headerLine: Int
    /// Data rows in file order.
    let rows: [Row]

    /// Splits `text` into a header and rows.
    /// - Throws: ``SluiceError`` when there is no header.
    init(text: String, file: String) throws(SluiceError) {
        self.file = file
        var header: [String]?
        var headerLine = 0
        var rows: [Row] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if header == nil {
                header = fields
                headerLine = lineNumber
            } else {
                rows.append(Row(line: lineNumber, fields: fields))
            }
        }
        guard let header else {
            throw .malformed(file: file, line: nil, field: nil, reason: "empty file: expected a header row")
        }
        self.header = header
        self.headerLine = headerLine
        self.rows = rows
    }

    /// Reads a whole text file. - Throws: ``SluiceError/io(path:reason:)`` when it cannot be read as UTF-8.
    static func readText(path: String) throws(SluiceError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, reason: "cannot read the file (missing or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .io(path: path, reason: "not UTF-8 text")
        }
        return text
    }

    /// Index of the column called `name`. - Throws: ``SluiceError`` listing the header when it is missing.
    func column(_ name: String) throws(SluiceError) -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw .malformed(
                file: file, line: headerLine, field: name,
                reason: "missing column; the header has \(header.joined(separator: ","))")
        }
        return index
    }

    /// Checks that `row` has as many fields as the header.
    func checkWidth(_ row: Row) throws(SluiceError) {
        guard row.fields.count == header.count else {
            throw .malformed(
                file: file, line: row.line, field: nil,
                reason: "\(row.fields.count) fields, the header has \(header.count)")
        }
    }

    /// The integer in `column` of `row`, at least `minimum`.
    func integer(_ row: Row, _ column: Int, minimum: Int) throws(SluiceError) -> Int {
        let text = row.fields[column]
        guard let value = Int(text) else {
            throw .malformed(file: file, line: row.line, field: header[column], reason: "'\(text)' is not an integer")
        }
        guard value >= minimum else {
            throw .malformed(file: file, line: row.line, field: header[column], reason: "\(value) is below \(minimum)")
        }
        return value
    }

    /// The positive, finite number in `column` of `row`.
    func positiveNumber(_ row: Row, _ column: Int) throws(SluiceError) -> Double {
        let text = row.fields[column]
        guard let value = Double(text), value.isFinite else {
            throw .malformed(file: file, line: row.line, field: header[column], reason: "'\(text)' is not a number")
        }
        guard value > 0 else {
            throw .malformed(file: file, line: row.line, field: header[column], reason: "\(value) is not positive")
        }
        return value
    }

    /// The finite number ≥ 0 in `column` of `row`.
    func nonNegativeNumber(_ row: Row, _ column: Int) throws(SluiceError) -> Double {
        let text = row.fields[column]
        guard let value = Double(text), value.isFinite else {
            throw .malformed(file: file, line: row.line, field: header[column], reason: "'\(text)' is not a number")
        }
        guard value >= 0 else {
            throw .malformed(file: file, line: row.line, field: header[column], reason: "\(value) is negative")
        }
        return value
    }
}

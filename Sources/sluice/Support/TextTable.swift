/// A plain-text table with aligned columns (numbers right-aligned, text left-aligned).
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(widths[i] - cell.count, 0))
                return i == 0 || !looksNumeric(cell) ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = line(header) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }

    private func looksNumeric(_ s: String) -> Bool {
        guard let f = s.first else { return false }
        return f.isNumber || f == "-" || f == "$"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// Fixed-point formatting without Foundation's locale: `fixed(3.14159, 2)` is "3.14".
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(x) * scale).rounded()
    let whole = Int64(scaled / scale)
    let frac = Int64(scaled - Double(whole) * scale)
    let sign = x < 0 && scaled != 0 ? "-" : ""
    guard digits > 0 else { return "\(sign)\(whole)" }
    let f = String(frac)
    return "\(sign)\(whole).\(String(repeating: "0", count: digits - f.count))\(f)"
}

/// Seconds as milliseconds with one decimal ("123.4").
func millis(_ seconds: Double) -> String { fixed(seconds * 1000, 1) }

/// A percentage with one decimal ("97.3%").
func percent(_ share: Double) -> String { fixed(share * 100, 1) + "%" }

import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line through a fixed buffer (`getline`), handing out each line's bytes without
/// building a `String`: a multi-million-row trace streams through constant memory.
///
/// Line terminators (`\n`, `\r\n`) are stripped. Invariant: `lineNumber` is the 1-based number of the line last
/// returned.
final class LineReader {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    private(set) var lineNumber = 0

    init(path: String) throws(SluiceError) {
        guard let f = fopen(path, "r") else {
            throw .io(path: path, reason: "cannot open trace: \(String(cString: strerror(errno)))")
        }
        self.path = path
        file = f
    }

    deinit {
        fclose(file)
        free(buffer)
    }

    /// Calls `body` with the next line's bytes. - Returns: `false` at end of file.
    func withNextLine<R>(_ body: (UnsafeBufferPointer<UInt8>) throws(SluiceError) -> R) throws(SluiceError) -> R? {
        let n = getline(&buffer, &capacity, file)
        guard n >= 0, let buffer else { return nil }
        lineNumber += 1
        var length = n
        while length > 0 && (buffer[length - 1] == 0x0A || buffer[length - 1] == 0x0D) { length -= 1 }
        return try buffer.withMemoryRebound(to: UInt8.self, capacity: length) { p throws(SluiceError) in
            try body(UnsafeBufferPointer(start: p, count: length))
        }
    }
}

/// Byte-level field helpers for CSV rows without quoting (the trace formats never quote).
enum CSVFields {
    /// Ranges of the comma-separated fields of `line`, written into `fields` (reused storage).
    static func split(_ line: UnsafeBufferPointer<UInt8>, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var start = 0
        for i in 0..<line.count where line[i] == UInt8(ascii: ",") {
            fields.append(start..<i)
            start = i + 1
        }
        fields.append(start..<line.count)
    }

    /// Reads the header line of `lines` as trimmed column names.
    /// - Throws: ``SluiceError`` for an empty file, saying which header was expected.
    static func header(_ lines: LineReader, expected: String) throws(SluiceError) -> [String] {
        guard let names = try lines.withNextLine({ line in
            var f: [Range<Int>] = []
            split(line, into: &f)
            return f.map { text(line, $0).trimmingSpaces() }
        }) else {
            throw .malformed(file: lines.path, line: 1, field: nil, reason: "empty file; expected the header \(expected)")
        }
        return names
    }

    /// The field as a string (for headers and error messages).
    static func text(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: line[r]), as: UTF8.self)
    }

    /// A non-negative decimal integer, or `nil` (also accepts a trailing `.0`).
    static func integer(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var lo = r.lowerBound
        var hi = r.upperBound
        while lo < hi && line[lo] == UInt8(ascii: " ") { lo += 1 }
        while hi > lo && line[hi - 1] == UInt8(ascii: " ") { hi -= 1 }
        guard lo < hi else { return nil }
        var value = 0
        var i = lo
        while i < hi, line[i] >= 0x30 && line[i] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(line[i] - 0x30))
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        if i == lo { return nil }
        if i < hi {
            // Allow "123.0".
            guard line[i] == UInt8(ascii: ".") else { return nil }
            i += 1
            while i < hi { if line[i] != 0x30 { return nil }; i += 1 }
        }
        return value
    }
}

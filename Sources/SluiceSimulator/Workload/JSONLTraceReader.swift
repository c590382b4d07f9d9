public import SluiceCore
import Foundation

/// Reads JSON-lines traces with Mooncake's fields (kvcache-ai/Mooncake, FAST'25): `timestamp` in milliseconds,
/// `input_length`, `output_length`, optional `hash_ids` (one id per prompt block; equal ids mean a shared prefix),
/// plus Sluice's optional `tenant`, `slo_class` and `priority`. Blank lines are skipped.
public struct JSONLTraceReader: TraceReader {
    /// The file.
    public let path: String
    private let lines: LineReader
    private let decoder = JSONDecoder()
    private var origin: Double?

    private struct Row: Decodable {
        var timestamp: Double?
        var input_length: Int
        var output_length: Int
        var hash_ids: [UInt64]?
        var tenant: String?
        var slo_class: String?
        var priority: Int?
        var model: String?
    }

    /// Milliseconds per second (Mooncake timestamps are in ms).
    static let millisecondsPerSecond = 1000.0

    /// Opens the file. - Throws: ``SluiceError`` when it cannot be read.
    public init(path: String) throws(SluiceError) {
        self.path = path
        lines = try LineReader(path: path)
    }

    /// The next row.
    public mutating func next() throws(SluiceError) -> TraceRecord? {
        while true {
            let lineNumber = lines.lineNumber + 1
            guard let bytes = try lines.withNextLine({ Data($0) }) else { return nil }
            if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            let row: Row
            do {
                row = try decoder.decode(Row.self, from: bytes)
            } catch let error as DecodingError {
                throw Self.describe(error, file: path, line: lineNumber)
            } catch {
                throw .malformed(file: path, line: lineNumber, field: nil, reason: "invalid JSON: \(error)")
            }
            guard row.input_length >= 0 else {
                throw .malformed(file: path, line: lineNumber, field: "input_length", reason: "must be >= 0, got \(row.input_length)")
            }
            guard row.output_length >= 0 else {
                throw .malformed(file: path, line: lineNumber, field: "output_length", reason: "must be >= 0, got \(row.output_length)")
            }
            var arrival: Double?
            if let ms = row.timestamp {
                guard ms.isFinite && ms >= 0 else {
                    throw .malformed(file: path, line: lineNumber, field: "timestamp", reason: "must be a non-negative number of milliseconds")
                }
                let seconds = ms / Self.millisecondsPerSecond
                let base = origin ?? seconds
                origin = base
                arrival = seconds - base
            }
            return TraceRecord(
                line: lineNumber, arrivalSeconds: arrival, promptTokens: atLeastOneToken(row.input_length),
                outputTokens: atLeastOneToken(row.output_length), tenant: row.tenant, sloClassName: row.slo_class,
                priority: row.priority, prefixBlockHashes: row.hash_ids ?? [], model: row.model)
        }
    }

    private static func describe(_ error: DecodingError, file: String, line: Int) -> SluiceError {
        func name(_ path: [any CodingKey]) -> String? { path.last.map { $0.stringValue } }
        switch error {
        case .keyNotFound(let key, _):
            return .malformed(file: file, line: line, field: key.stringValue, reason: "missing required field")
        case .typeMismatch(let type, let ctx):
            return .malformed(file: file, line: line, field: name(ctx.codingPath), reason: "expected \(type)")
        case .valueNotFound(let type, let ctx):
            return .malformed(file: file, line: line, field: name(ctx.codingPath), reason: "expected \(type), found null")
        case .dataCorrupted(let ctx):
            return .malformed(file: file, line: line, field: name(ctx.codingPath), reason: "not valid JSON (\(ctx.debugDescription))")
        @unknown default:
            return .malformed(file: file, line: line, field: nil, reason: "\(error)")
        }
    }
}

/// A reader owns an open file; it is used from one task only.
@available(*, unavailable)
extension JSONLTraceReader: Sendable {}

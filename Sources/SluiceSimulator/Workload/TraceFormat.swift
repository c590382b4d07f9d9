public import SluiceCore
import Foundation

/// The request-trace formats Sluice reads.
public enum TraceFormat: String, Sendable, CaseIterable {
    /// Azure LLM inference trace: `TIMESTAMP,ContextTokens,GeneratedTokens`.
    case azure
    /// Sarathi/Vidur length statistics: `num_prefill_tokens,num_decode_tokens,...` (no timestamps).
    case stats
    /// JSON lines with Mooncake fields: `timestamp` (ms), `input_length`, `output_length`, optional `hash_ids`,
    /// `tenant`, `slo_class`, `priority`.
    case jsonl

    /// Whether the format carries arrival timestamps.
    public var hasTimestamps: Bool { self != .stats }

    /// Detects the format from the extension and the first line.
    /// - Throws: ``SluiceError`` when the file cannot be read or matches no format.
    public static func detect(path: String) throws(SluiceError) -> TraceFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") || lower.hasSuffix(".ndjson") { return .jsonl }
        let reader = try LineReader(path: path)
        var header = ""
        while let line = try reader.withNextLine({ CSVFields.text($0, 0..<$0.count) }) {
            header = line.trimmingCharacters(in: .whitespaces)
            if !header.isEmpty { break }
        }
        if header.hasPrefix("{") { return .jsonl }
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if columns.contains("TIMESTAMP") && columns.contains("ContextTokens") { return .azure }
        if columns.contains("num_prefill_tokens") && columns.contains("num_decode_tokens") { return .stats }
        throw .malformed(
            file: path, line: 1, field: nil,
            reason: "cannot tell the trace format from the header '\(header.prefix(80))'; expected an Azure CSV "
                + "(TIMESTAMP,ContextTokens,GeneratedTokens), a stats CSV (num_prefill_tokens,num_decode_tokens,...) or "
                + "JSONL (timestamp,input_length,output_length); force one with --trace-format azure|stats|jsonl")
    }
}

public import SluiceCore

/// A streaming reader of one trace file: rows come one at a time, in file order.
public protocol TraceReader {
    /// The file being read.
    var path: String { get }
    /// The next row, or `nil` at the end. - Throws: ``SluiceError`` naming file, line and field.
    mutating func next() throws(SluiceError) -> TraceRecord?
}

/// Opens a reader for `path` in `format` (detected when `nil`).
public func openTrace(path: String, format: TraceFormat?) throws(SluiceError) -> any TraceReader {
    let resolved: TraceFormat
    if let format { resolved = format } else { resolved = try TraceFormat.detect(path: path) }
    switch resolved {
    case .azure: return try AzureTraceReader(path: path)
    case .stats: return try StatsTraceReader(path: path)
    case .jsonl: return try JSONLTraceReader(path: path)
    }
}

/// Token counts of 0 are read as 1: a request always has at least one prompt token and produces at least one
/// output token (the Azure 2023 code trace has one row with 0 context tokens).
@inline(__always)
func atLeastOneToken(_ n: Int) -> Int { max(n, 1) }

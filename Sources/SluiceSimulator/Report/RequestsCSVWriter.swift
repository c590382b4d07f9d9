public import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one CSV row per request as it ends (`--requests-csv FILE`), streaming through a buffer, so memory
/// does not grow with the run.
///
/// Columns: `request_id,replica,slo_class,status,arrival_s,prompt_tokens,output_tokens,ttft_s,tpot_s,e2e_s,
/// queueing_s,max_tbt_s,preemptions,slo_met,reject_reason`. Rows are in completion order, which is
/// deterministic for given inputs and seed.
public final class RequestsCSVWriter: RequestOutcomeSink {
    /// The header line.
    public static let header =
        "request_id,replica,slo_class,status,arrival_s,prompt_tokens,output_tokens,ttft_s,tpot_s,e2e_s,queueing_s,max_tbt_s,preemptions,slo_met,reject_reason\n"

    private let path: String
    private let file: UnsafeMutablePointer<FILE>
    private let classNames: [String]
    private var closed = false

    /// Opens `path` for writing. - Throws: ``SluiceError`` when the file cannot be created.
    public init(path: String, sloClasses: SLOClassTable) throws(SluiceError) {
        guard let f = fopen(path, "w") else {
            throw .io(path: path, reason: "cannot create file: \(String(cString: strerror(errno)))")
        }
        self.path = path
        file = f
        classNames = sloClasses.classes.map(\.name)
        try write(Self.header)
    }

    deinit { if !closed { fclose(file) } }

    /// Writes one row.
    public func record(_ o: RequestOutcome) throws(SluiceError) {
        let reason = o.rejectReason.map { "\"" + $0.replacingAll("\"", with: "\"\"") + "\"" } ?? ""
        let row =
            "\(o.requestID),\(o.replica),\(classNames[o.sloClass]),\(o.status.rawValue),\(fmt(o.arrivalSeconds)),"
            + "\(o.promptTokens),\(o.outputTokens),\(fmt(o.ttftSeconds)),\(fmt(o.tpotSeconds)),\(fmt(o.e2eSeconds)),"
            + "\(fmt(o.queueingSeconds)),\(fmt(o.maxTBTSeconds)),\(o.preemptions),\(o.sloMet ? 1 : 0),\(reason)\n"
        try write(row)
    }

    /// Flushes and closes the file. - Throws: ``SluiceError`` if the data could not be written.
    public func close() throws(SluiceError) {
        guard !closed else { return }
        closed = true
        if fclose(file) != 0 { throw .io(path: path, reason: "cannot write: \(String(cString: strerror(errno)))") }
    }

    private func write(_ s: String) throws(SluiceError) {
        var s = s
        let ok = s.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        if !ok { throw .io(path: path, reason: "cannot write: \(String(cString: strerror(errno)))") }
    }

    private func fmt(_ x: Double) -> String { formatSeconds(x) }
}

/// A writer owns an open file; it is used from one task only.
@available(*, unavailable)
extension RequestsCSVWriter: Sendable {}

/// Discards outcomes (when no per-request file is asked for).
public struct DiscardingOutcomeSink: RequestOutcomeSink, Sendable {
    /// Creates the sink.
    public init() {}
    /// Ignores the outcome.
    public mutating func record(_ outcome: RequestOutcome) throws(SluiceError) {}
}

/// Keeps outcomes in memory (tests and small runs).
public struct CollectingOutcomeSink: RequestOutcomeSink, Sendable {
    /// The outcomes in completion order.
    public private(set) var outcomes: [RequestOutcome] = []
    /// Creates the sink.
    public init() {}
    /// Appends the outcome.
    public mutating func record(_ outcome: RequestOutcome) throws(SluiceError) { outcomes.append(outcome) }
}

/// Seconds with microsecond precision and no trailing noise (`0.012345`).
func formatSeconds(_ x: Double) -> String {
    let micros = Int64((x * 1e6).rounded())
    let sign = micros < 0 ? "-" : ""
    let a = abs(micros)
    let frac = String(a % 1_000_000)
    return "\(sign)\(a / 1_000_000).\(String(repeating: "0", count: 6 - frac.count))\(frac)"
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

import Foundation
public import SluiceCore
import SluiceCatalog

/// Reads `sluice validate` inputs. Every malformed input is reported with its file, line (or request index) and field.
///
/// - `concurrency-csv`: header `model,gpu,tp,dtype,concurrency,input_tokens,output_tokens,ttft_ms,tpot_ms` (columns in
///   any order; optional `engine`; extra columns ignored): one closed-loop run per row.
/// - `requests-jsonl`: one request per line, `{"arrival_s", "input_tokens", "output_tokens", "ttft_s", "tpot_s",
///   "e2e_s"}` (optional `prefix_hash_ids`, an array of integers).
/// - `vllm-bench`: the JSON of `vllm bench serve --save-result --save-detailed` (`input_lens`, `output_lens`, `ttfts`,
///   `itls`; `max_concurrency` or `request_rate` say how the load was sent). Failed requests (`errors`) are skipped.
public enum MeasuredDataReader: Sendable {
    /// Reads `path` as `format` (`nil`: detected from the extension and the content).
    /// - Throws: ``SluiceError`` for an unreadable file, an unknown format or malformed content.
    public static func read(path: String, format: String? = nil) throws(SluiceError) -> MeasuredData {
        let text = try CalibrationCSV.readText(path: path)
        let file = CalibrationFile.fileName(of: path)
        let chosen: String
        if let format {
            guard MeasuredData.formats.contains(format.lowercased()) else {
                throw .unknownName(kind: "--format", name: format, valid: MeasuredData.formats)
            }
            chosen = format.lowercased()
        } else {
            chosen = try detect(text: text, file: file)
        }
        switch chosen {
        case "concurrency-csv": return .concurrency(try concurrencyRuns(parsing: text, file: file))
        case "requests-jsonl": return .replay(try requestsJSONL(parsing: text, file: file))
        default: return .replay(try vllmBench(parsing: text, file: file))
        }
    }

    /// The format of a file's content. - Throws: ``SluiceError`` when no format fits.
    static func detect(text: String, file: String) throws(SluiceError) -> String {
        let head = text.drop { $0.isWhitespace }
        if head.hasPrefix("{") {
            // One object per line is JSONL; one object spanning the file with per-request arrays is vllm bench.
            let firstLine = head.prefix { $0 != "\n" }
            if firstLine.contains("\"ttft_s\"") || firstLine.contains("\"input_tokens\"") { return "requests-jsonl" }
            if text.contains("\"ttfts\"") { return "vllm-bench" }
            return "requests-jsonl"
        }
        if head.prefix(while: { $0 != "\n" }).contains("ttft_ms") { return "concurrency-csv" }
        throw .malformed(file: file, line: 1, field: nil,
                         reason: "cannot tell the format: expected a CSV header with ttft_ms, JSONL requests or vllm bench JSON (set --format: \(MeasuredData.formats.joined(separator: ", ")))")
    }

    /// Parses `concurrency-csv` text.
    public static func concurrencyRuns(parsing text: String, file: String) throws(SluiceError) -> [MeasuredConcurrencyRun] {
        let csv = try CalibrationCSV(text: text, file: file)
        let names = ["model", "gpu", "tp", "dtype", "concurrency", "input_tokens", "output_tokens", "ttft_ms", "tpot_ms"]
        var c: [Int] = []
        for n in names { c.append(try csv.column(n)) }
        let engineColumn = csv.header.firstIndex(of: "engine")
        var runs: [MeasuredConcurrencyRun] = []
        for row in csv.rows {
            try csv.checkWidth(row)
            for (i, n) in names.prefix(4).enumerated() where row.fields[c[i]].isEmpty {
                throw .malformed(file: file, line: row.line, field: n, reason: "empty")
            }
            let dtype = row.fields[c[3]].lowercased()
            guard ModelSpec.precisions[dtype] != nil else {
                throw .malformed(file: file, line: row.line, field: "dtype", reason: "'\(row.fields[c[3]])' is not one of \(ModelSpec.precisions.keys.sorted().joined(separator: ", "))")
            }
            let engine = engineColumn.map { row.fields[$0].lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
            runs.append(MeasuredConcurrencyRun(
                label: "\(file):\(row.line)", model: row.fields[c[0]], gpu: row.fields[c[1]],
                tensorParallel: try csv.integer(row, c[2], minimum: 1), dtype: dtype, engine: engine,
                concurrency: try csv.integer(row, c[4], minimum: 1), inputTokens: try csv.integer(row, c[5], minimum: 1),
                outputTokens: try csv.integer(row, c[6], minimum: 1),
                ttftSeconds: try csv.positiveNumber(row, c[7]) / 1000, tpotSeconds: try csv.positiveNumber(row, c[8]) / 1000))
        }
        guard !runs.isEmpty else { throw .malformed(file: file, line: nil, field: nil, reason: "no data rows") }
        return runs
    }

    /// Parses `requests-jsonl` text.
    public static func requestsJSONL(parsing text: String, file: String) throws(SluiceError) -> MeasuredReplay {
        var requests: [MeasuredRequest] = []
        var line = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line += 1
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let object = try JSONFields(text: trimmed, file: file, line: line)
            let input = try object.integer("input_tokens", minimum: 1)
            let output = try object.integer("output_tokens", minimum: 1)
            var hashes: [UInt64] = []
            if let ids = object.fields["prefix_hash_ids"] {
                guard let array = ids as? [Any] else { throw object.error("prefix_hash_ids", "is not an array of integers") }
                for id in array {
                    guard let n = id as? NSNumber, let v = UInt64(exactly: n.doubleValue) else { throw object.error("prefix_hash_ids", "holds a non-integer") }
                    hashes.append(v)
                }
            }
            requests.append(MeasuredRequest(
                label: "\(file):\(line)", arrivalSeconds: try object.number("arrival_s", minimum: 0), inputTokens: input, outputTokens: output,
                ttftSeconds: try object.number("ttft_s", minimum: 0), tpotSeconds: try object.number("tpot_s", minimum: 0),
                e2eSeconds: try object.number("e2e_s", minimum: 0), prefixHashes: hashes))
        }
        guard !requests.isEmpty else { throw .malformed(file: file, line: nil, field: nil, reason: "no requests") }
        return MeasuredReplay(source: file, load: .recorded, requests: requests)
    }

    /// Parses the JSON that `vllm bench serve --save-result --save-detailed` writes.
    public static func vllmBench(parsing text: String, file: String) throws(SluiceError) -> MeasuredReplay {
        let object = try JSONFields(text: text, file: file, line: nil)
        func array(_ key: String) throws(SluiceError) -> [Any] {
            guard let a = object.fields[key] as? [Any] else {
                throw object.error(key, "missing or not an array (save the run with --save-result --save-detailed)")
            }
            return a
        }
        let inputs = try array("input_lens"), outputs = try array("output_lens"), ttfts = try array("ttfts"), itls = try array("itls")
        guard inputs.count == outputs.count, outputs.count == ttfts.count, ttfts.count == itls.count else {
            throw object.error("ttfts", "input_lens, output_lens, ttfts and itls differ in length (\(inputs.count), \(outputs.count), \(ttfts.count), \(itls.count))")
        }
        let errors = object.fields["errors"] as? [Any]
        var requests: [MeasuredRequest] = []
        for i in inputs.indices {
            if let e = errors?[safe: i] as? String, !e.isEmpty { continue }
            let field = "[\(i)]"
            guard let input = (inputs[i] as? NSNumber)?.intValue, let output = (outputs[i] as? NSNumber)?.intValue,
                  let ttft = (ttfts[i] as? NSNumber)?.doubleValue, let gaps = itls[i] as? [Any] else {
                throw object.error("input_lens/output_lens/ttfts/itls\(field)", "not a number (or itls not an array)")
            }
            if output == 0 || ttft <= 0 { continue }  // failed request without an error string
            guard input >= 1, ttft.isFinite else { throw object.error("input_lens\(field)", "must be >= 1 with a finite ttft") }
            var decode = 0.0
            for g in gaps {
                guard let v = (g as? NSNumber)?.doubleValue, v.isFinite, v >= 0 else { throw object.error("itls\(field)", "holds a non-number") }
                decode += v
            }
            requests.append(MeasuredRequest(
                label: "\(file)\(field)", arrivalSeconds: nil, inputTokens: input, outputTokens: output, ttftSeconds: ttft,
                tpotSeconds: output > 1 ? decode / Double(output - 1) : 0, e2eSeconds: ttft + decode, prefixHashes: []))
        }
        guard !requests.isEmpty else { throw .malformed(file: file, line: nil, field: "ttfts", reason: "no successful requests") }
        var load = MeasuredReplay.Load.burst
        if let c = (object.fields["max_concurrency"] as? NSNumber)?.intValue, c > 0 {
            load = .closedLoop(c)
        } else if let r = (object.fields["request_rate"] as? NSNumber)?.doubleValue, r > 0, r.isFinite {
            load = .poisson(r)
        }
        return MeasuredReplay(source: file, load: load, requests: requests)
    }
}

/// A JSON object's fields with typed accessors whose errors name the file, line and field.
private struct JSONFields {
    let fields: [String: Any]
    let file: String
    let line: Int?

    init(text: String, file: String, line: Int?) throws(SluiceError) {
        self.file = file
        self.line = line
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            throw .malformed(file: file, line: line, field: nil, reason: "not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw .malformed(file: file, line: line, field: nil, reason: "not a JSON object") }
        fields = object
    }

    func error(_ field: String, _ reason: String) -> SluiceError { .malformed(file: file, line: line, field: field, reason: reason) }

    func number(_ key: String, minimum: Double) throws(SluiceError) -> Double {
        guard let raw = fields[key] else { throw error(key, "missing") }
        guard !(raw is String), let n = raw as? NSNumber, n.doubleValue.isFinite else { throw error(key, "'\(raw)' is not a number") }
        guard n.doubleValue >= minimum else { throw error(key, "\(n.doubleValue) is below \(minimum)") }
        return n.doubleValue
    }

    func integer(_ key: String, minimum: Int) throws(SluiceError) -> Int {
        let v = try number(key, minimum: Double(minimum))
        guard let i = Int(exactly: v) else { throw error(key, "\(v) is not an integer") }
        return i
    }
}

extension Array {
    fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

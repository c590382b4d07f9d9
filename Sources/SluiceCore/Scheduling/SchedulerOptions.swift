/// Overrides of a scheduler's named parameters, from `--scheduler-option KEY=VALUE` (repeatable).
///
/// Each registered scheduler lists the keys it accepts (``SchedulerRegistry/Entry/optionKeys``); any other key is an
/// error that lists them. Values are parsed and range-checked by the scheduler that reads them.
public struct SchedulerOptions: Sendable, Hashable {
    /// The raw values by key.
    public private(set) var values: [String: String] = [:]

    /// No overrides.
    public init() {}

    /// Parses `KEY=VALUE` pairs. - Throws: ``SluiceError`` for a pair without `=` or a repeated key.
    public init(parsing pairs: [String]) throws(SluiceError) {
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalidValue(field: "--scheduler-option", value: pair, allowed: "KEY=VALUE, e.g. offset-below=5")
            }
            guard values[parts[0]] == nil else {
                throw .invalidValue(field: "--scheduler-option", value: pair, allowed: "each key once ('\(parts[0])' repeats)")
            }
            values[parts[0]] = parts[1]
        }
    }

    /// Whether no override was given.
    public var isEmpty: Bool { values.isEmpty }

    /// Checks every key against the scheduler's list. - Throws: ``SluiceError`` naming the key and the allowed ones.
    public func validate(scheduler: String, allowed: [String]) throws(SluiceError) {
        for key in values.keys.sorted() where !allowed.contains(key) {
            let keys = allowed.isEmpty ? "none: \(scheduler) has no options" : "a key of \(scheduler): \(allowed.joined(separator: ", "))"
            throw .invalidValue(field: "--scheduler-option", value: key, allowed: keys)
        }
    }

    /// A number in `range`, or `defaultValue` when not given.
    public func double(_ key: String, _ defaultValue: Double, in range: ClosedRange<Double>) throws(SluiceError) -> Double {
        guard let text = values[key] else { return defaultValue }
        guard let v = Double(text), range.contains(v) else {
            throw .invalidValue(field: "--scheduler-option \(key)", value: text, allowed: "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// An integer in `range`, or `defaultValue` when not given.
    public func int(_ key: String, _ defaultValue: Int, in range: ClosedRange<Int>) throws(SluiceError) -> Int {
        guard let text = values[key] else { return defaultValue }
        guard let v = Int(text), range.contains(v) else {
            throw .invalidValue(field: "--scheduler-option \(key)", value: text, allowed: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// `true`/`false`, or `defaultValue` when not given.
    public func bool(_ key: String, _ defaultValue: Bool) throws(SluiceError) -> Bool {
        guard let text = values[key] else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw .invalidValue(field: "--scheduler-option \(key)", value: text, allowed: "true or false")
        }
    }

    /// One of `allowed`, or `defaultValue` when not given.
    public func choice(_ key: String, _ defaultValue: String, allowed: [String]) throws(SluiceError) -> String {
        guard let text = values[key] else { return defaultValue }
        guard allowed.contains(text.lowercased()) else { throw .unknownName(kind: "value of \(key)", name: text, valid: allowed) }
        return text.lowercased()
    }
}

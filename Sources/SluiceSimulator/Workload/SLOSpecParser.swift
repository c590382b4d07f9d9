public import SluiceCore

/// Parses `--slo` class specs: `NAME:SHARE[:ttft=S,tbt=S,tpot=S,e2e=S]`.
///
/// SHARE is a fraction (`0.3`) or a percentage (`30%`); the shares of all classes must sum to 1. Targets are
/// seconds (or `NNNms`); a class without targets is never missed. Example:
/// `--slo 'chat:70%:ttft=1,tbt=0.2' --slo 'batch:30%:e2e=120'`.
public enum SLOSpecParser: Sendable {
    /// Target keys.
    public static let targetKeys = ["ttft", "tbt", "tpot", "e2e"]
    /// Allowed difference of the share sum from 1.
    public static let shareTolerance = 1e-6

    /// Parses the specs into a table. - Throws: ``SluiceError`` saying which spec and what is allowed.
    public static func parse(_ specs: [String]) throws(SluiceError) -> SLOClassTable {
        var classes: [SLOClass] = []
        for spec in specs {
            let parts = spec.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, !parts[0].isEmpty else {
                throw .invalidValue(field: "--slo", value: spec, allowed: "NAME:SHARE[:ttft=S,tbt=S,tpot=S,e2e=S]")
            }
            let name = parts[0]
            guard !classes.contains(where: { $0.name == name }) else {
                throw .invalidValue(field: "--slo", value: spec, allowed: "distinct class names ('\(name)' appears twice)")
            }
            let shareText = parts[1].trimmingSpaces()
            let share = shareText.hasSuffix("%") ? Double(shareText.dropLast()).map { $0 / 100 } : Double(shareText)
            guard let share, share > 0, share <= 1 else {
                throw .invalidValue(field: "--slo share of '\(name)'", value: shareText, allowed: "a fraction in (0, 1] or a percentage like 30%")
            }
            var targets = SLOTargets()
            if parts.count == 3 && !parts[2].isEmpty {
                for pair in parts[2].split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
                    guard kv.count == 2 else {
                        throw .invalidValue(field: "--slo targets of '\(name)'", value: String(pair), allowed: "KEY=SECONDS with KEY in \(targetKeys.joined(separator: ", "))")
                    }
                    var number = Substring(kv[1])
                    var scale = 1.0
                    if number.hasSuffix("ms") { number = number.dropLast(2); scale = 1e-3 } else if number.hasSuffix("s") { number = number.dropLast() }
                    guard let v = Double(number), v > 0, v.isFinite else {
                        throw .invalidValue(field: "--slo target \(kv[0]) of '\(name)'", value: kv[1], allowed: "a positive number of seconds (or NNNms)")
                    }
                    switch kv[0].lowercased() {
                    case "ttft": targets.ttftSeconds = v * scale
                    case "tbt": targets.tbtSeconds = v * scale
                    case "tpot": targets.tpotSeconds = v * scale
                    case "e2e": targets.e2eSeconds = v * scale
                    default: throw .unknownName(kind: "SLO target", name: kv[0], valid: targetKeys)
                    }
                }
            }
            classes.append(SLOClass(name: name, targets: targets, share: share))
        }
        guard !classes.isEmpty else { throw .invalidValue(field: "--slo", value: "(none)", allowed: "at least one class") }
        let sum = classes.reduce(0) { $0 + $1.share }
        guard abs(sum - 1) <= shareTolerance else {
            throw .invalidValue(field: "--slo shares", value: "sum \(sum)", allowed: "shares that sum to 1 (100%)")
        }
        return SLOClassTable(classes)
    }
}

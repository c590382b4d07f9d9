#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar {
    private let total: Int?
    private let label: String
    private let enabled: Bool
    private var drawn = false

    /// Width of the bar in characters.
    static let width = 30

    init(label: String, total: Int?, enabled: Bool = true) {
        self.label = label
        self.total = total
        self.enabled = enabled && isatty(STDERR_FILENO) != 0
    }

    func update(done: Int, simulatedSeconds: Double) {
        guard enabled else { return }
        var line = "\r\(label) "
        if let total, total > 0 {
            let share = min(Double(done) / Double(total), 1)
            let filled = Int(share * Double(Self.width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled) + "] "
            line += "\(done)/\(total) requests"
        } else {
            line += "\(done) requests"
        }
        line += ", simulated \(fixed(simulatedSeconds, 0)) s"
        writeToStandardError(line)
        drawn = true
    }

    func finish() {
        guard enabled, drawn else { return }
        writeToStandardError("\r\u{1B}[K")
        drawn = false
    }
}

import Foundation
import Synchronization

/// The gateway's clocks: monotonic seconds for durations, GPU-time shares and queue ordering; wall-clock seconds
/// since 1970 for the ledger and for budget periods (so periods agree across restarts and gateway replicas).
enum GatewayClock {
    /// Origin of the monotonic seconds.
    static let origin = ContinuousClock.now

    /// Seconds since the process's first use of the clock.
    static func monotonicSeconds() -> Double { seconds(origin.duration(to: .now)) }

    /// Seconds since 1970 (UTC).
    static func unixSeconds() -> Double { Date().timeIntervalSince1970 }

    /// A duration in seconds.
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Request ids: a per-process random prefix and a counter (`sl-3f9a1c-42`), unique across gateway replicas in practice.
final class RequestIDs: Sendable {
    private let counter = Atomic<Int>(0)
    private let prefix = "sl-" + String(UInt32.random(in: 0...UInt32.max), radix: 16) + "-"

    /// The next id.
    func next() -> String { prefix + String(counter.add(1, ordering: .relaxed).newValue) }
}

import Foundation
import SluiceCore

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
    static func seconds(_ d: Duration) -> Double { d.inSeconds }
}

/// Request ids: random UUIDs (version 4, lower case), sent to the client and to the upstream as `x-request-id`. Engines
/// use that header as their own request id (vLLM) or insist it be a UUID (llama-cpp-python's server answers 400
/// otherwise), so it must be unique across gateway replicas and in UUID form.
struct RequestIDs: Sendable {
    /// The next id.
    func next() -> String { UUID().uuidString.lowercased() }
}

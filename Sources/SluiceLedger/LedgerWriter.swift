/// Group commit in front of a ``LedgerStore``: concurrent requests hand their entries in, one transaction writes all
/// that arrived while the previous one was committing, and each caller resumes once its entry is durable. Under load
/// this turns thousands of commits per second into a few hundred, with no entry acknowledged before it is written.
///
/// A failed commit is retried ``retryDelaysSeconds``; entries still unwritten after that are reported to
/// `onFailure` (the gateway logs them whole and counts them) rather than dropped silently.
public actor LedgerWriter {
    /// The store written to.
    public nonisolated let store: any LedgerStore
    private var pending: [LedgerEntry] = []
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var flushing = false
    private let onFailure: @Sendable ([LedgerEntry], LedgerError) -> Void
    /// Entries written.
    public private(set) var written = 0
    /// Entries that could not be written.
    public private(set) var failed = 0
    /// Commits made.
    public private(set) var commits = 0

    /// Waits between retries of a failed commit.
    public static let retryDelaysSeconds: [Double] = [0.05, 0.2, 1]

    /// Creates a writer.
    public init(store: any LedgerStore, onFailure: @escaping @Sendable ([LedgerEntry], LedgerError) -> Void = { _, _ in }) {
        self.store = store
        self.onFailure = onFailure
    }

    /// Records `entry`; returns once it is committed (or reported failed).
    public func record(_ entry: LedgerEntry) async {
        pending.append(entry)
        await withCheckedContinuation { continuation in
            waiters.append(continuation)
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = pending
            let resumed = waiters
            pending.removeAll(keepingCapacity: true)
            waiters.removeAll(keepingCapacity: true)
            var lastError: LedgerError?
            for attempt in 0...Self.retryDelaysSeconds.count {
                do {
                    try await store.append(batch)
                    lastError = nil
                    break
                } catch {
                    lastError = error
                    if attempt < Self.retryDelaysSeconds.count {
                        try? await Task.sleep(for: .seconds(Self.retryDelaysSeconds[attempt]))
                    }
                }
            }
            if let lastError {
                failed += batch.count
                onFailure(batch, lastError)
            } else {
                written += batch.count
                commits += 1
            }
            for w in resumed { w.resume() }
        }
        flushing = false
    }
}

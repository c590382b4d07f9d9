#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SluiceCore
import Synchronization

/// An exclusive lock beside a SQLite ledger (`PATH.lock`), held by one gateway for as long as it runs. Two gateways
/// sharing one SQLite file would each keep their own view of the budgets and double-spend them; the second one is
/// refused at start-up and pointed to PostgreSQL, which keeps one budget across gateways. Readers (`sluice usage`)
/// take no lock. The lock is the kernel's (`flock`), so it is released when the process dies, even by `kill -9`.
final class LedgerFileLock: Sendable {
    /// The lock file's descriptor; -1 once released.
    private let descriptor: Atomic<Int32>

    /// Takes the lock for `ledgerPath`. - Throws: ``SluiceError`` when another gateway holds it or the file cannot
    /// be created.
    init(ledgerPath: String) throws(SluiceError) {
        let path = ledgerPath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot create the ledger lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .invalidValue(
                field: "ledger.sqlite", value: ledgerPath,
                allowed: "a SQLite ledger no other gateway is using (one is: two gateways on one SQLite file would double-spend budgets); give each gateway its own file, or share one budget with 'ledger: { postgres: URL }'")
        }
        descriptor = Atomic(fd)
    }

    /// Releases the lock (once; later calls do nothing).
    func release() {
        let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { close(fd) }
    }

    deinit { release() }
}

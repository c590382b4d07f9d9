public import SluiceCore
import Dispatch
import Synchronization

/// Runs independent simulations on all cores: `body(i)` for `i` in `0..<count`, results in index order.
///
/// Each simulation is single-threaded and shares nothing, so a sweep scales with the cores. The first error
/// thrown (by index) is rethrown after all runs end. Results do not depend on scheduling order.
public func parallelRuns<T: Sendable>(
    _ count: Int, _ body: @Sendable (Int) throws(SluiceError) -> T
) throws(SluiceError) -> [T] {
    let results = Mutex<[Int: Result<T, SluiceError>]>([:])
    DispatchQueue.concurrentPerform(iterations: count) { i in
        let r: Result<T, SluiceError>
        do throws(SluiceError) { r = .success(try body(i)) } catch { r = .failure(error) }
        results.withLock { $0[i] = r }
    }
    let all = results.withLock { $0 }
    var out: [T] = []
    out.reserveCapacity(count)
    for i in 0..<count {
        switch all[i]! {
        case .success(let v): out.append(v)
        case .failure(let e): throw e
        }
    }
    return out
}

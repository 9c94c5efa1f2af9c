import Foundation

/// State behind a lock, with the shape of `Synchronization.Mutex` (`withLock { state in ... }`).
///
/// KubeKit uses this instead of `Mutex` because on Linux `Mutex` is built on raw futex calls that
/// ThreadSanitizer does not see: every access it guards was reported as a data race (28 reports in the test
/// suite), which would hide real ones. This lock is a pthread mutex (through `NSLock`), which
/// ThreadSanitizer understands, so `Scripts/tsan.sh` can demand zero reports.
package final class Locked<State>: @unchecked Sendable {
    // @unchecked: `state` is read and written only while `lock` is held (in `withLock`), so no two
    // threads touch it at once; `State` values leave the lock only as the `Sendable` results of `body`.
    private let lock = NSLock()
    private var state: State

    /// State guarded from now on.
    package init(_ state: State) { self.state = state }

    /// Runs `body` with exclusive access to the state.
    package func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}

import KubeErrors

/// A clock whose sleeps return at once and are recorded, so code that waits (retries, a watch's backoff)
/// is tested without waiting and its waits are asserted exactly.
///
/// ```swift
/// let clock = RecordingClock()
/// var settings = CurlTransport.Configuration()
/// settings.clock = clock
/// // ... run the code under test ...
/// #expect(clock.sleeps == [.milliseconds(200), .milliseconds(400)])
/// ```
public final class RecordingClock: Clock, Sendable {
    /// The real clock's instants: `now` still moves, sleeps just do not wait.
    public typealias Instant = ContinuousClock.Instant
    private let recorded = Locked<[Duration]>([])

    /// A clock with no sleeps recorded.
    public init() {}

    /// The current instant of the continuous clock.
    public var now: Instant { ContinuousClock.now }
    /// Zero.
    public var minimumResolution: Duration { .zero }
    /// Every sleep asked for, in order, rounded to the millisecond (a deadline is turned back into a delay
    /// against `now`, which has moved on by a few microseconds meanwhile).
    public var sleeps: [Duration] { recorded.withLock { $0 } }

    /// Records the sleep and returns at once.
    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let delay = deadline - ContinuousClock.now
        let milliseconds = (Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15).rounded()
        recorded.withLock { $0.append(.milliseconds(Int64(milliseconds))) }
    }
}

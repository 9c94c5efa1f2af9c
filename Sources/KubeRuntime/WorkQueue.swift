import KubeErrors

/// A de-duplicating, rate-limited work queue for controllers, with client-go's workqueue semantics.
///
/// - An item added while it waits is queued once; an item added while a worker processes it is queued
///   again after ``done(_:)``, so one item is never processed by two workers at once and no change is lost.
/// - ``addRateLimited(_:)`` waits `baseDelay × 2^failures` (5 ms doubling to 1000 s by default) before the
///   item comes back; ``forget(_:)`` resets the count after a success.
///
/// ```swift
/// let queue = WorkQueue<String>()
/// Task { for await event in informer.events { queue.add(key(of: event)) } }
/// while let key = await queue.next() {
///     do { try await reconcile(key); queue.forget(key) } catch { queue.addRateLimited(key) }
///     queue.done(key)
/// }
/// ```
public final class WorkQueue<Item: Hashable & Sendable>: Sendable {
    private struct State {
        var queue: [Item] = []
        var head = 0
        var dirty: Set<Item> = []
        var processing: Set<Item> = []
        var failures: [Item: Int] = [:]
        var waiters: [CheckedContinuation<Item?, Never>] = []
        var delayed: [Int: Task<Void, Never>] = [:]
        var nextDelayed = 0
        var shuttingDown = false
    }

    private let state = Locked(State())
    private let baseDelay: Duration
    private let maximumDelay: Duration
    private let clock: any Clock<Duration>

    /// Creates a queue.
    /// - Parameters:
    ///   - baseDelay: The first rate-limited delay (5 ms).
    ///   - maximumDelay: The longest (1000 s).
    ///   - clock: The clock delays sleep on (tests pass a recording clock).
    public init(baseDelay: Duration = .milliseconds(5), maximumDelay: Duration = .seconds(1000),
                clock: any Clock<Duration> = ContinuousClock()) {
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.clock = clock
    }

    /// Items waiting (not those being processed).
    public var count: Int { state.withLock { $0.queue.count - $0.head } }

    /// Queues `item` unless it already waits.
    public func add(_ item: Item) {
        let waiter = state.withLock { state -> CheckedContinuation<Item?, Never>? in
            guard !state.shuttingDown, !state.dirty.contains(item) else { return nil }
            state.dirty.insert(item)
            // Being processed: it goes back in line when its worker calls done().
            guard !state.processing.contains(item) else { return nil }
            return Self.dispatch(item, in: &state)
        }
        waiter?.resume(returning: item)
    }

    /// Hands a dirty `item` to a waiting worker (returned, to resume outside the lock), or queues it.
    private static func dispatch(_ item: Item, in state: inout State) -> CheckedContinuation<Item?, Never>? {
        guard !state.waiters.isEmpty else {
            state.queue.append(item)
            return nil
        }
        state.dirty.remove(item)
        state.processing.insert(item)
        return state.waiters.removeFirst()
    }

    /// Queues `item` after `delay`.
    public func add(_ item: Item, after delay: Duration) {
        guard delay > .zero else { return add(item) }
        state.withLock { state in
            guard !state.shuttingDown else { return }
            let id = state.nextDelayed
            state.nextDelayed += 1
            state.delayed[id] = Task { [clock] in
                let slept: Void? = try? await clock.sleep(for: delay)
                _ = self.state.withLock { $0.delayed.removeValue(forKey: id) }
                if slept != nil { self.add(item) }
            }
        }
    }

    /// Queues `item` after its rate-limited delay, and counts a failure.
    public func addRateLimited(_ item: Item) {
        let failures = state.withLock { state -> Int in
            defer { state.failures[item, default: 0] += 1 }
            return state.failures[item, default: 0]
        }
        add(item, after: delay(afterFailures: failures))
    }

    /// The delay after `failures` earlier failures: `baseDelay × 2^failures`, at most `maximumDelay`.
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures < 62 else { return maximumDelay }
        let delay = baseDelay * Double(1 << failures)
        return delay > maximumDelay ? maximumDelay : delay
    }

    /// How many times `item` was rate-limited since the last ``forget(_:)``.
    public func failures(of item: Item) -> Int { state.withLock { $0.failures[item, default: 0] } }

    /// Resets `item`'s failure count (after it was processed successfully).
    public func forget(_ item: Item) { _ = state.withLock { $0.failures.removeValue(forKey: item) } }

    /// The next item to process (waits for one); `nil` once the queue is shut down and empty. Call
    /// ``done(_:)`` when finished with it.
    public func next() async -> Item? {
        await withCheckedContinuation { continuation in
            let result = state.withLock { state -> Item?? in
                if state.head < state.queue.count {
                    let item = state.queue[state.head]
                    state.head += 1
                    if state.head > 1024, state.head * 2 > state.queue.count {
                        state.queue.removeFirst(state.head)
                        state.head = 0
                    }
                    state.dirty.remove(item)
                    state.processing.insert(item)
                    return .some(item)
                }
                if state.shuttingDown { return .some(nil) }
                state.waiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(returning: result) }
        }
    }

    /// Marks `item` processed; if it was added meanwhile it is queued again.
    public func done(_ item: Item) {
        let waiter = state.withLock { state -> CheckedContinuation<Item?, Never>? in
            state.processing.remove(item)
            guard state.dirty.contains(item) else { return nil }
            return Self.dispatch(item, in: &state)
        }
        waiter?.resume(returning: item)
    }

    /// Stops accepting items and cancels delayed ones; workers drain what waits, then ``next()`` returns `nil`.
    public func shutDown() {
        let (waiters, delayed) = state.withLock { state -> ([CheckedContinuation<Item?, Never>], [Task<Void, Never>]) in
            state.shuttingDown = true
            defer { state.waiters = []; state.delayed = [:] }
            return (state.waiters, Array(state.delayed.values))
        }
        for task in delayed { task.cancel() }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}

import KubeErrors

/// The backoff of client-go's `wait.Backoff` for read-modify-write loops.
public struct ConflictBackoff: Sendable, Hashable {
    /// The most times the body runs.
    public var steps: Int
    /// The first delay.
    public var duration: Duration
    /// The factor between delays.
    public var factor: Double
    /// Up to this fraction of each delay is added at random.
    public var jitter: Double

    /// Creates a backoff.
    public init(steps: Int, duration: Duration, factor: Double, jitter: Double) {
        self.steps = max(1, steps)
        self.duration = duration
        self.factor = factor
        self.jitter = jitter
    }

    /// client-go's `retry.DefaultRetry`: 5 steps, 10 ms, ×1.0, jitter 0.1 — contention between clients.
    public static let defaultRetry = ConflictBackoff(steps: 5, duration: .milliseconds(10), factor: 1.0, jitter: 0.1)
    /// client-go's `retry.DefaultBackoff`: 4 steps, 10 ms, ×5.0, jitter 0.1 — a controller may be writing too.
    public static let defaultBackoff = ConflictBackoff(steps: 4, duration: .milliseconds(10), factor: 5.0, jitter: 0.1)

    /// The delay after attempt `attempt` (1-based).
    public func delay(after attempt: Int, random: Double) -> Duration {
        var seconds = duration.seconds
        for _ in 1..<max(1, attempt) { seconds *= factor }
        seconds += seconds * jitter * random
        return .nanoseconds(Int64(seconds * 1e9))
    }
}

/// Runs a read-modify-write `body` until it succeeds, fails with something other than a 409 Conflict,
/// or the attempts run out (then the last Conflict is thrown) — client-go's `retry.RetryOnConflict`.
///
/// `body` must re-read the object, apply its change and write it back each time:
///
/// ```swift
/// try await retryOnConflict {
///     var deployment = try await deployments.get("web")
///     deployment.spec?.replicas = 5
///     _ = try await deployments.replace(deployment)
/// }
/// ```
public func retryOnConflict<Result: Sendable>(
    _ backoff: ConflictBackoff = .defaultRetry,
    clock: some Clock<Duration> = ContinuousClock(),
    _ body: () async throws -> Result
) async throws -> Result {
    try await retry(onError: { ($0 as? KubeError)?.isConflict == true }, backoff, clock: clock, body)
}

/// Like ``retryOnConflict(_:clock:_:)`` with any predicate (client-go's `retry.OnError`).
public func retry<Result: Sendable>(
    onError isRetriable: (any Error) -> Bool,
    _ backoff: ConflictBackoff = .defaultRetry,
    clock: some Clock<Duration> = ContinuousClock(),
    _ body: () async throws -> Result
) async throws -> Result {
    var attempt = 1
    while true {
        do {
            return try await body()
        } catch {
            guard isRetriable(error), attempt < backoff.steps else { throw error }
            try await clock.sleep(for: backoff.delay(after: attempt, random: Double.random(in: 0..<1)))
            attempt += 1
        }
    }
}

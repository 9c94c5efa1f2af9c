import KubeErrors

/// When and how long to wait before re-sending a failed request.
///
/// The rules follow client-go and the Kubernetes API's guarantees:
/// - A 429 or 5xx response carrying a numeric `Retry-After` header (or a Status with
///   `details.retryAfterSeconds`) is retried for **every** verb after the server's delay: kube-apiserver
///   sends those only from filters that run before the request is handled (priority and fairness,
///   shutdown), so the request was not executed.
/// - Other 5xx responses (500, 502, 503, 504) are retried with exponential backoff for idempotent requests only.
/// - A failure before the request reached the server (DNS, connection refused, TLS handshake) is
///   retried for every verb; a failure after it was sent (reset, timeout) only for idempotent requests.
/// - Everything else (4xx, decoding errors, cancellation) is not retried.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included (client-go: 1 + 10 retries).
    public var maxAttempts: Int
    /// The first backoff delay.
    public var initialBackoff: Duration
    /// The backoff never exceeds this.
    public var maxBackoff: Duration
    /// Each retry multiplies the backoff by this.
    public var multiplier: Double
    /// Up to this fraction of the delay is added at random (0 = none, 1 = up to double).
    public var jitter: Double
    /// A server-suggested delay longer than this is not waited for; the error is returned instead.
    public var maxRetryAfter: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 11, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30),
                multiplier: Double = 2, jitter: Double = 0.2, maxRetryAfter: Duration = .seconds(60)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    /// The transport's default: up to 10 retries, 0.5 s → 30 s backoff, Retry-After honoured up to 60 s.
    public static let `default` = RetryPolicy()
    /// Never retry.
    public static let disabled = RetryPolicy(maxAttempts: 1)

    /// What happened to one attempt.
    public enum Outcome: Sendable, Hashable {
        /// The server answered with `status`; `retryAfterSeconds` from the header or the Status body.
        case response(status: Int, retryAfterSeconds: Int?)
        /// No response; `reachedServer` is `false` when the request provably never got there.
        case transportFailure(reachedServer: Bool)
    }

    /// The delay before the next attempt, or `nil` to stop.
    /// - Parameters:
    ///   - outcome: What happened to attempt number `attempt` (1-based).
    ///   - isIdempotent: Whether re-sending cannot apply the request twice.
    ///   - random: A number in `0..<1` for the jitter.
    public func delay(after outcome: Outcome, attempt: Int, isIdempotent: Bool,
                      random: Double = Double.random(in: 0..<1)) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        switch outcome {
        case .response(let status, let retryAfter?) where status == 429 || status >= 500:
            let delay = Duration.seconds(max(0, retryAfter))
            return delay <= maxRetryAfter ? delay : nil
        case .response(let status, nil) where [500, 502, 503, 504].contains(status) && isIdempotent:
            return backoff(forRetry: attempt, random: random)
        case .transportFailure(let reachedServer) where !reachedServer || isIdempotent:
            return backoff(forRetry: attempt, random: random)
        default:
            return nil
        }
    }

    /// The exponential delay before retry number `retry` (1-based), capped and jittered.
    public func backoff(forRetry retry: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        var seconds = initialBackoff.seconds * pow(multiplier, Double(max(0, retry - 1)))
        seconds = min(seconds, maxBackoff.seconds)
        seconds += seconds * jitter * min(max(random, 0), 1)
        return .nanoseconds(Int64(min(seconds, maxBackoff.seconds * (1 + jitter)) * 1e9))
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// `x` raised to `y` without Foundation.
private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var remaining = Int(exponent)
    while remaining > 0 { result *= base; remaining -= 1 }
    return result
}

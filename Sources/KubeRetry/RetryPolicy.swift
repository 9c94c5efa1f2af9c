import KubeErrors

/// When and how long to wait before re-sending a failed request.
///
/// The rules are meant to be predictable for tools that run unattended (see Documentation/Retries.md, which
/// sets them beside client-go's):
/// - **Never retried**: failures that another attempt cannot fix — TLS verification (unknown CA, wrong host
///   name, expired), client certificate or key problems, an unsupported protocol or malformed URL
///   (``TransportFailure/permanent``) — and every 4xx response except 429.
/// - **Connection failures** (``TransportFailure/connection(requestMayHaveArrived:)``: refused, DNS, the
///   peer closing before any response): up to ``connectionAttempts`` quick attempts within
///   ``connectionRetryWindow``. A failure after the request may have reached the server is re-sent only
///   when the request is idempotent.
/// - **5xx without `Retry-After`** (500, 502, 503, 504) on idempotent requests: up to ``maxAttempts``
///   attempts with short exponential backoff.
/// - **429 or 5xx with `Retry-After`** (or a Status with `details.retryAfterSeconds`), any verb: the
///   server's delay is honoured up to ``maxRetryAfter``, for up to ``retryAfterAttempts`` attempts.
///   kube-apiserver sends these only from filters that run before a request is handled (priority and
///   fairness, shutdown), so the request was not executed.
///
/// The transport also bounds each call by one time budget across all attempts and waits
/// (`CurlTransport.Configuration.requestTimeout`, 30 s by default): a wait that would outlast it is not
/// started, and the error names the last status and the number of attempts.
public struct RetryPolicy: Sendable, Hashable {
    /// Why an attempt got no response.
    public enum TransportFailure: Sendable, Hashable {
        /// No connection, or it closed before any response: DNS failure, connection refused, TLS handshake
        /// cut short, the peer closing the connection. `requestMayHaveArrived` is `false` when the request
        /// provably was not sent (so re-sending even a POST is safe).
        case connection(requestMayHaveArrived: Bool)
        /// A failure another attempt cannot fix: TLS verification, client certificate or key, protocol, URL.
        case permanent
    }

    /// What happened to one attempt.
    public enum Outcome: Sendable, Hashable {
        /// The server answered with `status`; `retryAfterSeconds` from the header or the Status body.
        case response(status: Int, retryAfterSeconds: Int?)
        /// No response.
        case transportFailure(TransportFailure)
    }

    /// Attempts in total, the first included, for 5xx responses without `Retry-After`.
    public var maxAttempts: Int
    /// Attempts in total for connection failures.
    public var connectionAttempts: Int
    /// Connection failures are retried only while the call has taken less than this.
    public var connectionRetryWindow: Duration
    /// Attempts in total when the server asks to retry with `Retry-After` (client-go: 1 + 10).
    public var retryAfterAttempts: Int
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
    public init(maxAttempts: Int = 3, connectionAttempts: Int = 3, connectionRetryWindow: Duration = .seconds(2),
                retryAfterAttempts: Int = 11, initialBackoff: Duration = .milliseconds(200), maxBackoff: Duration = .seconds(2),
                multiplier: Double = 2, jitter: Double = 0.2, maxRetryAfter: Duration = .seconds(30)) {
        self.maxAttempts = max(1, maxAttempts)
        self.connectionAttempts = max(1, connectionAttempts)
        self.connectionRetryWindow = connectionRetryWindow
        self.retryAfterAttempts = max(1, retryAfterAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    /// The transport's default: 3 attempts for 5xx and connection failures (0.2 s, 0.4 s apart, within 2 s
    /// for connections), `Retry-After` honoured up to 30 s for up to 11 attempts.
    public static let `default` = RetryPolicy()
    /// Never retry.
    public static let disabled = RetryPolicy(maxAttempts: 1, connectionAttempts: 1, retryAfterAttempts: 1)

    /// The delay before the next attempt, or `nil` to stop.
    /// - Parameters:
    ///   - outcome: What happened to attempt number `attempt` (1-based).
    ///   - isIdempotent: Whether re-sending cannot apply the request twice.
    ///   - elapsed: How long the call has taken so far (attempts and waits).
    ///   - random: A number in `0..<1` for the jitter.
    public func delay(after outcome: Outcome, attempt: Int, isIdempotent: Bool, elapsed: Duration = .zero,
                      random: Double = Double.random(in: 0..<1)) -> Duration? {
        switch outcome {
        case .transportFailure(.permanent):
            return nil
        case .transportFailure(.connection(let mayHaveArrived)):
            guard attempt < connectionAttempts, !mayHaveArrived || isIdempotent else { return nil }
            let delay = backoff(forRetry: attempt, random: random)
            return elapsed + delay < connectionRetryWindow ? delay : nil
        case .response(let status, let retryAfter?) where status == 429 || status >= 500:
            guard attempt < retryAfterAttempts else { return nil }
            let delay = Duration.seconds(max(0, retryAfter))
            return delay <= maxRetryAfter ? delay : nil
        case .response(let status, nil) where [500, 502, 503, 504].contains(status) && isIdempotent:
            return attempt < maxAttempts ? backoff(forRetry: attempt, random: random) : nil
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

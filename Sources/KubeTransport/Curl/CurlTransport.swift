import Foundation
import KubeConfig
import KubeErrors
import KubeRetry
import Logging

/// The real transport: libcurl with TLS, HTTP/2 multiplexing, credentials, retries and streaming.
///
/// ```swift
/// let configuration = try KubeconfigLoader().load()
/// let transport = CurlTransport(configuration)
/// let (_, body) = try await transport.data(for: KubeRequest(path: "/api/v1/namespaces/default/pods"))
/// ```
///
/// What it does for every request:
/// - Builds the URL from the cluster's server (keeping a path prefix) and adds `User-Agent`,
///   `Accept: application/json`, the credentials and impersonation headers, and gzip unless the kubeconfig
///   disables compression.
/// - Verifies the server with the configured CA (or the system roots) unless `insecure-skip-tls-verify` is
///   set (then it logs a warning once); honours `tls-server-name` and `proxy-url`. Certificates and keys go
///   to libcurl as in-memory blobs and never touch the disk.
/// - Multiplexes requests over HTTP/2 when the server offers it (ALPN), HTTP/1.1 otherwise, reusing
///   connections: at most 2 connections per server while it speaks HTTP/2, requests beyond its stream limit
///   wait for a free stream.
/// - On a 401 it asks the credential provider to refresh once (re-running an exec plugin, re-reading a
///   token file) and re-sends the request once; a second 401 throws ``KubeError/Code/unauthorized``
///   naming what was tried. Concurrent 401s share one refresh.
/// - Retries according to ``Configuration/retryPolicy`` (see ``RetryPolicy``).
/// - Streams bodies with back-pressure: a slow consumer pauses the transfer instead of growing memory.
/// - Surfaces `Warning` headers on the response and logs each distinct text once.
///
/// ## Threads and lifetime
///
/// Every transport shares one libcurl engine per process (one thread running one multi handle, started on
/// first use), so clients for the same server share connections and creating a transport or a
/// ``KubeClient`` costs no thread. Nothing a transport does blocks a Swift concurrency thread: requests
/// wait on continuations, libcurl's callbacks run on the engine thread and hand bytes over through a
/// bounded buffer. A transport needs no shutdown: use it for the whole program. For scoped use call
/// ``shutdown()`` (or use ``withTransport(_:configuration:_:)``), which aborts this transport's running
/// transfers and waits until they have ended; ``shutdownNow()`` does the same without waiting (for `defer`).
/// ``Configuration/dedicatedEngine`` gives a transport an engine of its own, stopped when the transport is
/// shut down or, once its last transfer has ended, released.
public final class CurlTransport: KubeTransport {
    /// Transport settings.
    public struct Configuration: Sendable {
        /// How long connecting (TCP + TLS) may take.
        public var connectTimeout: Duration = .seconds(10)
        /// One time budget per call across every attempt and every wait between attempts; for a unary call
        /// it covers the body too. For a stream it bounds the retries only (a stream's head and body are
        /// watched by ``streamIdleTimeout``). ``KubeRequest/timeout`` overrides it per call, and on a stream
        /// is also the stream's total limit; `nil` for none.
        public var requestTimeout: Duration? = .seconds(30)
        /// A unary response fails as "stalled" when no byte arrives for this long.
        public var stallTimeout: Duration = .seconds(30)
        /// A stream (watch, log follow) fails when no byte arrives for this long; streams have no total limit.
        public var streamIdleTimeout: Duration = .seconds(300)
        /// How often an upgraded connection (exec, attach, port-forward) pings the server (client-go: 5 s).
        public var webSocketPingInterval: Duration = .seconds(15)
        /// An upgraded connection fails with ``KubeError/Code/timeout`` when nothing at all, not even a pong,
        /// arrived for this long while its reader kept up (client-go: 61 s).
        public var webSocketIdleTimeout: Duration = .seconds(61)
        /// The most bytes of an error body that are read to decode its Status.
        public var maximumErrorBodySize = 1 << 20
        /// When to re-send failed requests.
        public var retryPolicy: RetryPolicy = .default
        /// The `User-Agent` header.
        public var userAgent: String = KubeKitVersion.userAgent
        /// Pause the network when this many body bytes wait unread.
        public var highWatermark = BodyStream.defaultHighWatermark
        /// Resume once the backlog is down to this.
        public var lowWatermark = BodyStream.defaultLowWatermark
        /// Called for each distinct warning text once (in addition to logging it).
        public var warningHandler: (@Sendable (KubeWarning) -> Void)?
        /// Where request lines and retries (debug) and server warnings go. Secrets are never logged, and
        /// nothing that the caller also receives as an error is logged above debug.
        public var logger = Logger(label: "KubeKit.Transport")
        /// The clock retries sleep on; tests replace it.
        public var clock: any Clock<Duration> = ContinuousClock()
        /// Run this transport's transfers on a libcurl engine (thread, connections) of its own instead of the
        /// process-wide one.
        public var dedicatedEngine = false

        /// The defaults.
        public init() {}
    }

    /// The cluster and credentials this transport talks to.
    public let client: ClientConfiguration
    /// The settings.
    public let configuration: Configuration
    private let engine: CurlEngine
    private let seenWarnings = Locked<Set<String>>([])
    let closed = Locked(false)
    private var owner: ObjectIdentifier { ObjectIdentifier(self) }

    /// Creates a transport for one cluster.
    public init(_ client: ClientConfiguration, configuration: Configuration = Configuration()) {
        self.client = client
        self.configuration = configuration
        self.engine = configuration.dedicatedEngine ? CurlEngine() : .shared
        if client.insecureSkipTLSVerify {
            configuration.logger.warning("TLS certificate verification is disabled for this cluster (insecure-skip-tls-verify)",
                                         metadata: ["server": "\(client.server.absoluteString)"])
        }
    }

    /// Returns at once: a dedicated engine exits once its last transfer (a body still being read) ends.
    deinit {
        if configuration.dedicatedEngine { engine.stopWhenIdle() }
    }

    /// Aborts this transport's running transfers (their bodies end with ``KubeError/Code/cancelled``) and
    /// returns once they have ended; a dedicated engine's thread has exited too. Later requests fail.
    public func shutdown() async {
        closed.withLock { $0 = true }
        if configuration.dedicatedEngine {
            await engine.stop()
        } else {
            await engine.abortTransfers(of: owner)
        }
    }

    /// ``shutdown()`` without waiting, for `defer` and other synchronous places.
    public func shutdownNow() {
        closed.withLock { $0 = true }
        if configuration.dedicatedEngine {
            engine.stopWhenIdle()
        }
        engine.abortTransfersNow(of: owner)
    }

    /// Runs `body` with a transport and shuts it down afterwards, whether `body` returns or throws.
    public static func withTransport<Result>(
        _ client: ClientConfiguration, configuration: Configuration = Configuration(),
        _ body: (CurlTransport) async throws -> Result
    ) async rethrows -> Result {
        let transport = CurlTransport(client, configuration: configuration)
        do {
            let result = try await body(transport)
            await transport.shutdown()
            return result
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// Sends a request with credentials, 401 refresh and retries; see the type's documentation.
    public func send(_ request: KubeRequest) async throws -> KubeResponse {
        let context = KubeError.RequestContext(method: request.method.rawValue, path: request.path)
        let budget = request.timeout ?? configuration.requestTimeout
        var credentials = try await client.credentials.credentials()
        var refreshed = false
        var justRefreshed = false
        var attempt = 1
        // Time spent in attempts (measured) and in waits (as asked of the clock, so an injected clock counts).
        var spent = Duration.zero
        while true {
            // Checked per attempt: a retry waiting while the transport was shut down must not start again.
            if closed.withLock({ $0 }) {
                throw KubeError(code: .transport, message: "the transport has been shut down", request: context)
            }
            // Each retry asks again: a long Retry-After may outlive a short-lived token.
            if attempt > 1, !justRefreshed { credentials = try await client.credentials.credentials() }
            justRefreshed = false
            let started = ContinuousClock.now
            let outcome: RetryPolicy.Outcome
            var failure: KubeError
            var lastStatus: String
            do {
                let remaining = budget.map { Swift.max($0 - spent, .milliseconds(1)) }
                let head = try await engine.start(try prepare(request, credentials: credentials, remaining: remaining), owner: owner)
                log(request, status: head.status, since: started, version: head.httpVersion)
                if head.status < 400 {
                    let response = KubeResponse(status: head.status, headers: head.headers, body: head.body, httpVersion: head.httpVersion)
                    report(response.warnings)
                    return response
                }
                let errorBody = (try? await head.body.collect(upTo: configuration.maximumErrorBodySize)) ?? []
                var error = KubeError.api(statusCode: head.status, contentType: head.headers["Content-Type"],
                                          retryAfter: head.headers["Retry-After"], body: errorBody, request: context)
                if head.status == 401, !(client.authentication.isEmpty) {
                    if !refreshed {
                        refreshed = true
                        let renewed = try await client.credentials.refresh(rejected: credentials)
                        if renewed != credentials {
                            configuration.logger.debug("401 Unauthorized: credentials refreshed, re-sending once",
                                                       metadata: ["request": "\(request)", "credentials": "\(client.credentialKind)"])
                            credentials = renewed
                            justRefreshed = true
                            spent += ContinuousClock.now - started
                            continue
                        }
                        error.code = .unauthorized
                        error.hint = "The server rejected the credentials (\(client.credentialKind)), which cannot be refreshed; "
                            + "check the user in the kubeconfig."
                        throw error
                    }
                    error.code = .unauthorized
                    error.hint = "The server rejected the credentials (\(client.credentialKind)) even after they were refreshed once; "
                        + "log in again or check the user in the kubeconfig."
                    throw error
                }
                let retryAfter = head.headers["Retry-After"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                    ?? error.status?.details?.retryAfterSeconds
                outcome = .response(status: head.status, retryAfterSeconds: retryAfter)
                failure = error
                lastStatus = "\(head.status)"
            } catch let curl as CurlFailure {
                log(request, failure: curl.error, since: started)
                outcome = .transportFailure(curl.kind)
                failure = curl.error
                failure.request = context
                lastStatus = failure.message
            }
            spent += ContinuousClock.now - started
            guard let delay = configuration.retryPolicy.delay(after: outcome, attempt: attempt, isIdempotent: request.isIdempotent,
                                                              elapsed: spent) else {
                if attempt > 1 { failure.message += " (after \(attempt) attempts in \(Self.format(spent)))" }
                throw failure
            }
            if let budget, spent + delay >= budget {
                // The next wait would outlast the call's budget: report now instead of sleeping first.
                failure.message += " (gave up after \(attempt) attempt\(attempt == 1 ? "" : "s") in \(Self.format(spent)): "
                    + "the next retry in \(Self.format(delay)) would pass the call's time budget of \(Self.format(budget)))"
                throw failure
            }
            configuration.logger.debug("retrying request", metadata: [
                "request": "\(request)", "attempt": "\(attempt + 1)", "delay": "\(delay)", "last": "\(lastStatus)",
            ])
            try await configuration.clock.sleep(for: delay)
            spent += delay
            attempt += 1
        }
    }

    /// `1.5 s`, `200 ms`.
    static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        let tenths = (seconds * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths)) s" : "\(tenths) s"
    }

    /// Turns a request into libcurl settings for this cluster.
    func prepare(_ request: KubeRequest, credentials: Credentials, remaining: Duration? = nil) throws(KubeError) -> CurlRequest {
        var url = client.server.absoluteString
        var connectTo: String?
        var headers: [String] = []
        if let name = client.tlsServerName, let host = client.server.host {
            // libcurl verifies (and sends SNI for) the URL's host: put the TLS name there and connect to the
            // real address, with the real authority in the Host header (what Go's tls.Config.ServerName does).
            let port = client.server.port ?? (client.server.scheme == "https" ? 443 : 80)
            var components = URLComponents(url: client.server, resolvingAgainstBaseURL: false)
            components?.host = name
            url = components?.url?.absoluteString ?? url
            let connectHost = host.contains(":") ? "[\(host)]" : host
            connectTo = "\(name):\(port):\(connectHost):\(port)"
            headers.append("Host: \(connectHost):\(port)")
        }
        url += request.target
        headers.append("User-Agent: \(configuration.userAgent)")
        if !request.headers.contains("Accept") { headers.append("Accept: application/json") }
        if let body = request.body, !request.headers.contains("Content-Type"), !body.isEmpty {
            headers.append("Content-Type: application/json")
        }
        for field in request.headers { headers.append("\(field.name): \(field.value)") }
        if client.usesTLS {
            if !request.headers.contains("Authorization"), let authorization = credentials.authorization {
                headers.append("Authorization: \(authorization.headerValue.value)")
            }
            for header in client.impersonation?.headers ?? [] { headers.append("\(header.name): \(header.value)") }
        }
        // A CR, LF or NUL in a header would let a value (a label from a chat message, a token file with a
        // stray line) inject headers of its own: refuse it, naming the header but never its value.
        for line in headers {
            let name = line.prefix { $0 != ":" }
            let isToken = !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != ":" }
            guard isToken, !line.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw KubeError(code: .invalidArgument,
                                message: "the header \"\(String(name.prefix(64)).debugDescription.dropFirst().dropLast())\" has an invalid name or a line break in its value",
                                request: .init(method: request.method.rawValue, path: request.path))
            }
        }
        let stream = request.kind == .stream
        return CurlRequest(
            url: url,
            method: request.method.rawValue,
            headers: headers,
            body: request.body ?? (request.method == .post ? [] : nil),
            connectTo: connectTo,
            certificateAuthority: client.certificateAuthority?.value,
            clientCertificate: client.usesTLS ? credentials.clientCertificate : nil,
            insecureSkipTLSVerify: client.insecureSkipTLSVerify,
            proxy: client.proxyURL?.absoluteString,
            acceptGzip: !client.disableCompression,
            connectTimeout: configuration.connectTimeout,
            totalTimeout: stream ? request.timeout : (remaining ?? request.timeout ?? configuration.requestTimeout),
            idleTimeout: stream ? configuration.streamIdleTimeout : configuration.stallTimeout,
            clusterName: client.clusterName,
            highWatermark: configuration.highWatermark,
            lowWatermark: configuration.lowWatermark)
    }

    private func log(_ request: KubeRequest, status: Int, since start: ContinuousClock.Instant, version: String?) {
        configuration.logger.debug("\(request.method) \(request.target) \(status)", metadata: [
            "duration": "\(ContinuousClock.now - start)", "protocol": "\(version ?? "?")",
        ])
    }

    private func log(_ request: KubeRequest, failure: KubeError, since start: ContinuousClock.Instant) {
        configuration.logger.debug("\(request.method) \(request.target) failed", metadata: [
            "duration": "\(ContinuousClock.now - start)", "error": "\(failure.message)",
        ])
    }

    func report(_ warnings: [KubeWarning]) {
        for warning in warnings where warning.code == 299 {
            let isNew = seenWarnings.withLock { $0.insert(warning.text).inserted }
            guard isNew else { continue }
            configuration.logger.warning("\(warning)")
            configuration.warningHandler?(warning)
        }
    }
}

import Foundation
import KubeConfig
import KubeErrors
import KubeRetry
import Logging

extension CurlTransport {
    /// Opens a WebSocket (exec, attach, port-forward): libcurl connects (TCP, proxy, TLS with the cluster's CA
    /// and client certificate, exactly as for every other request) in connect-only mode, then KubeKit sends
    /// the HTTP/1.1 Upgrade with the credentials and speaks RFC 6455 itself (libcurl 7.88 has no WebSocket
    /// support).
    ///
    /// `protocols` go out in one `Sec-WebSocket-Protocol` header in order of preference. A 401 refreshes the
    /// credentials and tries once more; failures to connect are retried as ``Configuration/retryPolicy``
    /// says, as are 429/5xx answers (which mean the command did not start). An answer other than
    /// `101 Switching Protocols` throws its `Status` as a ``KubeError``.
    ///
    /// The connection pings the server every ``Configuration/webSocketPingInterval`` (15 s) and fails with
    /// ``KubeError/Code/timeout`` when nothing at all arrived for ``Configuration/webSocketIdleTimeout``
    /// (61 s, client-go's figure) while the reader kept up.
    public func upgrade(_ request: KubeRequest, protocols: [String]) async throws -> any KubeUpgradedConnection {
        let context = KubeError.RequestContext(method: request.method.rawValue, path: request.path)
        let budget = request.timeout ?? configuration.requestTimeout
        var credentials = try await client.credentials.credentials()
        var refreshed = false
        var attempt = 1
        var spent = Duration.zero
        while true {
            if closed.withLock({ $0 }) {
                throw KubeError(code: .transport, message: "the transport has been shut down", request: context)
            }
            let started = ContinuousClock.now
            let outcome: RetryPolicy.Outcome
            var failure: KubeError
            do {
                let remaining = budget.map { Swift.max($0 - spent, .milliseconds(1)) }
                switch try await handshake(request, protocols: protocols, credentials: credentials, timeout: remaining, context: context) {
                case .upgraded(let connection):
                    configuration.logger.debug("\(request.method) \(request.target) 101", metadata: [
                        "duration": "\(ContinuousClock.now - started)", "protocol": "\(connection.selectedProtocol ?? "")",
                    ])
                    return connection
                case .refused(let status, let error, let retryAfter):
                    configuration.logger.debug("\(request.method) \(request.target) \(status)", metadata: ["duration": "\(ContinuousClock.now - started)"])
                    if status == 401, !client.authentication.isEmpty {
                        var error = error
                        error.code = .unauthorized
                        if !refreshed {
                            refreshed = true
                            let renewed = try await client.credentials.refresh(rejected: credentials)
                            if renewed != credentials {
                                configuration.logger.debug("401 Unauthorized: credentials refreshed, upgrading again once")
                                credentials = renewed
                                spent += ContinuousClock.now - started
                                continue
                            }
                        }
                        error.hint = "The server rejected the credentials (\(client.credentialKind)); log in again or check the user in the kubeconfig."
                        throw error
                    }
                    outcome = .response(status: status, retryAfterSeconds: retryAfter)
                    failure = error
                }
            } catch let curl as CurlFailure {
                outcome = .transportFailure(curl.kind)
                failure = curl.error
                failure.request = context
            }
            spent += ContinuousClock.now - started
            // Nothing ran yet: a refused upgrade or a connection that never carried the request is safe to repeat.
            guard let delay = configuration.retryPolicy.delay(after: outcome, attempt: attempt, isIdempotent: true, elapsed: spent) else {
                if attempt > 1 { failure.message += " (after \(attempt) attempts in \(Self.format(spent)))" }
                throw failure
            }
            if let budget, spent + delay >= budget { throw failure }
            configuration.logger.debug("retrying upgrade", metadata: ["request": "\(request)", "attempt": "\(attempt + 1)", "delay": "\(delay)"])
            try await configuration.clock.sleep(for: delay)
            spent += delay
            attempt += 1
            credentials = try await client.credentials.credentials()
        }
    }

    private enum HandshakeResult {
        case upgraded(WebSocketConnection)
        case refused(status: Int, error: KubeError, retryAfter: Int?)
    }

    /// One attempt: connect, send the upgrade, read the answer within `timeout`.
    private func handshake(_ request: KubeRequest, protocols: [String], credentials: Credentials, timeout: Duration?,
                           context: KubeError.RequestContext) async throws -> HandshakeResult {
        guard request.method == .get else {
            throw KubeError(code: .invalidArgument, message: "a WebSocket upgrade must be a GET request, not \(request.method)", request: context)
        }
        var prepared = try prepare(request, credentials: credentials)
        guard let url = URLComponents(string: prepared.url), let host = url.host else {
            throw KubeError(code: .invalidServerURL, message: "the server URL \(prepared.url) has no host", request: context)
        }
        var target = url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath
        if let query = url.percentEncodedQuery { target += "?" + query }
        let defaultPort = url.scheme == "http" ? 80 : 443
        var authority = host.contains(":") ? "[\(host)]" : host
        if let port = url.port, port != defaultPort { authority += ":\(port)" }
        // prepare() adds Host itself when tls-server-name reroutes the connection.
        var headers = prepared.headers.filter { !$0.lowercased().hasPrefix("accept-encoding:") }
        if let index = headers.firstIndex(where: { $0.lowercased().hasPrefix("host:") }) {
            authority = String(headers.remove(at: index).dropFirst(5)).trimmingCharacters(in: .whitespaces)
        }
        prepared.acceptGzip = false
        let socket = try await CurlSocket.connect(prepared)
        let stream = SocketLoop.shared.register(socket)
        let handshake = WebSocketHandshake()
        let watchdog = timeout.map { limit in
            Task {
                try await Task.sleep(for: limit)
                stream.fail(KubeError(code: .timeout, message: "no answer to the WebSocket upgrade within \(Self.format(limit))", request: context))
            }
        }
        defer { watchdog?.cancel() }
        do {
            try await stream.write(handshake.request(target: target, host: authority, protocols: protocols, headers: headers))
            var received: [UInt8] = []
            var head: WebSocketHandshake.Response?
            while head == nil {
                guard let bytes = try await stream.read() else {
                    throw CurlFailure(error: KubeError(code: .transport, message: "the server closed the connection before answering the WebSocket upgrade",
                                                       request: context), kind: .connection(requestMayHaveArrived: true))
                }
                received += bytes
                head = try WebSocketHandshake.parseResponse(received)
            }
            guard let head else { fatalError("unreachable") }
            let rest = Array(received[head.length...])
            if head.status == 101 {
                let chosen = try handshake.validate(head, offered: protocols)
                report(KubeWarning.parse(head.headers.values(for: "Warning")))
                return .upgraded(WebSocketConnection(stream: stream, leftover: rest, selectedProtocol: chosen, options: WebSocketConnection.Options(
                    pingInterval: configuration.webSocketPingInterval, idleTimeout: configuration.webSocketIdleTimeout)))
            }
            let body = try await readBody(of: head, after: rest, from: stream)
            stream.close()
            let error = KubeError.api(statusCode: head.status, contentType: head.headers["Content-Type"],
                                      retryAfter: head.headers["Retry-After"], body: body, request: context)
            let retryAfter = head.headers["Retry-After"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? error.status?.details?.retryAfterSeconds
            return .refused(status: head.status, error: error, retryAfter: retryAfter)
        } catch {
            stream.close()
            throw error
        }
    }

    /// The body of a refused upgrade (a Status), up to ``Configuration/maximumErrorBodySize``.
    private func readBody(of head: WebSocketHandshake.Response, after start: [UInt8], from stream: SocketStream) async throws -> [UInt8] {
        let limit = configuration.maximumErrorBodySize
        var bytes = start
        let chunked = head.headers["Transfer-Encoding"]?.lowercased().contains("chunked") == true
        let length = head.headers["Content-Length"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        while true {
            if chunked {
                let (body, complete) = WebSocketHandshake.dechunk(bytes)
                if complete || bytes.count > limit { return Array(body.prefix(limit)) }
            } else if let length, bytes.count >= length {
                return Array(bytes.prefix(min(length, limit)))
            } else if bytes.count > limit {
                return Array(bytes.prefix(limit))
            }
            guard let more = try await stream.read() else {
                return chunked ? WebSocketHandshake.dechunk(bytes).body : bytes
            }
            bytes += more
        }
    }
}

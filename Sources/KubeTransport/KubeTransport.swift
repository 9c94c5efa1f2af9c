import KubeErrors

/// The seam every API call goes through: send one request, get the response head, stream the body.
///
/// KubeKit ships two implementations: ``CurlTransport`` (libcurl: TLS, HTTP/2, credentials, retries) and,
/// in the KubeTesting product, a recorded-response transport for tests. Write your own to add
/// instrumentation or to fake a server:
///
/// ```swift
/// struct CountingTransport: KubeTransport {
///     let base: any KubeTransport
///     let counter: Counter
///     func send(_ request: KubeRequest) async throws -> KubeResponse {
///         counter.increment(request.method)
///         return try await base.send(request)
///     }
/// }
/// ```
///
/// Contract: `send` returns once the status and headers are in, for 1xx–3xx statuses only. A 4xx or 5xx
/// response throws a ``KubeError`` with the decoded `Status` (code ``KubeError/Code/api``), so no caller can
/// forget to check. Transport failures throw ``KubeError`` too (``KubeError/Code/transport``,
/// ``KubeError/Code/timeout``); cancelling the calling task throws `CancellationError` and aborts the
/// transfer.
public protocol KubeTransport: Sendable {
    /// Sends `request` and returns the response with its body still streaming.
    func send(_ request: KubeRequest) async throws -> KubeResponse

    /// Opens a bidirectional connection by upgrading `request` (WebSocket, for exec, attach and
    /// port-forward), offering `protocols` as `Sec-WebSocket-Protocol`.
    ///
    /// The default implementation throws ``KubeError/Code/unsupported``; the libcurl WebSocket
    /// implementation arrives with the exec/attach issue.
    func upgrade(_ request: KubeRequest, protocols: [String]) async throws -> any KubeUpgradedConnection
}

extension KubeTransport {
    /// Throws ``KubeError/Code/unsupported``.
    public func upgrade(_ request: KubeRequest, protocols: [String]) async throws -> any KubeUpgradedConnection {
        throw KubeError(code: .unsupported, message: "\(Self.self) cannot upgrade connections (needed for \(request.path))")
    }

    /// Sends `request` and reads the whole body.
    /// - Parameter limit: The most bytes to accept (default 256 MiB).
    public func data(for request: KubeRequest, upTo limit: Int = 256 << 20) async throws -> (KubeResponse, [UInt8]) {
        let response = try await send(request)
        return (response, try await response.body.collect(upTo: limit))
    }
}

/// A message on an upgraded connection.
public enum KubeUpgradedMessage: Sendable, Hashable {
    /// A binary frame (the Kubernetes channel protocols put the channel number in the first byte).
    case binary([UInt8])
    /// A text frame.
    case text(String)
}

/// A bidirectional connection obtained with ``KubeTransport/upgrade(_:protocols:)``.
public protocol KubeUpgradedConnection: Sendable {
    /// The subprotocol the server chose (e.g. `v5.channel.k8s.io`).
    var selectedProtocol: String? { get }
    /// Sends one message.
    func send(_ message: KubeUpgradedMessage) async throws
    /// Receives the next message, or `nil` once the peer closed the connection.
    func receive() async throws -> KubeUpgradedMessage?
    /// Closes the connection.
    func close() async
}

/// The SDK's version, sent in the User-Agent.
public enum KubeKitVersion {
    /// `0.1.0`.
    public static let current = "0.1.0"

    /// `KubeKit/0.1.0 (linux/amd64)`.
    public static var userAgent: String {
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "darwin"
        #else
        let os = "unknown"
        #endif
        #if arch(x86_64)
        let arch = "amd64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "unknown"
        #endif
        return "KubeKit/\(current) (\(os)/\(arch))"
    }
}

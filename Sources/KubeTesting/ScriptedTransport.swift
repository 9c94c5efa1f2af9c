import Foundation
import KubeErrors
import KubeTransport

/// What a ``ScriptedTransport`` answers to one request.
public struct ScriptedResponse: Sendable {
    /// The status code (≥ 400 makes the transport throw the ``KubeError`` the real one would).
    public var status: Int
    /// Response headers.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// A response.
    public init(status: Int = 200, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body (`Content-Type: application/json`).
    public static func json(_ text: String, status: Int = 200) -> ScriptedResponse {
        ScriptedResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
    }

    /// A failure `Status` as kube-apiserver writes it, e.g. `.status(404, reason: "NotFound", message: "pods \"x\" not found")`.
    public static func status(_ code: Int, reason: String, message: String) -> ScriptedResponse {
        let object: [String: Any] = ["kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure",
                                     "message": message, "reason": reason, "code": code]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return ScriptedResponse(status: code, headers: ["Content-Type": "application/json"], body: [UInt8](data))
    }
}

/// A transport that answers each request with a closure, for one-off cases a recording does not cover
/// (an error on the third call, a response computed from the request).
///
/// ```swift
/// let transport = ScriptedTransport { request in
///     switch (request.method, request.path) {
///     case (.get, "/api/v1/namespaces/demo/pods/web-0"): return .json(podJSON)
///     case (.delete, _): return .status(403, reason: "Forbidden", message: "pods is forbidden")
///     default: throw ScriptedTransport.endOfScript(request)
///     }
/// }
/// let client = KubeClient(transport: transport, namespace: "demo", tier: .write)
/// ```
///
/// Statuses ≥ 400 throw the ``KubeError`` the real transport would (decoded `Status`, request context).
/// Throw ``endOfScript(_:)`` to say the script is over: a resilient watch then finishes normally.
public final class ScriptedTransport: KubeTransport {
    /// Answers one request.
    public typealias Handler = @Sendable (KubeRequest) async throws -> ScriptedResponse

    private let handler: Handler
    private let received = Locked<[KubeRequest]>([])

    /// Creates a transport that asks `handler` for every response.
    public init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Every request sent so far, in order.
    public var receivedRequests: [KubeRequest] { received.withLock { $0 } }

    /// Asks the handler and returns (or throws) what the real transport would.
    public func send(_ request: KubeRequest) async throws -> KubeResponse {
        received.withLock { $0.append(request) }
        let scripted = try await handler(request)
        return try RecordedTransport.response(status: scripted.status, headers: scripted.headers, body: scripted.body, for: request)
    }

    /// The error that ends a script (``KubeError/Code/endOfRecording``).
    public static func endOfScript(_ request: KubeRequest) -> KubeError {
        KubeError(code: .endOfRecording, message: "the script has no more responses for \(request)",
                  request: .init(method: request.method.rawValue, path: request.path))
    }
}

import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// A transport that answers from recordings: for tests of code that talks to Kubernetes, with no cluster.
///
/// ```swift
/// let transport = try RecordedTransport(contentsOf: URL(fileURLWithPath: "Tests/Recordings/pods"))
/// let (response, body) = try await transport.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods/web-0"))
/// #expect(transport.receivedRequests.count == 1)
/// ```
///
/// A request matches a recording with the same method, path and query (compared decoded and sorted), and —
/// with ``BodyMatching/exact`` or ``BodyMatching/json`` — the same body. When several recordings match, they
/// answer in order and the last one keeps answering. A request that matches nothing throws a
/// ``KubeError`` listing the closest recorded requests. Responses with status ≥ 400 throw the ``KubeError``
/// the real transport would throw.
public final class RecordedTransport: KubeTransport {
    /// How request bodies take part in matching.
    public enum BodyMatching: Sendable {
        /// Bodies are not compared.
        case ignore
        /// Bodies must be byte-for-byte equal.
        case exact
        /// Bodies must be equal as JSON (key order and whitespace do not matter).
        case json
    }

    private let recordings: [Recording]
    private let requests: [KubeRequest]
    private let bodyMatching: BodyMatching
    private let state = Locked<(used: [Int: Int], received: [KubeRequest])>(([:], []))

    /// Creates a transport answering with `recordings`.
    public init(_ recordings: [Recording], bodyMatching: BodyMatching = .ignore) {
        self.recordings = recordings
        self.requests = recordings.map(\.kubeRequest)
        self.bodyMatching = bodyMatching
    }

    /// Creates a transport from a recording file or a folder of them.
    public convenience init(contentsOf url: URL, bodyMatching: BodyMatching = .ignore) throws {
        self.init(try Recording.load(from: url), bodyMatching: bodyMatching)
    }

    /// Every request sent so far, in order (assert on these in tests).
    public var receivedRequests: [KubeRequest] { state.withLock { $0.received } }

    /// Answers from the matching recording.
    public func send(_ request: KubeRequest) async throws -> KubeResponse {
        let candidates = requests.indices.filter { matches(requests[$0], request) }
        guard !candidates.isEmpty else {
            state.withLock { $0.received.append(request) }
            throw noRecordingError(for: request)
        }
        let index = state.withLock { state -> Int in
            state.received.append(request)
            let key = candidates[0]
            let use = state.used[key, default: 0]
            state.used[key] = use + 1
            return candidates[min(use, candidates.count - 1)]
        }
        let recorded = recordings[index].response
        let body = Array(recorded.body.utf8)
        var headers = HTTPHeaders()
        for (name, value) in recorded.headers.sorted(by: { $0.key < $1.key }) { headers.add(name, value) }
        if recorded.status >= 400 {
            throw KubeError.api(statusCode: recorded.status, contentType: headers["Content-Type"], retryAfter: headers["Retry-After"],
                                body: body, request: .init(method: request.method.rawValue, path: request.path))
        }
        return KubeResponse(status: recorded.status, headers: headers, body: .bytes(body))
    }

    private func matches(_ recorded: KubeRequest, _ request: KubeRequest) -> Bool {
        guard recorded.method == request.method, recorded.path == request.path, recorded.encodedQuery == request.encodedQuery else {
            return false
        }
        switch bodyMatching {
        case .ignore: return true
        case .exact: return (recorded.body ?? []) == (request.body ?? [])
        case .json:
            let parse = { (bytes: [UInt8]?) -> JSONValue? in
                guard let bytes, !bytes.isEmpty else { return nil }
                return try? YAMLReader.documents(in: bytes).first?.root?.json
            }
            return parse(recorded.body) == parse(request.body)
        }
    }

    private func noRecordingError(for request: KubeRequest) -> KubeError {
        func score(_ candidate: KubeRequest) -> Int {
            var score = candidate.method == request.method ? 1000 : 0
            if candidate.path == request.path { score += 500 }
            score += zip(candidate.path.utf8, request.path.utf8).prefix { $0 == $1 }.count
            return score
        }
        let closest = requests.enumerated().sorted { score($0.element) > score($1.element) }.prefix(3)
            .map { "  \($0.element)" + (recordings[$0.offset].description.map { "  — \($0)" } ?? "") }
        return KubeError(
            code: .unsupported,
            message: "no recording matches \(request)",
            hint: closest.isEmpty ? "There are no recordings." : "Closest recorded requests:\n" + closest.joined(separator: "\n"))
    }
}

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
/// with ``BodyMatching/exact`` or ``BodyMatching/json`` — the same body; ``Matching`` loosens the query
/// comparison. When several recordings match a unary request, they answer in order and the last one keeps
/// answering. A stream request (watch, log follow) uses each matching recording once; after that the script
/// is over and it throws ``KubeError/Code/endOfRecording``, on which a resilient watch finishes normally:
///
/// ```swift
/// let transport = RecordedTransport(recordings, matching: .ignoringWatchParameters)
/// var names: [String] = []
/// for try await event in KubeClient(transport: transport).pods(in: "demo").watch() {
///     names.append(event.object?.metadata?.name ?? "")
/// }   // ends after the recorded events
/// ```
///
/// A request that matches nothing throws a ``KubeError`` listing the closest recorded requests. Responses
/// with status ≥ 400 throw the ``KubeError`` the real transport would throw.
public final class RecordedTransport: KubeTransport {
    /// Which differences between a request and a recording still match.
    public struct Matching: Sendable, Hashable {
        /// How bodies are compared.
        public var body: BodyMatching
        /// Query items left out of the comparison on both sides (by name).
        public var ignoredQueryItems: Set<String>
        /// Whether the values of a repeated query item may come in any order (`command=a&command=b`).
        public var ignoresQueryValueOrder: Bool

        /// Everything compared, bodies not.
        public init(body: BodyMatching = .ignore, ignoredQueryItems: Set<String> = [], ignoresQueryValueOrder: Bool = false) {
            self.body = body
            self.ignoredQueryItems = ignoredQueryItems
            self.ignoresQueryValueOrder = ignoresQueryValueOrder
        }

        /// Method, path and the whole query; bodies not compared.
        public static let exact = Matching()

        /// Leaves out what `watch()` adds and recordings made with curl or kubectl lack or spell otherwise
        /// (`watch=1` against `watch=true`, `allowWatchBookmarks`, `timeoutSeconds`, `resourceVersion`,
        /// `resourceVersionMatch`, `sendInitialEvents`).
        public static let ignoringWatchParameters = Matching(ignoredQueryItems: [
            "watch", "allowWatchBookmarks", "timeoutSeconds", "resourceVersion", "resourceVersionMatch", "sendInitialEvents",
        ])
    }

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
    private let matching: Matching
    private let state = Locked<(used: [Int: Int], received: [KubeRequest])>(([:], []))

    /// Creates a transport answering with `recordings`, matching requests as `matching` says.
    public init(_ recordings: [Recording], matching: Matching) {
        self.recordings = recordings
        self.requests = recordings.map(\.kubeRequest)
        self.matching = matching
    }

    /// Creates a transport answering with `recordings` (method, path and query compared exactly).
    public convenience init(_ recordings: [Recording], bodyMatching: BodyMatching = .ignore) {
        self.init(recordings, matching: Matching(body: bodyMatching))
    }

    /// Creates a transport from a recording file or a folder of them.
    public convenience init(contentsOf url: URL, matching: Matching = .exact) throws {
        self.init(try Recording.load(from: url), matching: matching)
    }

    /// Creates a transport from a recording file or a folder of them.
    public convenience init(contentsOf url: URL, bodyMatching: BodyMatching) throws {
        self.init(try Recording.load(from: url), matching: Matching(body: bodyMatching))
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
        let isStream = request.kind == .stream
        let index = state.withLock { state -> Int? in
            state.received.append(request)
            let key = candidates[0]
            let use = state.used[key, default: 0]
            state.used[key] = use + 1
            // A stream replays each recording once: replaying it again on every reconnect would loop forever.
            if isStream { return use < candidates.count ? candidates[use] : nil }
            return candidates[min(use, candidates.count - 1)]
        }
        guard let index else {
            throw KubeError(code: .endOfRecording, message: "the recorded script has no more responses for \(request)",
                            request: .init(method: request.method.rawValue, path: request.path))
        }
        let recorded = recordings[index].response
        return try Self.response(status: recorded.status, headers: recorded.headers, body: Array(recorded.body.utf8), for: request)
    }

    /// The response the real transport would give: a head with the body, or for status ≥ 400 the thrown
    /// ``KubeError`` with the decoded Status.
    static func response(status: Int, headers fields: [String: String], body: [UInt8], for request: KubeRequest) throws -> KubeResponse {
        var headers = HTTPHeaders()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) { headers.add(name, value) }
        if status >= 400 {
            throw KubeError.api(statusCode: status, contentType: headers["Content-Type"], retryAfter: headers["Retry-After"],
                                body: body, request: .init(method: request.method.rawValue, path: request.path))
        }
        return KubeResponse(status: status, headers: headers, body: .bytes(body))
    }

    private func query(_ request: KubeRequest) -> [String] {
        var items = request.query.filter { !matching.ignoredQueryItems.contains($0.name) }.map { "\($0.name)=\($0.value)" }
        if matching.ignoresQueryValueOrder { items.sort() }
        return items
    }

    private func matches(_ recorded: KubeRequest, _ request: KubeRequest) -> Bool {
        guard recorded.method == request.method, recorded.path == request.path, query(recorded) == query(request) else {
            return false
        }
        switch matching.body {
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

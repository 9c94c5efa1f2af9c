import Foundation
import KubeErrors
import KubeTransport

/// One recorded HTTP exchange: the KubeTesting file format.
///
/// A recording file holds either one exchange or `{"exchanges": [...]}`:
///
/// ```json
/// {
///   "description": "GET a pod that does not exist",
///   "request":  {"method": "GET", "path": "/api/v1/namespaces/demo/pods/x?limit=2",
///                "headers": {"accept": "application/json"}, "body": null},
///   "response": {"status": 404, "headers": {"content-type": "application/json"},
///                "body": "{\"kind\":\"Status\", ...}"}
/// }
/// ```
///
/// `request.path` carries the query string as sent (percent-encoded); `body` fields are the exact bytes as
/// UTF-8 text (`null` for no request body). Headers are a name → value map; a header sent more than once is
/// joined with `, `. This is the format of exchanges recorded from a real API server, so those files can be
/// used as they are.
public struct Recording: Codable, Sendable, Hashable {
    /// What the exchange shows.
    public var description: String?
    /// The request.
    public var request: Request
    /// The response.
    public var response: Response

    /// A recorded request.
    public struct Request: Codable, Sendable, Hashable {
        /// `GET`, `POST`...
        public var method: String
        /// Path and query, percent-encoded as sent.
        public var path: String
        /// Headers as sent (never `Authorization`).
        public var headers: [String: String]
        /// The body, or `nil` when none was sent.
        public var body: String?

        /// Creates a recorded request.
        public init(method: String, path: String, headers: [String: String] = [:], body: String? = nil) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
        }
    }

    /// A recorded response.
    public struct Response: Codable, Sendable, Hashable {
        /// The status code.
        public var status: Int
        /// Headers, names as the server sent them.
        public var headers: [String: String]
        /// The body bytes as text.
        public var body: String

        /// Creates a recorded response.
        public init(status: Int, headers: [String: String] = [:], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// Creates a recording.
    public init(description: String? = nil, request: Request, response: Response) {
        self.description = description
        self.request = request
        self.response = response
    }

    /// The request as a ``KubeRequest`` (query decoded and sorted), for matching.
    public var kubeRequest: KubeRequest {
        KubeRequest(KubeRequest.Method(rawValue: request.method), target: request.path,
                    body: request.body.map { Array($0.utf8) })
    }

    /// The same exchange answering another request: `target` (path and query, as ``KubeRequest/target``)
    /// and, when given, another method. For requests the server treats alike though they differ in text:
    /// `watch=1` as curl recorded it against `watch=true&allowWatchBookmarks=true` as `watch()` sends it.
    public func retargeted(to target: String, method: String? = nil) -> Recording {
        var copy = self
        copy.request.path = target
        if let method { copy.request.method = method.uppercased() }
        return copy
    }

    /// The same exchange answering exactly `request` (its method and target).
    public func answering(_ request: KubeRequest) -> Recording {
        retargeted(to: request.target, method: request.method.rawValue)
    }

    private struct File: Codable {
        var exchanges: [Recording]
    }

    /// Reads a recording file (one exchange, or `{"exchanges": [...]}`) or every `.json` file in a folder
    /// (sorted by name).
    /// - Throws: ``KubeError`` naming the file when it cannot be read or is not in the format.
    public static func load(from url: URL) throws -> [Recording] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw KubeError(code: .fileNotFound, message: "recording \(url.path) does not exist")
        }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".json") }.sorted()
            return try names.flatMap { try load(from: url.appendingPathComponent($0)) }
        }
        let data = try Data(contentsOf: url)
        let decoder = JSONDecoder()
        if let file = try? decoder.decode(File.self, from: data) { return file.exchanges }
        do {
            return [try decoder.decode(Recording.self, from: data)]
        } catch {
            throw KubeError(code: .decoding, message: "recording \(url.path) is not in the KubeTesting format: \(error)",
                            hint: "Expected {\"request\": {...}, \"response\": {...}} or {\"exchanges\": [...]}.")
        }
    }

    /// Writes recordings as `{"exchanges": [...]}`, pretty-printed with sorted keys (stable diffs).
    public static func write(_ recordings: [Recording], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(File(exchanges: recordings)).write(to: url, options: .atomic)
    }
}

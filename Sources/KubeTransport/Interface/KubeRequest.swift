/// One HTTP request to the API server, as a value: built without I/O, compared by value in tests.
///
/// The path is relative to the cluster's server URL (a server path prefix is added by the transport);
/// query items are kept sorted by name so equal requests compare equal and encode identically.
public struct KubeRequest: Sendable, Hashable, CustomStringConvertible {
    /// An HTTP method.
    public struct Method: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The method's name, upper-case.
        public var rawValue: String
        /// Creates a method.
        public init(rawValue: String) { self.rawValue = rawValue.uppercased() }
        /// `GET`.
        public static let get = Method(rawValue: "GET")
        /// `POST`.
        public static let post = Method(rawValue: "POST")
        /// `PUT`.
        public static let put = Method(rawValue: "PUT")
        /// `PATCH`.
        public static let patch = Method(rawValue: "PATCH")
        /// `DELETE`.
        public static let delete = Method(rawValue: "DELETE")
        /// `HEAD`.
        public static let head = Method(rawValue: "HEAD")
        /// The method's name.
        public var description: String { rawValue }
    }

    /// How the response is consumed, which decides the timeouts that apply.
    public enum Kind: Sendable, Hashable {
        /// An ordinary call: the request timeout covers the whole exchange.
        case unary
        /// A long-lived stream (watch, log follow): no overall timeout, an idle timeout instead.
        case stream
    }

    /// The method.
    public var method: Method
    /// The path, e.g. `/api/v1/namespaces/demo/pods` (not percent-encoded beyond what the API needs).
    public var path: String
    /// Query items, sorted by name (values of one name keep their order).
    public private(set) var query: [(name: String, value: String)]
    /// Extra headers (the transport adds User-Agent, Accept, Authorization and impersonation).
    public var headers: HTTPHeaders
    /// The body, if any.
    public var body: [UInt8]?
    /// Unary or stream.
    public var kind: Kind
    /// Overrides the transport's timeout for this request.
    public var timeout: Duration?
    /// Whether re-sending the request cannot apply it twice. Derived from the method by default: GET,
    /// HEAD, DELETE and server-side apply (PATCH with `application/apply-patch+yaml`) are idempotent.
    public var isIdempotent: Bool

    /// Creates a request.
    public init(
        _ method: Method = .get,
        path: String,
        query: [(name: String, value: String)] = [],
        headers: HTTPHeaders = [:],
        body: [UInt8]? = nil,
        kind: Kind = .unary,
        timeout: Duration? = nil,
        isIdempotent: Bool? = nil
    ) {
        self.method = method
        self.path = path
        self.query = Self.sorted(query)
        self.headers = headers
        self.body = body
        self.kind = kind
        self.timeout = timeout
        let contentType = headers["Content-Type"] ?? ""
        self.isIdempotent = isIdempotent ?? ([.get, .head, .delete].contains(method)
            || (method == .patch && contentType.hasPrefix("application/apply-patch")))
    }

    private static func sorted(_ items: [(name: String, value: String)]) -> [(name: String, value: String)] {
        items.enumerated().sorted { $0.element.name != $1.element.name ? $0.element.name < $1.element.name : $0.offset < $1.offset }
            .map(\.element)
    }

    /// Adds a query item, keeping the items sorted.
    public mutating func addQuery(_ name: String, _ value: String) {
        query = Self.sorted(query + [(name, value)])
    }

    /// The value of the first query item named `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// The encoded query string without `?` (Go's `url.Values.Encode`: sorted, `+` for spaces).
    public var encodedQuery: String {
        query.map { "\(Self.percentEncode($0.name))=\(Self.percentEncode($0.value))" }.joined(separator: "&")
    }

    /// The path and encoded query, as sent on the request line.
    public var target: String {
        query.isEmpty ? path : "\(path)?\(encodedQuery)"
    }

    /// `GET /api/v1/namespaces/demo/pods?limit=2`.
    public var description: String { "\(method) \(target)" }

    /// Go's `url.QueryEscape`: unreserved characters stay, space becomes `+`, everything else `%XX`.
    public static func percentEncode(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                output += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return output
    }

    /// Parses `path?query` (as recorded) into a request with decoded, sorted query items.
    public init(_ method: Method, target: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var items: [(String, String)] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") where !pair.isEmpty {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                items.append((Self.percentDecode(keyValue[0]), keyValue.count > 1 ? Self.percentDecode(keyValue[1]) : ""))
            }
        }
        self.init(method, path: String(parts[0]), query: items, headers: headers, body: body)
    }

    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Equal when method, path, query, headers and body are equal (timeouts and kind are not compared).
    public static func == (lhs: KubeRequest, rhs: KubeRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.headers == rhs.headers && lhs.body == rhs.body
            && lhs.query.count == rhs.query.count && zip(lhs.query, rhs.query).allSatisfy { $0 == $1 }
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(path)
        for item in query {
            hasher.combine(item.name)
            hasher.combine(item.value)
        }
        hasher.combine(headers)
        hasher.combine(body)
    }
}

import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// What a client is allowed to do, checked before any request is sent.
///
/// Tools that hand a Kubernetes client to a chat bot or an AI agent pick the smallest tier that does the
/// job: a verb above the tier throws ``KubeError/Code/tierDenied`` naming the tier it needs.
///
/// | tier | verbs |
/// |---|---|
/// | ``read`` | get, list, watch, logs, events, discovery |
/// | ``write`` | also create, replace, patch, apply, delete, scale, evict, rollout actions |
/// | ``full`` | also exec, attach, port-forward, cp |
public enum AccessTier: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Reads only.
    case read
    /// Reads and changes to objects.
    case write
    /// Everything, including running commands in containers.
    case full

    /// Orders by what the tier allows.
    public static func < (lhs: AccessTier, rhs: AccessTier) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `read`, `write` or `full`.
    public var description: String {
        switch self {
        case .read: "read"
        case .write: "write"
        case .full: "full"
        }
    }
}

/// The entry point of the typed API: a transport, a default namespace and a safety tier.
///
/// ```swift
/// let configuration = try KubeconfigLoader().load()
/// let client = KubeClient(configuration: configuration, tier: .write)
/// let pod = try await client.pods().get("web-0")
/// for try await event in client.deployments(in: "shop").watch() { print(event) }
/// ```
///
/// `KubeClient` is a cheap value: copy it freely. Clients made from one another with ``withTier(_:)`` or
/// ``withNamespace(_:)`` share the transport and the discovery cache.
public struct KubeClient: Sendable {
    /// The transport every request goes through.
    public let transport: any KubeTransport
    /// The namespace used when a call does not name one (the kubeconfig context's namespace, or `default`).
    public let namespace: String
    /// What this client may do.
    public let tier: AccessTier
    /// The field manager sent with server-side apply when a call does not name one (`kubekit`).
    public let fieldManager: String
    let discovery: DiscoveryCache

    /// Creates a client over any transport (a ``CurlTransport``, a recorded transport in tests...).
    /// - Parameters:
    ///   - transport: Sends the requests.
    ///   - namespace: The default namespace.
    ///   - tier: What the client may do; ``AccessTier/read`` unless you ask for more.
    ///   - fieldManager: The default server-side apply field manager.
    public init(transport: any KubeTransport, namespace: String = "default", tier: AccessTier = .read, fieldManager: String = "kubekit") {
        self.transport = transport
        self.namespace = namespace
        self.tier = tier
        self.fieldManager = fieldManager
        self.discovery = DiscoveryCache()
    }

    /// Creates a client that talks to the cluster `configuration` describes, over libcurl.
    /// - Parameters:
    ///   - configuration: A resolved configuration (``KubeconfigLoader/load(_:)``, in-cluster, a profile).
    ///   - tier: What the client may do; ``AccessTier/read`` unless you ask for more.
    ///   - transportConfiguration: Timeouts, retries, logging of the libcurl transport.
    public init(configuration: ClientConfiguration, tier: AccessTier = .read,
                transportConfiguration: CurlTransport.Configuration = CurlTransport.Configuration()) {
        self.init(transport: CurlTransport(configuration, configuration: transportConfiguration),
                  namespace: configuration.namespace, tier: tier)
    }

    private init(copying other: KubeClient, namespace: String, tier: AccessTier) {
        transport = other.transport
        self.namespace = namespace
        self.tier = tier
        fieldManager = other.fieldManager
        discovery = other.discovery
    }

    /// The same client with another tier (for example a read-only view handed to a less trusted caller).
    public func withTier(_ tier: AccessTier) -> KubeClient { KubeClient(copying: self, namespace: namespace, tier: tier) }

    /// The same client with another default namespace.
    public func withNamespace(_ namespace: String) -> KubeClient { KubeClient(copying: self, namespace: namespace, tier: tier) }

    /// A typed client for `type` in `namespace` (the client's default namespace when `nil`; ignored for
    /// cluster-scoped resources).
    public func resources<Resource: KubeResource>(_ type: Resource.Type, in namespace: String? = nil) -> ResourceClient<Resource> {
        ResourceClient(client: self, namespace: namespace ?? self.namespace, type: Resource.resourceInfo)
    }

    /// A typed client for `type` across all namespaces: list and watch only (object verbs need a namespace).
    public func resourcesInAllNamespaces<Resource: KubeResource>(_ type: Resource.Type) -> ResourceClient<Resource> {
        ResourceClient(client: self, namespace: nil, type: Resource.resourceInfo)
    }

    // MARK: Sending

    /// Throws ``KubeError/Code/tierDenied`` unless the client's tier allows `verb` — every operation checks
    /// this before sending anything; front ends call it to refuse a command before any other work (discovery,
    /// reading files).
    /// - Parameters:
    ///   - verb: What the caller wants to do (`scale`), for the message.
    ///   - required: The tier it needs.
    ///   - target: What it acts on (`deployments.apps`), for the message.
    public func authorize(_ verb: String, needs required: AccessTier, on target: String) throws {
        guard tier < required else { return }
        throw KubeError(
            code: .tierDenied,
            message: "\(verb) \(target) needs the \(required) tier; this client has the \(tier) tier",
            hint: "Create the client with tier: .\(required) (or withTier(.\(required))) if this caller may \(verb).")
    }

    /// Sends `request` and reads the whole body.
    func data(_ request: KubeRequest) async throws -> (KubeResponse, [UInt8]) {
        try await transport.data(for: request)
    }

    /// Sends `request` and decodes the body as `T`.
    func decoded<T: Decodable>(_ type: T.Type, _ request: KubeRequest) async throws -> T {
        let (_, body) = try await data(request)
        return try KubeCoding.decode(type, from: body, request: request)
    }
}

/// JSON encoding and decoding with errors that say what was being decoded and where it failed.
enum KubeCoding {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], request: KubeRequest? = nil) throws -> T {
        try fastDecode(type, from: bytes, request: request)
    }

    static func slowDecode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], request: KubeRequest?) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw decodingError(error, type: type, bytes: bytes, request: request)
        }
    }

    static func decodingError<T>(_ error: DecodingError, type: T.Type, bytes: [UInt8], request: KubeRequest?) -> KubeError {
        let (path, detail): ([any CodingKey], String) = switch error {
        case .typeMismatch(let expected, let context): (context.codingPath, "expected \(expected)")
        case .valueNotFound(let expected, let context): (context.codingPath, "missing \(expected) value")
        case .keyNotFound(let key, let context): (context.codingPath + [key], "missing key")
        case .dataCorrupted(let context): (context.codingPath, context.debugDescription)
        @unknown default: ([], "\(error)")
        }
        let field = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }
        // No excerpt of the body: it may be a Secret.
        return KubeError(
            code: .decoding,
            message: "cannot decode \(T.self) from the response\(request.map { " to \($0.method) \($0.path)" } ?? ""): \(detail)",
            request: request.map { .init(method: $0.method.rawValue, path: $0.path) },
            location: field.isEmpty ? nil : .init(field: String(field)),
            hint: "The body has \(bytes.count) bytes; the server may speak a newer or older API version than the model.")
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}

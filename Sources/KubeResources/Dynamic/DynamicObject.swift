import KubeConfig
import KubeErrors

/// An object of any kind — a custom resource, or a built-in kind newer than the models — with its
/// metadata typed and everything else kept as JSON, unknown fields included (in document order when the
/// object comes from a manifest).
///
/// ```swift
/// let widgets = try await client.dynamic(apiVersion: "example.com/v1", kind: "Widget", in: "demo")
/// for try await widget in widgets.listAll() {
///     print(widget.name ?? "", widget["spec"]?["size"]?.stringValue ?? "-")
/// }
/// ```
public struct DynamicObject: KubeObject, CustomStringConvertible {
    /// `apiVersion`.
    public var apiVersion: String?
    /// `kind`.
    public var kind: String?
    /// `metadata`, typed.
    public var metadata: MetaV1.ObjectMeta?
    /// Every other top-level field (`spec`, `status`, `data`...), in document order.
    public var fields: JSONObject

    /// Creates an object.
    public init(apiVersion: String? = nil, kind: String? = nil, metadata: MetaV1.ObjectMeta? = nil, fields: JSONObject = JSONObject()) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.fields = fields
    }

    /// Makes an object from a JSON object (a parsed manifest document).
    /// - Throws: ``KubeError/Code/invalidManifest`` when `json` is not an object or its metadata is malformed.
    public init(json: JSONValue) throws {
        guard case .object(let object) = json else {
            throw KubeError(code: .invalidManifest, message: "expected an object, found \(json.typeName)")
        }
        fields = JSONObject()
        for (key, value) in object {
            switch key {
            case "apiVersion", "kind":
                guard case .string(let text) = value else {
                    throw KubeError(code: .invalidManifest, message: "\(key) must be a string, not \(value.typeName)",
                                    location: .init(field: key))
                }
                if key == "kind" { kind = text } else { apiVersion = text }
            case "metadata":
                do {
                    metadata = try KubeCoding.decode(MetaV1.ObjectMeta.self, from: Array(value.jsonText.utf8))
                } catch let error as KubeError {
                    throw KubeError(code: .invalidManifest, message: "invalid metadata: \(error.message)",
                                    location: .init(field: "metadata" + (error.location?.field.map { ".\($0)" } ?? "")))
                }
            default:
                fields[key] = value
            }
        }
    }

    /// A top-level field other than `apiVersion`, `kind` and `metadata`.
    public subscript(field: String) -> JSONValue? {
        get { fields[field] }
        set { fields[field] = newValue }
    }

    /// `metadata.name`.
    public var name: String? { metadata?.name }
    /// `metadata.namespace`.
    public var namespace: String? { metadata?.namespace }

    /// The whole object as JSON.
    public var json: JSONValue {
        var object = JSONObject()
        if let apiVersion { object["apiVersion"] = .string(apiVersion) }
        if let kind { object["kind"] = .string(kind) }
        if let metadata, let encoded = try? KubeCoding.decode(JSONValue.self, from: KubeCoding.encode(metadata)) {
            object["metadata"] = encoded
        }
        for (key, value) in fields { object[key] = value }
        return .object(object)
    }

    /// `Widget demo/big` — kind and name only (the fields may hold secrets).
    public var description: String {
        "\(kind ?? "object") \(metadata?.namespace.map { "\($0)/" } ?? "")\(metadata?.name ?? "<unnamed>")"
    }

    /// Decodes any object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        fields = JSONObject()
        for key in container.allKeys {
            switch key.stringValue {
            case "apiVersion": apiVersion = try container.decodeIfPresent(String.self, forKey: key)
            case "kind": kind = try container.decodeIfPresent(String.self, forKey: key)
            case "metadata": metadata = try container.decodeIfPresent(MetaV1.ObjectMeta.self, forKey: key)
            default: fields[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
        }
    }

    /// Encodes `apiVersion`, `kind`, `metadata`, then the other fields in order.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        try container.encodeIfPresent(apiVersion, forKey: "apiVersion")
        try container.encodeIfPresent(kind, forKey: "kind")
        try container.encodeIfPresent(metadata, forKey: "metadata")
        for (key, value) in fields { try container.encode(value, forKey: AnyCodingKey(key)) }
    }
}

extension KubeClient {
    /// A client for any kind the server serves, found through discovery (cached; refreshed once on a miss).
    ///
    /// - Parameters:
    ///   - apiVersion: `example.com/v1`, `apps/v1`, `v1`.
    ///   - kind: `Widget`.
    ///   - namespace: The namespace (the client's default when `nil`; ignored for cluster-scoped kinds).
    /// - Throws: ``KubeError/Code/resourceNotMapped`` when the server does not serve the kind.
    public func dynamic(apiVersion: String, kind: String, in namespace: String? = nil) async throws -> ResourceClient<DynamicObject> {
        let info = try await resourceInfo(apiVersion: apiVersion, kind: kind)
        return ResourceClient(client: self, namespace: namespace ?? self.namespace, type: info)
    }

    /// A client for objects of a known resource type, without discovery.
    public func dynamic(_ type: APIResourceInfo, in namespace: String? = nil) -> ResourceClient<DynamicObject> {
        ResourceClient(client: self, namespace: namespace ?? self.namespace, type: type)
    }
}

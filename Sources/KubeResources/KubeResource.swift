import KubeConfig

/// An object the API serves: anything with `metadata`, typed (``KubeResource``) or dynamic
/// (``DynamicObject``).
public protocol KubeObject: Codable, Hashable, Sendable {
    /// The object's metadata.
    var metadata: MetaV1.ObjectMeta? { get set }
}

/// A Kubernetes resource type: where it lives in the API and how it is addressed.
///
/// The generated models conform (e.g. ``CoreV1/Pod``, ``AppsV1/Deployment``); conform your own types to
/// talk to custom resources with the same typed API.
public protocol KubeResource: KubeObject {
    /// The API group (`""` for the core group).
    static var group: String { get }
    /// The API version, e.g. `v1`.
    static var version: String { get }
    /// The kind, e.g. `Pod`.
    static var kind: String { get }
    /// The REST resource name, e.g. `pods`.
    static var plural: String { get }
    /// Whether objects live in a namespace.
    static var isNamespaced: Bool { get }
}

extension KubeResource {
    /// `group/version`, or just `version` for the core group (`v1`, `apps/v1`).
    public static var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The collection path: `/api/v1/namespaces/{namespace}/pods`, `/apis/apps/v1/deployments`...
    public static func collectionPath(namespace: String?) -> String {
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if isNamespaced, let namespace { return "\(root)/namespaces/\(namespace)/\(plural)" }
        return "\(root)/\(plural)"
    }

    /// The type as discovery would describe it.
    public static var resourceInfo: APIResourceInfo {
        APIResourceInfo(group: group, version: version, kind: kind, plural: plural, isNamespaced: isNamespaced)
    }
}

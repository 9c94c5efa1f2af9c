import KubeConfig
import KubeErrors
import KubeTransport

/// One page of a list: the items, and where the list stands.
public struct ResourceList<Resource: Decodable & Sendable>: Sendable, Decodable {
    /// The items of this page.
    public var items: [Resource]
    /// The list's metadata.
    public var metadata: MetaV1.ListMeta

    /// The version the collection was read at: the place to start a watch from.
    public var resourceVersion: String? { metadata.resourceVersion }
    /// The token for the next page, or `nil` on the last page (a page may be short, or even empty, and
    /// still have one).
    public var continueToken: String? { metadata.continue.flatMap { $0.isEmpty ? nil : $0 } }
    /// The server's estimate of the items after this page (absent with selectors; an estimate only).
    public var remainingItemCount: Int64? { metadata.remainingItemCount }

    /// Creates a page.
    public init(items: [Resource], metadata: MetaV1.ListMeta = MetaV1.ListMeta()) {
        self.items = items
        self.metadata = metadata
    }

    private enum CodingKeys: String, CodingKey { case items, metadata }

    /// Decodes a `*List` object; a `null` item list is an empty page.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        items = try container.decodeIfPresent([Resource].self, forKey: .items) ?? []
        metadata = try container.decodeIfPresent(MetaV1.ListMeta.self, forKey: .metadata) ?? MetaV1.ListMeta()
    }
}

extension ResourceList: Equatable where Resource: Equatable {}
extension ResourceList: Hashable where Resource: Hashable {}

/// What a delete returned: the object (still terminating — a grace period or finalizers) or a `Status`
/// (already gone).
public enum DeleteResult<Resource: Sendable>: Sendable {
    /// The object is being deleted; it carries `metadata.deletionTimestamp`.
    case deleting(Resource)
    /// The object is gone; the server's `Status` says so.
    case deleted(KubeStatus)

    /// The object, when the server returned one.
    public var object: Resource? {
        if case .deleting(let object) = self { object } else { nil }
    }
}

/// The typed verbs for one resource type in one namespace (or cluster-wide).
///
/// Get one from ``KubeClient/resources(_:in:)`` or a shortcut such as ``KubeClient/pods(in:)``:
///
/// ```swift
/// let deployments = client.deployments(in: "shop")
/// var web = try await deployments.get("web")
/// web.spec?.replicas = 3
/// web = try await deployments.replace(web)
/// ```
///
/// Every verb checks the client's ``AccessTier`` first, then builds one ``KubeRequest`` (method, path, query,
/// body) and decodes the answer. Errors from the server are ``KubeError``s with the decoded `Status`.
public struct ResourceClient<Resource: KubeObject>: Sendable {
    /// The client the requests go through.
    public let client: KubeClient
    /// The namespace, or `nil` for cluster-scoped resources and all-namespaces lists and watches.
    public let namespace: String?
    /// The resource type: group, version, kind, plural and scope.
    public let type: APIResourceInfo

    /// Creates a client for objects of `type` (use ``KubeClient/resources(_:in:)`` or
    /// ``KubeClient/dynamic(apiVersion:kind:in:)`` instead).
    init(client: KubeClient, namespace: String?, type: APIResourceInfo) {
        self.client = client
        self.namespace = type.isNamespaced ? namespace : nil
        self.type = type
    }

    /// `pods`, `deployments.apps`: the resource as kubectl names it in messages.
    public var resourceName: String { type.group.isEmpty ? type.plural : "\(type.plural).\(type.group)" }

    // MARK: Paths

    /// The collection path (all namespaces when ``namespace`` is `nil`).
    public func collectionPath() throws -> String {
        if let namespace { try checkSegment(namespace, what: "namespace") }
        return type.collectionPath(namespace: namespace)
    }

    /// The path of object `name`, or of its `subresource`.
    public func objectPath(_ name: String, subresource: String? = nil) throws -> String {
        try checkSegment(name, what: "name")
        if type.isNamespaced && namespace == nil {
            throw KubeError(code: .invalidArgument, message: "\(resourceName) \"\(name)\" needs a namespace",
                            hint: "This client lists across all namespaces; name a namespace: client.resources(_:in:) or dynamic(apiVersion:kind:in:).")
        }
        let path = try collectionPath() + "/" + name
        return subresource.map { path + "/" + $0 } ?? path
    }

    func checkSegment(_ segment: String, what: String) throws {
        if segment.isEmpty {
            throw KubeError(code: .invalidArgument, message: "the \(what) of \(resourceName) must not be empty")
        }
        if segment == "." || segment == ".." || segment.contains("/") || segment.contains("%") {
            throw KubeError(code: .invalidArgument, message: "\"\(segment)\" is not a valid \(what) for \(resourceName)",
                            hint: "Names may not be \".\" or \"..\" and may not contain \"/\" or \"%\".")
        }
    }

    private func authorize(_ verb: String, _ tier: AccessTier) throws {
        try client.authorize(verb, needs: tier, on: resourceName)
    }

    // MARK: Read

    /// Reads object `name` (`GET .../{name}`).
    /// - Parameter consistency: Which state may answer (``ReadConsistency/mostRecent`` by default).
    public func get(_ name: String, consistency: ReadConsistency = .mostRecent) async throws -> Resource {
        try authorize("get", .read)
        var request = KubeRequest(.get, path: try objectPath(name))
        consistency.apply(to: &request, forGet: true)
        return try await client.decoded(Resource.self, request)
    }

    /// Reads one page of the collection (`GET .../{plural}`).
    public func list(_ options: ListOptions = ListOptions()) async throws -> ResourceList<Resource> {
        try authorize("list", .read)
        return try await client.decoded(ResourceList<Resource>.self, try listRequest(options))
    }

    func listRequest(_ options: ListOptions) throws -> KubeRequest {
        var request = KubeRequest(.get, path: try collectionPath())
        try options.apply(to: &request)
        return request
    }

    /// Every item of the collection, page by page (`limit`, then `continue` until the last page), as an
    /// async sequence. Only one page is held in memory at a time.
    ///
    /// - Parameters:
    ///   - options: Selectors and consistency; ``ListOptions/limit`` is the page size (500 when `nil`).
    ///   - onExpired: What to do when a continue token expires (410) mid-way; failing is the default.
    public func listAll(_ options: ListOptions = ListOptions(), onExpired: ExpiredContinuePolicy = .fail) -> ListAllSequence<Resource> {
        ListAllSequence(resources: self, options: options, onExpired: onExpired)
    }

    // MARK: Write

    /// Creates `object` (`POST .../{plural}`); returns the object as stored.
    public func create(_ object: Resource, options: WriteOptions = WriteOptions()) async throws -> Resource {
        try authorize("create", .write)
        if type.isNamespaced && namespace == nil {
            throw KubeError(code: .invalidArgument, message: "creating \(resourceName) needs a namespace")
        }
        var request = KubeRequest(.post, path: try collectionPath(), headers: ["Content-Type": "application/json"],
                                  body: try KubeCoding.encode(object))
        try options.apply(to: &request)
        return try await client.decoded(Resource.self, request)
    }

    /// Replaces the object named by `object.metadata.name` (`PUT .../{name}`). With
    /// `metadata.resourceVersion` set, the server rejects the write with 409 Conflict if the object changed
    /// since it was read (wrap a get-modify-replace in KubeRetry's `retryOnConflict`).
    public func replace(_ object: Resource, options: WriteOptions = WriteOptions()) async throws -> Resource {
        try authorize("replace", .write)
        var request = KubeRequest(.put, path: try objectPath(try name(of: object)),
                                  headers: ["Content-Type": "application/json"], body: try KubeCoding.encode(object))
        try options.apply(to: &request)
        return try await client.decoded(Resource.self, request)
    }

    /// Patches object `name` (`PATCH .../{name}`) with a JSON, merge or strategic merge patch.
    public func patch(_ name: String, _ patch: Patch, options: WriteOptions = WriteOptions()) async throws -> Resource {
        try authorize("patch", .write)
        return try await client.decoded(Resource.self, try patchRequest(name, patch, subresource: nil, options: options))
    }

    func patchRequest(_ name: String, _ patch: Patch, subresource: String?, options: WriteOptions) throws -> KubeRequest {
        var request = KubeRequest(.patch, path: try objectPath(name, subresource: subresource),
                                  headers: ["Content-Type": patch.contentType], body: patch.body)
        try options.apply(to: &request)
        return request
    }

    /// Server-side apply (`PATCH .../{name}`, `application/apply-patch+yaml`): the server merges the fields in
    /// `object` into the live object, records `fieldManager` as their owner, and creates the object if it
    /// does not exist. `apiVersion` and `kind` are filled in; `managedFields` are left out.
    ///
    /// A field another manager owns fails with 409 Conflict (one cause per field) unless
    /// ``ApplyOptions/force`` is set.
    public func apply(_ object: Resource, options: ApplyOptions = ApplyOptions()) async throws -> Resource {
        try authorize("apply", .write)
        let name = try name(of: object)
        let document = try applyDocument(object)
        var request = KubeRequest(.patch, path: try objectPath(name),
                                  headers: ["Content-Type": "application/apply-patch+yaml"], body: Array(document.jsonText.utf8))
        try options.apply(to: &request, defaultManager: client.fieldManager)
        return try await client.decoded(Resource.self, request)
    }

    func applyDocument(_ object: Resource) throws -> JSONValue {
        var members: [(String, JSONValue)] = [("apiVersion", .string(type.apiVersion)), ("kind", .string(type.kind))]
        // A DynamicObject (every manifest apply) is JSON already: no encode/decode round trip, and no
        // recursion through JSONEncoder for a deeply nested manifest (the YAML reader allows 10,000 levels).
        let encoded = if let dynamic = object as? DynamicObject {
            dynamic.json
        } else {
            try KubeCoding.decode(JSONValue.self, from: try KubeCoding.encode(object))
        }
        for (key, value) in encoded.objectValue ?? JSONObject() where key != "apiVersion" && key != "kind" {
            if key == "metadata", var metadata = value.objectValue {
                metadata["managedFields"] = nil
                members.append((key, .object(metadata)))
            } else {
                members.append((key, value))
            }
        }
        return .object(JSONObject(members))
    }

    /// Deletes object `name` (`DELETE .../{name}` with a `DeleteOptions` body when options are set).
    /// - Returns: ``DeleteResult/deleting(_:)`` while the object terminates, ``DeleteResult/deleted(_:)`` once gone.
    public func delete(_ name: String, options: DeleteOptions = DeleteOptions()) async throws -> DeleteResult<Resource> {
        try authorize("delete", .write)
        var request = KubeRequest(.delete, path: try objectPath(name))
        if !options.isEmpty {
            request.headers.replace("Content-Type", with: "application/json")
            request.body = try KubeCoding.encode(options.model)
        }
        let (_, body) = try await client.data(request)
        if try KubeCoding.decode(KindProbe.self, from: body, request: request).kind == "Status" {
            return .deleted(try KubeCoding.decode(KubeStatus.self, from: body, request: request))
        }
        return .deleting(try KubeCoding.decode(Resource.self, from: body, request: request))
    }

    /// Deletes every object the selectors match (`DELETE .../{plural}`); returns the `Status` or list the
    /// server answered with, decoded as a list (empty when it answered with a `Status`).
    public func deleteCollection(_ selection: ListOptions = ListOptions(), options: DeleteOptions = DeleteOptions()) async throws -> ResourceList<Resource> {
        try authorize("deletecollection", .write)
        if type.isNamespaced && namespace == nil {
            throw KubeError(code: .invalidArgument, message: "deleting a collection of \(resourceName) needs a namespace")
        }
        var request = try listRequest(selection)
        request.method = .delete
        request.isIdempotent = true
        if !options.isEmpty {
            request.headers.replace("Content-Type", with: "application/json")
            request.body = try KubeCoding.encode(options.model)
        }
        let (_, body) = try await client.data(request)
        if try KubeCoding.decode(KindProbe.self, from: body, request: request).kind == "Status" { return ResourceList(items: []) }
        return try KubeCoding.decode(ResourceList<Resource>.self, from: body, request: request)
    }

    // MARK: Subresources

    /// Reads the object through its `/status` subresource.
    public func getStatus(_ name: String) async throws -> Resource {
        try authorize("get", .read)
        return try await client.decoded(Resource.self, KubeRequest(.get, path: try objectPath(name, subresource: "status")))
    }

    /// Replaces the object's status (`PUT .../{name}/status`); other changes are ignored by the server.
    public func replaceStatus(_ object: Resource, options: WriteOptions = WriteOptions()) async throws -> Resource {
        try authorize("replace status of", .write)
        var request = KubeRequest(.put, path: try objectPath(try name(of: object), subresource: "status"),
                                  headers: ["Content-Type": "application/json"], body: try KubeCoding.encode(object))
        try options.apply(to: &request)
        return try await client.decoded(Resource.self, request)
    }

    /// Patches the object's status (`PATCH .../{name}/status`).
    public func patchStatus(_ name: String, _ patch: Patch, options: WriteOptions = WriteOptions()) async throws -> Resource {
        try authorize("patch status of", .write)
        return try await client.decoded(Resource.self, try patchRequest(name, patch, subresource: "status", options: options))
    }

    /// Reads the `/scale` subresource (Deployments, ReplicaSets, StatefulSets, custom resources with scale).
    public func getScale(_ name: String) async throws -> AutoscalingV1.Scale {
        try authorize("get scale of", .read)
        return try await client.decoded(AutoscalingV1.Scale.self, KubeRequest(.get, path: try objectPath(name, subresource: "scale")))
    }

    /// Replaces the `/scale` subresource (`PUT`); with `metadata.resourceVersion` set this is a
    /// compare-and-swap.
    public func replaceScale(_ name: String, _ scale: AutoscalingV1.Scale, options: WriteOptions = WriteOptions()) async throws -> AutoscalingV1.Scale {
        try authorize("scale", .write)
        var scale = scale
        scale.apiVersion = scale.apiVersion ?? "autoscaling/v1"
        scale.kind = scale.kind ?? "Scale"
        var request = KubeRequest(.put, path: try objectPath(name, subresource: "scale"),
                                  headers: ["Content-Type": "application/json"], body: try KubeCoding.encode(scale))
        try options.apply(to: &request)
        return try await client.decoded(AutoscalingV1.Scale.self, request)
    }

    /// Sets the replica count through `/scale` as `kubectl scale` does: a merge patch
    /// `{"spec":{"replicas":N}}`.
    public func scale(_ name: String, replicas: Int32, options: WriteOptions = WriteOptions()) async throws -> AutoscalingV1.Scale {
        try authorize("scale", .write)
        guard replicas >= 0 else { throw KubeError(code: .invalidArgument, message: "replicas must be 0 or more, not \(replicas)") }
        let patch = Patch.merge(["spec": ["replicas": .integer(Int64(replicas))]])
        return try await client.decoded(AutoscalingV1.Scale.self, try patchRequest(name, patch, subresource: "scale", options: options))
    }

    // MARK: Helpers

    func name(of object: Resource) throws -> String { try requireName(object.metadata, kind: type.kind) }
}

/// `metadata.name`, or an error naming the field.
func requireName(_ metadata: MetaV1.ObjectMeta?, kind: String) throws -> String {
    guard let name = metadata?.name, !name.isEmpty else {
        throw KubeError(code: .invalidArgument, message: "the \(kind) has no metadata.name", location: .init(field: "metadata.name"))
    }
    return name
}

/// Reads only `kind`, to tell a `Status` from an object.
struct KindProbe: Decodable {
    var kind: String?
    init() {}
}

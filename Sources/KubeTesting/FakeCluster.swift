import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// An in-memory API server behind the transport protocol: hand a `KubeClient` a `FakeCluster` and the typed
/// and dynamic verbs work with no network, answering as kube-apiserver v1.36 does.
///
/// ```swift
/// let cluster = FakeCluster()
/// let client = KubeClient(transport: cluster, namespace: "default", tier: .write)
/// _ = try await client.resources(CoreV1.ConfigMap.self).create(configMap)
/// let pods = try await client.pods().list(ListOptions(labelSelector: .equals("app", "web")))
/// ```
///
/// What it does (Documentation/Testing.md has the full list and what is not there yet):
/// - create, get, list, replace, delete, merge / JSON / strategic merge patches and server-side apply of any
///   built-in kind in ``ResourceType/builtIn`` (and types added with ``register(_:)`` or a
///   CustomResourceDefinition), with `uid`, a cluster-wide
///   `resourceVersion` counter, `generation` (bumped on spec changes), `creationTimestamp`, `generateName`,
///   `dryRun=All`; namespaced creates in a missing namespace fail as on the real server;
/// - the real server's Status bodies for NotFound, AlreadyExists, Conflict (stale resourceVersion), Invalid
///   (name format, missing name), unknown resources and unsupported patch types;
/// - label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!`exists) and field selectors on
///   `metadata.name`, `metadata.namespace` and, for pods, `status.phase` and `spec.nodeName`;
/// - watch from a resourceVersion (`0`/none: the current objects as `ADDED` first), live events as objects
///   change, `timeoutSeconds`, and 410 Expired for a version before ``compact()``;
/// - discovery, paging, subresources, deletion with finalizers and garbage collection, fault injection
///   (``failNext(_:where:with:)``), and controllers a test switches on (``enableControllers(_:)``).
///
/// Thread-safe (one lock), no global state: every test makes its own.
public final class FakeCluster: KubeTransport {
    /// A kind the fake serves.
    public struct ResourceType: Sendable, Hashable {
        /// API group (`""` for core).
        public var group: String
        /// Version, e.g. `v1`.
        public var version: String
        /// Kind, e.g. `Pod`.
        public var kind: String
        /// Plural resource name, e.g. `pods`.
        public var plural: String
        /// Whether objects live in namespaces.
        public var namespaced: Bool
        /// The short names discovery lists (`po`, `deploy`), as kube-apiserver's.
        public var shortNames: [String]

        /// A resource type.
        public init(group: String, version: String, kind: String, plural: String, namespaced: Bool, shortNames: [String] = []) {
            self.group = group
            self.version = version
            self.kind = kind
            self.plural = plural
            self.namespaced = namespaced
            self.shortNames = shortNames
        }

        /// `v1`, `apps/v1`.
        public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
        /// `pods`, `deployments.apps`: the name in the server's messages.
        public var qualifiedPlural: String { group.isEmpty ? plural : "\(plural).\(group)" }

        /// The built-in kinds KubeKit models that the fake serves.
        public static let builtIn: [ResourceType] = [
            .init(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true, shortNames: ["po"]),
            .init(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true, shortNames: ["svc"]),
            .init(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true, shortNames: ["cm"]),
            .init(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true),
            .init(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true, shortNames: ["sa"]),
            .init(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true, shortNames: ["ev"]),
            .init(group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true, shortNames: ["pvc"]),
            .init(group: "", version: "v1", kind: "ResourceQuota", plural: "resourcequotas", namespaced: true, shortNames: ["quota"]),
            .init(group: "", version: "v1", kind: "LimitRange", plural: "limitranges", namespaced: true, shortNames: ["limits"]),
            .init(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false, shortNames: ["ns"]),
            .init(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false, shortNames: ["no"]),
            .init(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true, shortNames: ["deploy"]),
            .init(group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", namespaced: true, shortNames: ["rs"]),
            .init(group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true, shortNames: ["sts"]),
            .init(group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", namespaced: true, shortNames: ["ds"]),
            .init(group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true),
            .init(group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", namespaced: true, shortNames: ["cj"]),
            .init(group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true, shortNames: ["ev"]),
            .init(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", namespaced: true),
            .init(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true),
            .init(group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses", namespaced: true, shortNames: ["ing"]),
            .init(group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true, shortNames: ["pdb"]),
            .init(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true),
            .init(group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true),
            .init(group: "autoscaling", version: "v1", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", namespaced: true, shortNames: ["hpa"]),
            .init(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions",
                  namespaced: false, shortNames: ["crd", "crds"]),
        ]
    }

    struct ObjectKey: Hashable {
        var type: String   // group/plural
        var namespace: String
        var name: String
    }

    struct Event {
        var version: Int
        var type: String
        var typeKey: String
        var namespace: String
        var object: JSONObject
    }

    struct Watcher {
        var typeKey: String
        var namespace: String?
        var query: Query
        var writer: BodyWriter
    }

    struct State {
        var types: [String: ResourceType] = [:]   // "group/version/plural"
        var objects: [ObjectKey: JSONObject] = [:]
        var resourceVersion = 1000
        var events: [Event] = []
        var compactedThrough = 0
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
        var received: [KubeRequest] = []
        var faults: [FaultRule] = []
        var latency: Duration = .zero
        var logs: [String: String] = [:]
        var controllers: Controllers = []
        /// How many pods the kubelet has given an address, and names made from `generateName`.
        var podAddresses = 0
        var serviceAddresses = 0
        var generatedNames = 0
    }

    let state = Locked(State())
    /// Serializes controller runs (requests may settle concurrently).
    let settling = Locked(())
    let now: @Sendable () -> Date

    /// A cluster with the namespaces of a new one (`default`, `kube-system`, `kube-public`,
    /// `kube-node-lease`) and the built-in kinds.
    /// - Parameter now: The time for `creationTimestamp` (tests pass a fixed one).
    public init(namespaces: [String] = ["default", "kube-system", "kube-public", "kube-node-lease"],
                now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
        for type in ResourceType.builtIn { register(type) }
        for namespace in namespaces {
            _ = try? store(["apiVersion": "v1", "kind": "Namespace", "metadata": .object(["name": .string(namespace)])],
                           type: ResourceType.builtIn.first { $0.plural == "namespaces" }!, namespace: "", dryRun: false)
        }
    }

    /// Serves another kind (a custom resource).
    public func register(_ type: ResourceType) {
        state.withLock { $0.types["\(type.group)/\(type.version)/\(type.plural)"] = type }
    }

    /// The current cluster-wide resourceVersion.
    public var resourceVersion: Int { state.withLock { $0.resourceVersion } }

    /// Every request received, in order.
    public var receivedRequests: [KubeRequest] { state.withLock { $0.received } }

    /// Forgets the change history up to now, as etcd compaction does: a watch from an older
    /// resourceVersion gets 410 Expired.
    public func compact() {
        state.withLock { state in
            state.compactedThrough = state.resourceVersion
            state.events.removeAll()
        }
    }

    /// Creates objects from JSON or YAML text (one or more documents), as a test's starting state. Unlike a
    /// create through the API, a `uid` or `creationTimestamp` given here is kept (to reproduce a recorded
    /// object exactly).
    public func seed(_ manifests: String) throws {
        for document in try YAMLReader.documents(in: manifests) {
            guard case .object(let object)? = document.root?.json else { continue }
            let apiVersion = object["apiVersion"]?.stringValue ?? ""
            let kind = object["kind"]?.stringValue ?? ""
            guard let type = state.withLock({ state in state.types.values.first { $0.apiVersion == apiVersion && $0.kind == kind } }) else {
                throw KubeError(code: .resourceNotMapped, message: "the fake cluster does not serve \(kind) in \(apiVersion)")
            }
            let namespace = type.namespaced ? (object["metadata"]?["namespace"]?.stringValue ?? "default") : ""
            let created = try store(object, type: type, namespace: namespace, dryRun: false,
                                    keeping: object["metadata"]?.objectValue ?? [:])
            if type.kind == "CustomResourceDefinition" { registerDefinition(created) }
        }
        settle()
    }

    // MARK: Serving

    /// Answers `request` as kube-apiserver would.
    public func send(_ request: KubeRequest) async throws -> KubeResponse {
        let (fault, latency) = state.withLock { state -> (Fault?, Duration) in
            state.received.append(request)
            return (takeFault(for: request, in: &state), state.latency)
        }
        if latency > .zero { try await Task.sleep(for: latency) }
        do {
            if let fault { throw fault.failure(for: request) }
            if let discovery = try discovery(request) { return discovery }
            let response = try route(request)
            if request.method != .get { settle() }
            return response
        } catch let failure as Failure {
            return try RecordedTransport.response(status: failure.status, headers: ["Content-Type": failure.contentType],
                                                  body: Array(failure.body.utf8), for: request)
        }
    }

    /// An error answer: status and body as the real server writes them.
    struct Failure: Error {
        var status: Int
        var body: String
        var contentType = "application/json"

        static func status(_ code: Int, reason: String, message: String, details: JSONObject? = nil) -> Failure {
            var object: JSONObject = ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure",
                                      "message": .string(message), "reason": .string(reason)]
            if let details { object["details"] = .object(details) }
            object["code"] = .integer(Int64(code))
            return Failure(status: code, body: JSONValue.object(object).jsonText)
        }

        static func notFound(_ type: ResourceType, _ name: String) -> Failure {
            status(404, reason: "NotFound", message: "\(type.qualifiedPlural) \"\(name)\" not found",
                   details: ["name": .string(name), "group": type.group.isEmpty ? nil : .string(type.group), "kind": .string(type.plural)].compacted)
        }
    }

    struct Route {
        var type: ResourceType
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    func resolve(_ path: String) throws(Failure) -> Route {
        var segments = path.split(separator: "/").map(String.init)
        let group: String, version: String
        if segments.first == "api", segments.count >= 2 {
            group = ""; version = segments[1]; segments.removeFirst(2)
        } else if segments.first == "apis", segments.count >= 3 {
            group = segments[1]; version = segments[2]; segments.removeFirst(3)
        } else {
            throw Failure(status: 404, body: "404 page not found\n", contentType: "text/plain; charset=utf-8")
        }
        let types = state.withLock { $0.types }
        func type(_ plural: String) -> ResourceType? { types["\(group)/\(version)/\(plural)"] }
        var namespace: String?
        if segments.count >= 3, segments[0] == "namespaces", let namespaced = type(segments[2]), namespaced.namespaced {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard let plural = segments.first, let resolved = type(plural), segments.count <= 3 else {
            if types.values.contains(where: { $0.group == group && $0.version == version }) {
                throw Failure.status(404, reason: "NotFound", message: "the server could not find the requested resource", details: [:])
            }
            throw Failure(status: 404, body: "404 page not found\n", contentType: "text/plain; charset=utf-8")
        }
        return Route(type: resolved, namespace: namespace, name: segments.count > 1 ? segments[1] : nil,
                     subresource: segments.count > 2 ? segments[2] : nil)
    }

    func route(_ request: KubeRequest) throws -> KubeResponse {
        let route = try resolve(request.path)
        let query = Query(request)
        let dryRun = query.values("dryRun").contains("All")
        if let subresource = route.subresource, let name = route.name {
            return try serveSubresource(subresource, of: name, route: route, request: request, dryRun: dryRun)
        }
        switch (request.method, route.name) {
        case (.get, nil):
            if query.isWatch { return try watch(route, query) }
            return try list(route, query, asTable: Self.wantsTable(request))
        case (.get, let name?):
            let found = try object(route.type, namespace: route.namespace ?? "", name: name)
            if Self.wantsTable(request) { return json(table([found], type: route.type, resourceVersion: nil)) }
            return json(found)
        case (.post, nil):
            guard !route.type.namespaced || route.namespace != nil else {
                throw Failure.status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource",
                                     details: [:])
            }
            let body = try parse(request.body, type: route.type)
            let created = try store(body, type: route.type, namespace: route.namespace ?? "", dryRun: dryRun)
            if route.type.kind == "CustomResourceDefinition", !dryRun { registerDefinition(created) }
            return json(created, status: dryRun ? 200 : 201)
        case (.put, let name?):
            let body = try parse(request.body, type: route.type)
            return json(try replace(body, type: route.type, namespace: route.namespace ?? "", name: name, dryRun: dryRun))
        case (.patch, let name?) where (request.headers["Content-Type"] ?? "").hasPrefix("application/apply-patch"):
            return try apply(request, route: route, name: name, dryRun: dryRun)
        case (.patch, let name?):
            return json(try patch(request, type: route.type, namespace: route.namespace ?? "", name: name, dryRun: dryRun))
        case (.delete, let name?):
            let options = (request.body?.isEmpty == false) ? try parse(request.body, type: route.type) : [:]
            let namespace = route.namespace ?? ""
            let result = try delete(route.type, namespace: namespace, name: name, dryRun: dryRun, options: options)
            // Still there (finalizers, a graceful pod deletion) or a dry run: the object. Gone: a Success Status.
            if dryRun || state.withLock({ $0.objects[key(route.type, namespace, name)] != nil }) { return json(result) }
            return json(["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
                         "details": .object(["name": .string(name), "group": route.type.group.isEmpty ? nil : .string(route.type.group),
                                             "kind": .string(route.type.plural), "uid": result["metadata"]?["uid"]].compacted)])
        case (.delete, nil):
            // deletecollection: every object the selectors match; answers the list of what was deleted.
            let options = (request.body?.isEmpty == false) ? try parse(request.body, type: route.type) : [:]
            let names = try listNames(route, query)
            var deleted: [JSONValue] = []
            for (namespace, name) in names {
                deleted.append(.object(try delete(route.type, namespace: namespace, name: name, dryRun: dryRun, options: options)))
            }
            return json(["kind": .string(route.type.kind + "List"), "apiVersion": .string(route.type.apiVersion),
                         "metadata": .object(["resourceVersion": .string(String(resourceVersion))]), "items": .array(deleted)])
        default:
            throw Failure.status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource",
                                 details: [:])
        }
    }

    func json(_ object: JSONObject, status: Int = 200) -> KubeResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        return KubeResponse(status: status, headers: headers, body: .bytes(Array(JSONValue.object(object).jsonText.utf8)))
    }

    func parse(_ body: [UInt8]?, type: ResourceType) throws(Failure) -> JSONObject {
        guard let body, !body.isEmpty, case .object(let object)? = try? YAMLReader.documents(in: body).first?.root?.json else {
            throw Failure.status(400, reason: "BadRequest", message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
                                 details: [:])
        }
        return object
    }

    // MARK: Objects

    /// Five characters of the API server's alphabet for a generated name, from a hash of the prefix and a
    /// counter: the same steps give the same names in every run (tests and the examples can name what they made).
    func generatedSuffix(for prefix: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var hash = generatedHash(for: prefix)
        var suffix = ""
        for _ in 0..<5 {
            suffix.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return suffix
    }

    /// FNV-1a of `prefix` and the next value of the cluster's name counter.
    func generatedHash(for prefix: String) -> UInt64 {
        let sequence = state.withLock { state in
            defer { state.generatedNames += 1 }
            return state.generatedNames
        }
        let prime: UInt64 = 0x100_0000_01b3
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array("\(prefix)\(sequence)".utf8) { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }

    func key(_ type: ResourceType, _ namespace: String, _ name: String) -> ObjectKey {
        ObjectKey(type: "\(type.group)/\(type.plural)", namespace: type.namespaced ? namespace : "", name: name)
    }

    func object(_ type: ResourceType, namespace: String, name: String) throws(Failure) -> JSONObject {
        guard let object = state.withLock({ $0.objects[key(type, namespace, name)] }) else { throw Failure.notFound(type, name) }
        return object
    }

    /// The basics kube-apiserver validates on create and update: the name's format, and for pods (and the
    /// pod templates of workloads) each container's name and image. Every problem is reported at once, as
    /// the server aggregates them: `Pod "x" is invalid: [field: ..., field: ...]`.
    static func validate(_ object: JSONObject, name: String, type: ResourceType) throws(Failure) {
        var causes: [(field: String, reason: String, message: String)] = []
        if !isSubdomain(name) {
            let rule = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            causes.append(("metadata.name", "FieldValueInvalid", "Invalid value: \"\(name)\": \(rule)"))
        }
        let podSpec: (JSONValue?, String)? = switch (type.group, type.kind) {
        case ("", "Pod"): (object["spec"], "spec")
        case ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("batch", "Job"):
            (object["spec"]?["template"]?["spec"], "spec.template.spec")
        default: nil
        }
        if let (spec, prefix) = podSpec, let spec {
            for (index, container) in (spec["containers"]?.arrayValue ?? []).enumerated() {
                if (container["name"]?.stringValue ?? "").isEmpty {
                    causes.append(("\(prefix).containers[\(index)].name", "FieldValueRequired", "Required value"))
                }
                if (container["image"]?.stringValue ?? "").isEmpty {
                    causes.append(("\(prefix).containers[\(index)].image", "FieldValueRequired", "Required value"))
                }
            }
        }
        guard !causes.isEmpty else { return }
        let listed = causes.map { "\($0.field): \($0.message)" }
        let summary = listed.count == 1 ? listed[0] : "[" + listed.joined(separator: ", ") + "]"
        throw Failure.status(422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(summary)",
                             details: ["name": .string(name), "kind": .string(type.kind), "causes": .array(causes.map { cause in
                                 .object(["reason": .string(cause.reason), "message": .string(cause.message), "field": .string(cause.field)])
                             })])
    }

    /// An RFC 1123 subdomain: dot-separated labels of lower-case letters, digits and '-', each starting and
    /// ending with a letter or digit.
    static func isSubdomain(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            let alphanumeric = { (c: Character) in c.isASCII && (c.isLowercase || c.isNumber) }
            return alphanumeric(first) && alphanumeric(last) && label.allSatisfy { alphanumeric($0) || $0 == "-" }
        }
    }

    func store(_ body: JSONObject, type: ResourceType, namespace: String, dryRun: Bool, keeping seeded: JSONObject = [:]) throws -> JSONObject {
        var object = body
        object["apiVersion"] = .string(type.apiVersion)
        object["kind"] = .string(type.kind)
        var metadata = object["metadata"]?.objectValue ?? [:]
        var name = metadata["name"]?.stringValue ?? ""
        if name.isEmpty, let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
            name = prefix + generatedSuffix(for: prefix)
        }
        guard !name.isEmpty else {
            throw Failure.status(422, reason: "Invalid", message: "\(type.kind) \"\" is invalid: metadata.name: Required value: name or generateName is required",
                                 details: ["kind": .string(type.kind), "causes": .array([.object([
                                     "reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"])])])
        }
        try Self.validate(object, name: name, type: type)
        let namespaceType = ResourceType.builtIn.first { $0.plural == "namespaces" }!
        return try state.withLock { state throws -> JSONObject in
            if type.namespaced {
                guard let namespaceObject = state.objects[ObjectKey(type: "/namespaces", namespace: "", name: namespace)] else {
                    throw Failure.notFound(namespaceType, namespace)
                }
                if namespaceObject["metadata"]?["deletionTimestamp"] != nil {
                    throw Failure.status(403, reason: "Forbidden",
                                         message: "\(type.qualifiedPlural) \"\(name)\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated",
                                         details: ["name": .string(name), "group": type.group.isEmpty ? nil : .string(type.group), "kind": .string(type.plural)].compacted)
                }
            }
            let objectKey = key(type, namespace, name)
            guard state.objects[objectKey] == nil else {
                throw Failure.status(409, reason: "AlreadyExists", message: "\(type.qualifiedPlural) \"\(name)\" already exists",
                                     details: ["name": .string(name), "group": type.group.isEmpty ? nil : .string(type.group), "kind": .string(type.plural)].compacted)
            }
            metadata["name"] = .string(name)
            if type.namespaced { metadata["namespace"] = .string(namespace) }
            metadata["uid"] = seeded["uid"] ?? .string(UUID().uuidString.lowercased())
            metadata["creationTimestamp"] = seeded["creationTimestamp"] ?? .string(Self.timestamp(now()))
            if object["spec"] != nil { metadata["generation"] = seeded["generation"] ?? .integer(1) }
            Self.applyDefaults(&object, type: type, state: &state)
            return commit(object, metadata: metadata, as: "ADDED", key: objectKey, type: type, dryRun: dryRun, in: &state)
        }
    }

    /// Some of kube-apiserver's defaulting on create: a Service's type, cluster IP (allocated from
    /// 10.96.0.0/16), families and policies; a Deployment's replicas, strategy and limits.
    static func applyDefaults(_ object: inout JSONObject, type: ResourceType, state: inout State) {
        guard var spec = object["spec"]?.objectValue else { return }
        func setDefault(_ key: String, _ value: JSONValue) { if spec[key] == nil { spec[key] = value } }
        switch (type.group, type.kind) {
        case ("", "Service"):
            setDefault("type", "ClusterIP")
            if spec["type"]?.stringValue != "ExternalName" {
                if spec["clusterIP"] == nil {
                    state.serviceAddresses += 1
                    spec["clusterIP"] = .string("10.96.\(state.serviceAddresses / 250).\(state.serviceAddresses % 250)")
                }
                setDefault("clusterIPs", .array([spec["clusterIP"] ?? .null]))
                setDefault("ipFamilies", ["IPv4"])
                setDefault("ipFamilyPolicy", "SingleStack")
                setDefault("internalTrafficPolicy", "Cluster")
            }
            setDefault("sessionAffinity", "None")
        case ("apps", "Deployment"):
            setDefault("replicas", 1)
            setDefault("strategy", ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]])
            setDefault("revisionHistoryLimit", 10)
            setDefault("progressDeadlineSeconds", 600)
        default:
            return
        }
        object["spec"] = .object(spec)
    }

    func replace(_ body: JSONObject, type: ResourceType, namespace: String, name: String, dryRun: Bool) throws -> JSONObject {
        try state.withLock { state throws -> JSONObject in
            let objectKey = key(type, namespace, name)
            guard let current = state.objects[objectKey] else { throw Failure.notFound(type, name) }
            var object = body
            object["apiVersion"] = .string(type.apiVersion)
            object["kind"] = .string(type.kind)
            var metadata = object["metadata"]?.objectValue ?? [:]
            let currentMetadata = current["metadata"]?.objectValue ?? [:]
            if let sent = metadata["resourceVersion"]?.stringValue, !sent.isEmpty, sent != currentMetadata["resourceVersion"]?.stringValue {
                throw Failure.status(409, reason: "Conflict",
                                     message: "Operation cannot be fulfilled on \(type.qualifiedPlural) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
                                     details: ["name": .string(name), "group": type.group.isEmpty ? nil : .string(type.group), "kind": .string(type.plural)].compacted)
            }
            for field in ["uid", "creationTimestamp", "name", "namespace"] { metadata[field] = currentMetadata[field] }
            var generation = currentMetadata["generation"]
            if object["spec"] != current["spec"], case .integer(let value)? = generation { generation = .integer(value + 1) }
            metadata["generation"] = generation
            metadata["deletionTimestamp"] = currentMetadata["deletionTimestamp"]
            metadata["deletionGracePeriodSeconds"] = currentMetadata["deletionGracePeriodSeconds"]
            if metadata["deletionTimestamp"] != nil, (metadata["finalizers"]?.arrayValue ?? []).isEmpty, !dryRun {
                // The last finalizer is gone from an object being deleted: now it goes.
                state.resourceVersion += 1
                metadata["resourceVersion"] = .string(String(state.resourceVersion))
                object["metadata"] = .object(metadata)
                state.objects[objectKey] = nil
                record(&state, "DELETED", type: type, namespace: objectKey.namespace, object: object)
                collectDependents(of: currentMetadata["uid"]?.stringValue ?? "", orphan: false, in: &state)
                return object
            }
            return commit(object, metadata: metadata, as: "MODIFIED", key: objectKey, type: type, dryRun: dryRun, in: &state)
        }
    }

    /// Stores a created or replaced object under a new resourceVersion and records the event; a dry run
    /// returns it unstored.
    func commit(_ object: JSONObject, metadata: JSONObject, as event: String, key objectKey: ObjectKey, type: ResourceType,
                        dryRun: Bool, in state: inout State) -> JSONObject {
        var object = object
        var metadata = metadata
        if !dryRun {
            state.resourceVersion += 1
            metadata["resourceVersion"] = .string(String(state.resourceVersion))
        }
        object["metadata"] = .object(metadata)
        guard !dryRun else { return object }
        state.objects[objectKey] = object
        record(&state, event, type: type, namespace: objectKey.namespace, object: object)
        return object
    }

    func patch(_ request: KubeRequest, type: ResourceType, namespace: String, name: String, dryRun: Bool) throws -> JSONObject {
        let contentType = request.headers["Content-Type"] ?? ""
        let current = try object(type, namespace: namespace, name: name)
        guard let body = request.body, let patch = try? YAMLReader.documents(in: body).first?.root?.json else {
            throw Failure.status(400, reason: "BadRequest", message: "the body of the request was in an unknown format", details: [:])
        }
        var patched: JSONValue
        if contentType.hasPrefix("application/merge-patch+json") {
            patched = Self.mergePatch(.object(current), patch)
        } else if contentType.hasPrefix("application/json-patch+json"), case .array(let operations) = patch {
            patched = try Self.jsonPatch(.object(current), operations)
        } else if contentType.hasPrefix("application/strategic-merge-patch+json"), ResourceType.builtIn.contains(type) {
            // Merge keys and strategies from the OpenAPI spec (Generated-PatchStrategies.swift). Custom
            // resources have none: the real server refuses strategic merge for them too (415 below).
            let kind = "\(type.apiVersion)/\(type.kind)"
            patched = Self.strategicMerge(.object(current), patch, kind: kind) ?? .object([:])
        } else {
            throw Failure.status(415, reason: "UnsupportedMediaType", message: "415: Unsupported Media Type", details: [:])
        }
        guard case .object(var object) = patched else { throw Failure.status(422, reason: "Invalid", message: "the patch does not leave an object", details: [:]) }
        var metadata = object["metadata"]?.objectValue ?? [:]
        metadata["resourceVersion"] = current["metadata"]?["resourceVersion"]
        object["metadata"] = .object(metadata)
        if let manager = Query(request).values("fieldManager").first, !manager.isEmpty {
            recordUpdate(by: manager, old: current, new: &object, type: type)
        }
        return try replace(object, type: type, namespace: namespace, name: name, dryRun: dryRun)
    }

    /// Deletes an object as the real server does: preconditions checked; with finalizers the object only gets
    /// a `deletionTimestamp` (and goes once an update removes the last finalizer); dependents (owner
    /// references to its uid) are deleted too, or released with `propagationPolicy: Orphan`.
    func delete(_ type: ResourceType, namespace: String, name: String, dryRun: Bool, options: JSONObject = [:]) throws -> JSONObject {
        try state.withLock { state throws -> JSONObject in
            let objectKey = key(type, namespace, name)
            guard var object = state.objects[objectKey] else { throw Failure.notFound(type, name) }
            var metadata = object["metadata"]?.objectValue ?? [:]
            let uid = metadata["uid"]?.stringValue ?? ""
            if let expected = options["preconditions"]?["uid"]?.stringValue, expected != uid {
                throw Failure.status(409, reason: "Conflict",
                                     message: "Operation cannot be fulfilled on \(type.kind) \"\(name)\": the UID in the precondition (\(expected)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated",
                                     details: ["name": .string(name), "kind": .string(type.kind)])
            }
            if let expected = options["preconditions"]?["resourceVersion"]?.stringValue, expected != metadata["resourceVersion"]?.stringValue {
                throw Failure.status(409, reason: "Conflict",
                                     message: "Operation cannot be fulfilled on \(type.kind) \"\(name)\": the ResourceVersion in the precondition (\(expected)) does not match the ResourceVersion in record (\(metadata["resourceVersion"]?.stringValue ?? "")). The object might have been modified",
                                     details: ["name": .string(name), "kind": .string(type.kind)])
            }
            guard !dryRun else { return object }
            state.resourceVersion += 1
            metadata["resourceVersion"] = .string(String(state.resourceVersion))
            if type.plural == "namespaces", type.group.isEmpty {
                // As on a real cluster the namespace lingers as Terminating (creates in it are Forbidden) while
                // its content goes; finishNamespaceDeletions() plays the namespace controller's last step.
                metadata["deletionTimestamp"] = metadata["deletionTimestamp"] ?? .string(Self.timestamp(now()))
                object["metadata"] = .object(metadata)
                var status = object["status"]?.objectValue ?? [:]
                status["phase"] = "Terminating"
                object["status"] = .object(status)
                state.objects[objectKey] = object
                record(&state, "MODIFIED", type: type, namespace: "", object: object)
                for key in state.objects.keys.filter({ $0.namespace == name }).sorted(by: { ($0.type, $0.name) < ($1.type, $1.name) }) {
                    guard var contained = state.objects.removeValue(forKey: key),
                          let containedType = state.types.values.first(where: { "\($0.group)/\($0.plural)" == key.type }) else { continue }
                    state.resourceVersion += 1
                    var containedMetadata = contained["metadata"]?.objectValue ?? [:]
                    containedMetadata["resourceVersion"] = .string(String(state.resourceVersion))
                    contained["metadata"] = .object(containedMetadata)
                    record(&state, "DELETED", type: containedType, namespace: name, object: contained)
                }
                return object
            }
            let grace: Int64 = {
                if case .integer(let seconds)? = options["gracePeriodSeconds"] { return seconds }
                if case .integer(let seconds)? = object["spec"]?["terminationGracePeriodSeconds"] { return seconds }
                return 30
            }()
            if type.group.isEmpty, type.kind == "Pod", state.controllers.contains(.kubelet), object["spec"]?["nodeName"] != nil,
               grace > 0, metadata["deletionTimestamp"] == nil {
                // Graceful deletion: the pod is marked and the kubelet finishes it (the fake's kubelet at once,
                // on its next pass).
                metadata["deletionTimestamp"] = .string(Self.timestamp(now().addingTimeInterval(TimeInterval(grace))))
                metadata["deletionGracePeriodSeconds"] = .integer(grace)
                object["metadata"] = .object(metadata)
                state.objects[objectKey] = object
                record(&state, "MODIFIED", type: type, namespace: objectKey.namespace, object: object)
                return object
            }
            if !(metadata["finalizers"]?.arrayValue ?? []).isEmpty {
                // Finalizers hold the object: it is marked, and goes when the last finalizer is removed.
                if metadata["deletionTimestamp"] == nil {
                    metadata["deletionTimestamp"] = .string(Self.timestamp(now()))
                    metadata["deletionGracePeriodSeconds"] = .integer(0)
                }
                object["metadata"] = .object(metadata)
                state.objects[objectKey] = object
                record(&state, "MODIFIED", type: type, namespace: objectKey.namespace, object: object)
                return object
            }
            object["metadata"] = .object(metadata)
            state.objects[objectKey] = nil
            record(&state, "DELETED", type: type, namespace: objectKey.namespace, object: object)
            collectDependents(of: uid, orphan: options["propagationPolicy"]?.stringValue == "Orphan", in: &state)
            return object
        }
    }

    /// Garbage collection: objects whose owner references name `uid` are deleted (recursively), or with
    /// `orphan` lose that reference.
    func collectDependents(of uid: String, orphan: Bool, in state: inout State) {
        let dependents = state.objects.filter { entry in
            (entry.value["metadata"]?["ownerReferences"]?.arrayValue ?? []).contains { $0["uid"]?.stringValue == uid }
        }
        for (objectKey, var object) in dependents.sorted(by: { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }) {
            guard let type = state.types.values.first(where: { "\($0.group)/\($0.plural)" == objectKey.type }) else { continue }
            var metadata = object["metadata"]?.objectValue ?? [:]
            state.resourceVersion += 1
            metadata["resourceVersion"] = .string(String(state.resourceVersion))
            if orphan {
                let kept = (metadata["ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
                metadata["ownerReferences"] = kept.isEmpty ? nil : .array(kept)
                object["metadata"] = .object(metadata)
                state.objects[objectKey] = object
                record(&state, "MODIFIED", type: type, namespace: objectKey.namespace, object: object)
            } else {
                object["metadata"] = .object(metadata)
                state.objects[objectKey] = nil
                record(&state, "DELETED", type: type, namespace: objectKey.namespace, object: object)
                collectDependents(of: metadata["uid"]?.stringValue ?? "", orphan: false, in: &state)
            }
        }
    }

    /// Appends to the history and tells the live watches.
    func record(_ state: inout State, _ eventType: String, type: ResourceType, namespace: String, object: JSONObject) {
        let typeKey = "\(type.group)/\(type.plural)"
        state.events.append(Event(version: state.resourceVersion, type: eventType, typeKey: typeKey, namespace: namespace, object: object))
        for watcher in state.watchers.values where watcher.typeKey == typeKey && (watcher.namespace == nil || watcher.namespace == namespace)
            && watcher.query.matches(object, type: type) {
            watcher.writer.write(Self.line(eventType, object))
        }
    }

    static func line(_ type: String, _ object: JSONObject) -> [UInt8] {
        Array((JSONValue.object(["type": .string(type), "object": .object(object)]).jsonText + "\n").utf8)
    }

    // MARK: Lists and watches

    func list(_ route: Route, _ query: Query, asTable: Bool = false) throws(Failure) -> KubeResponse {
        try query.validate(route.type)
        let (all, current, compacted) = state.withLock { state in
            let typeKey = "\(route.type.group)/\(route.type.plural)"
            let items = state.objects.filter { $0.key.type == typeKey && (route.namespace == nil || $0.key.namespace == route.namespace) }
                // Keys as etcd holds them below the request's prefix, so continue tokens read like the server's.
                .map { (key: route.namespace != nil || $0.key.namespace.isEmpty ? "/\($0.key.name)" : "/\($0.key.namespace)/\($0.key.name)",
                        object: $0.value) }
                .sorted { $0.key < $1.key }
                .filter { query.matches($0.object, type: route.type) }
            return (items, state.resourceVersion, state.compactedThrough)
        }
        if let requested = query.values("resourceVersion").first.flatMap({ Int($0) }), requested > 0 {
            if requested > current {
                throw Failure.status(504, reason: "Timeout", message: "Too large resource version: \(requested), current: \(current)",
                                     details: ["causes": .array([.object(["reason": "ResourceVersionTooLarge", "message": "Too large resource version"])]),
                                               "retryAfterSeconds": .integer(1)])
            }
            if query.values("resourceVersionMatch").contains("Exact"), requested < compacted {
                throw Failure.status(410, reason: "Expired", message: "too old resource version: \(requested) (\(compacted))", details: nil)
            }
        }
        // Paging: limit, and continue tokens in kube-apiserver's format. (Simplification: later pages show the
        // current state, not the snapshot of the first page's resourceVersion.)
        var version = current
        var items = all[...]
        if let token = query.values("continue").first, !token.isEmpty {
            let (tokenVersion, start) = try Self.decodeContinue(token)
            if tokenVersion < compacted {
                var status: JSONObject = ["kind": "Status", "apiVersion": "v1"]
                status["metadata"] = .object(["continue": .string(Self.continueToken(version: -1, after: start))])
                status["status"] = "Failure"
                status["message"] = .string(Self.expiredContinueMessage)
                status["reason"] = "Expired"
                status["code"] = .integer(410)
                throw Failure(status: 410, body: JSONValue.object(status).jsonText)
            }
            version = tokenVersion
            items = items.drop { $0.key <= start }
        }
        var metadata: JSONObject = ["resourceVersion": .string(String(version))]
        if let limit = query.values("limit").first.flatMap({ Int($0) }), limit > 0, items.count > limit {
            let page = items.prefix(limit)
            metadata["continue"] = .string(Self.continueToken(version: version, after: page.last!.key))
            metadata["remainingItemCount"] = .integer(Int64(items.count - limit))
            items = page
        }
        if asTable {
            var table = table(items.map(\.object), type: route.type, resourceVersion: String(version))
            table["metadata"] = .object(metadata)
            return json(table)
        }
        let list: JSONObject = [
            "kind": .string(route.type.kind + "List"), "apiVersion": .string(route.type.apiVersion),
            "metadata": .object(metadata),
            "items": .array(items.map { entry in
                var item = entry.object
                item["kind"] = nil
                item["apiVersion"] = nil
                return .object(item)
            }),
        ]
        return json(list)
    }

    /// The (namespace, name) of every object a collection request's selectors match.
    func listNames(_ route: Route, _ query: Query) throws(Failure) -> [(String, String)] {
        try query.validate(route.type)
        return state.withLock { state in
            let typeKey = "\(route.type.group)/\(route.type.plural)"
            return state.objects.filter { $0.key.type == typeKey && (route.namespace == nil || $0.key.namespace == route.namespace) }
                .filter { query.matches($0.value, type: route.type) }
                .map { ($0.key.namespace, $0.key.name) }
                .sorted { $0 < $1 }
        }
    }

    func watch(_ route: Route, _ query: Query) throws(Failure) -> KubeResponse {
        try query.validate(route.type)
        let (body, writer) = KubeResponseBody.makeStream()
        let typeKey = "\(route.type.group)/\(route.type.plural)"
        let from = query.values("resourceVersion").first.flatMap { Int($0) }
        let id = state.withLock { state -> Int? in
            if let from, from != 0, from < state.compactedThrough {
                let status: JSONObject = ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure",
                                          "message": .string("too old resource version: \(from) (\(state.compactedThrough))"),
                                          "reason": "Expired", "code": .integer(410)]
                writer.write(Self.line("ERROR", status))
                writer.finish()
                return nil
            }
            if let from, from != 0 {
                for event in state.events where event.version > from && event.typeKey == typeKey
                    && (route.namespace == nil || event.namespace == route.namespace) && query.matches(event.object, type: route.type) {
                    writer.write(Self.line(event.type, event.object))
                }
            } else {
                for (key, object) in state.objects.sorted(by: { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) })
                    where key.type == typeKey && (route.namespace == nil || key.namespace == route.namespace) && query.matches(object, type: route.type) {
                    writer.write(Self.line("ADDED", object))
                }
                if query.values("sendInitialEvents").contains("true"), query.values("allowWatchBookmarks").contains("true") {
                    // Watch-list: the initial state ends with a bookmark carrying this annotation.
                    writer.write(Self.bookmark(route.type, version: state.resourceVersion, initialEventsEnd: true))
                }
            }
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = Watcher(typeKey: typeKey, namespace: route.namespace, query: query, writer: writer)
            return state.nextWatcher
        }
        if let id {
            let end: @Sendable () -> Void = { [state] in
                let watcher = state.withLock { $0.watchers.removeValue(forKey: id) }
                watcher?.writer.finish()
            }
            writer.onCancel(end)
            if let seconds = query.values("timeoutSeconds").first.flatMap({ Int($0) }) {
                let bookmarks = query.values("allowWatchBookmarks").contains("true")
                let type = route.type
                Task { [state] in
                    try? await Task.sleep(for: .seconds(seconds))
                    // As the server does: a bookmark with the current version right before a timed-out watch ends.
                    if bookmarks {
                        let (watcher, version) = state.withLock { ($0.watchers[id], $0.resourceVersion) }
                        watcher?.writer.write(Self.bookmark(type, version: version))
                    }
                    end()
                }
            }
        }
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        return KubeResponse(status: 200, headers: headers, body: body)
    }

    /// Removes the namespaces being deleted (the namespace controller's last step; until then they are
    /// Terminating and creates in them are Forbidden).
    public func finishNamespaceDeletions() {
        state.withLock { state in
            guard let type = state.types["/v1/namespaces"] else { return }
            for (key, var object) in state.objects where key.type == "/namespaces" && object["metadata"]?["deletionTimestamp"] != nil {
                state.objects[key] = nil
                state.resourceVersion += 1
                var metadata = object["metadata"]?.objectValue ?? [:]
                metadata["resourceVersion"] = .string(String(state.resourceVersion))
                object["metadata"] = .object(metadata)
                record(&state, "DELETED", type: type, namespace: "", object: object)
            }
        }
    }

    /// Ends every open watch (as an API server restart does); clients resume from their resourceVersion.
    public func dropWatches() {
        let watchers = state.withLock { state in
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.writer.finish() }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

extension Dictionary where Key == String, Value == JSONValue? {
    /// The members that are not `nil`, in the server's order (name, group, kind, uid).
    fileprivate var compacted: JSONObject {
        JSONObject(["name", "group", "kind", "uid"].compactMap { key in self[key].flatMap { $0 }.map { (key, $0) } })
    }
}

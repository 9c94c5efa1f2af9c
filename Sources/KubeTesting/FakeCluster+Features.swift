import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

extension FakeCluster {
    // MARK: Fault injection

    /// What an injected failure looks like.
    public enum Fault: Sendable {
        /// An answer with this status and a Status body (`.status(503, reason: "ServiceUnavailable", message: "...")`).
        case status(Int, reason: String, message: String)
        /// A transport failure (the connection broke): a ``KubeError`` with code `transport` and this message.
        case transport(String)

        func failure(for request: KubeRequest) -> any Error {
            switch self {
            case .status(let code, let reason, let message):
                return Failure.status(code, reason: reason, message: message, details: [:])
            case .transport(let message):
                return KubeError(code: .transport, message: message, request: .init(method: request.method.rawValue, path: request.path))
            }
        }
    }

    struct FaultRule: Sendable {
        var remaining: Int
        var predicate: @Sendable (KubeRequest) -> Bool
        var fault: Fault
    }

    /// Fails the next `count` requests for which `predicate` is true with `fault` (then answers normally).
    ///
    /// ```swift
    /// cluster.failNext(2, where: { $0.method == .get }, with: .status(503, reason: "ServiceUnavailable", message: "etcd is slow"))
    /// ```
    public func failNext(_ count: Int = 1, where predicate: @escaping @Sendable (KubeRequest) -> Bool = { _ in true }, with fault: Fault) {
        state.withLock { $0.faults.append(FaultRule(remaining: count, predicate: predicate, fault: fault)) }
    }

    /// Delays every answer by `latency` (real time).
    public func setLatency(_ latency: Duration) { state.withLock { $0.latency = latency } }

    func takeFault(for request: KubeRequest, in state: inout State) -> Fault? {
        guard let index = state.faults.firstIndex(where: { $0.remaining > 0 && $0.predicate(request) }) else { return nil }
        state.faults[index].remaining -= 1
        let fault = state.faults[index].fault
        if state.faults[index].remaining == 0 { state.faults.remove(at: index) }
        return fault
    }

    // MARK: Pod logs

    /// The text `GET .../pods/{name}/log` answers (for `container`, or for any container when `nil`).
    public func setLog(_ text: String, pod: String, namespace: String = "default", container: String? = nil) {
        state.withLock { $0.logs["\(namespace)/\(pod)/\(container ?? "")"] = text }
    }

    // MARK: Subresources

    func serveSubresource(_ subresource: String, of name: String, route: Route, request: KubeRequest, dryRun: Bool) throws -> KubeResponse {
        let namespace = route.namespace ?? ""
        switch (subresource, request.method) {
        case ("status", .get):
            return json(try object(route.type, namespace: namespace, name: name))
        case ("status", .put), ("status", .patch):
            // Only the status changes through this subresource; everything else comes from the stored object.
            let current = try object(route.type, namespace: namespace, name: name)
            let sent: JSONObject
            if request.method == .put {
                sent = try parse(request.body, type: route.type)
            } else {
                sent = try patch(request, type: route.type, namespace: namespace, name: name, dryRun: true)
            }
            var object = current
            object["status"] = sent["status"]
            if let version = sent["metadata"]?["resourceVersion"], request.method == .put {
                var metadata = object["metadata"]?.objectValue ?? [:]
                metadata["resourceVersion"] = version
                object["metadata"] = .object(metadata)
            }
            return json(try replace(object, type: route.type, namespace: namespace, name: name, dryRun: dryRun))
        case ("scale", .get):
            return json(scale(of: try object(route.type, namespace: namespace, name: name)))
        case ("scale", .put), ("scale", .patch):
            var current = try object(route.type, namespace: namespace, name: name)
            let scaleBody: JSONObject
            if request.method == .put {
                scaleBody = try parse(request.body, type: route.type)
            } else {
                guard let body = request.body, let patch = try? YAMLReader.documents(in: body).first?.root?.json,
                      case .object(let merged) = FakeCluster.mergePatch(.object(scale(of: current)), patch) else {
                    throw Failure.status(400, reason: "BadRequest", message: "the body of the request was in an unknown format", details: [:])
                }
                scaleBody = merged
            }
            var spec = current["spec"]?.objectValue ?? [:]
            spec["replicas"] = scaleBody["spec"]?["replicas"] ?? .integer(0)
            current["spec"] = .object(spec)
            return json(scale(of: try replace(current, type: route.type, namespace: namespace, name: name, dryRun: dryRun)))
        case ("log", .get):
            _ = try object(route.type, namespace: namespace, name: name)
            let container = Query(request).values("container").first ?? ""
            let text = state.withLock { $0.logs["\(namespace)/\(name)/\(container)"] ?? $0.logs["\(namespace)/\(name)/"] } ?? ""
            var headers = HTTPHeaders()
            headers.add("Content-Type", "text/plain")
            return KubeResponse(status: 200, headers: headers, body: .bytes(Array(text.utf8)))
        case ("eviction", .post):
            try checkDisruptionBudgets(for: try object(route.type, namespace: namespace, name: name), namespace: namespace)
            _ = try delete(route.type, namespace: namespace, name: name, dryRun: dryRun)
            return json(["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success", "code": .integer(201)], status: 201)
        default:
            throw Failure.status(404, reason: "NotFound", message: "the server could not find the requested resource", details: [:])
        }
    }

    /// Refuses an eviction that would take a PodDisruptionBudget below what it needs, with the server's 429.
    /// (The budget's status is computed here from the pods, where the disruption controller would write it.)
    func checkDisruptionBudgets(for pod: JSONObject, namespace: String) throws(Failure) {
        let labels = pod["metadata"]?["labels"]?.objectValue ?? [:]
        let budgets = state.withLock { state in
            state.objects.filter { $0.key.type == "policy/poddisruptionbudgets" && $0.key.namespace == namespace }.map(\.value)
        }
        let pods = state.withLock { state in
            state.objects.filter { $0.key.type == "/pods" && $0.key.namespace == namespace }.map(\.value)
        }
        func selects(_ budget: JSONObject, _ labels: JSONObject) -> Bool {
            let match = budget["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
            return !match.isEmpty && match.allSatisfy { labels[$0.key] == $0.value }
        }
        for budget in budgets where selects(budget, labels) {
            let covered = pods.filter { selects(budget, $0["metadata"]?["labels"]?.objectValue ?? [:]) }
            let healthy = covered.filter { pod in
                (pod["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
            }.count
            let spec = budget["spec"]?.objectValue ?? [:]
            func count(_ value: JSONValue?) -> Int? {
                switch value {
                case .integer(let number)?: return Int(number)
                case .string(let text)? where text.hasSuffix("%"):
                    return Int(text.dropLast()).map { Int((Double($0) / 100 * Double(covered.count)).rounded(.up)) }
                default: return nil
                }
            }
            let needed = count(spec["minAvailable"]) ?? count(spec["maxUnavailable"]).map { covered.count - $0 } ?? covered.count
            guard healthy - 1 < needed else { continue }
            throw Failure.status(429, reason: "TooManyRequests", message: "Cannot evict pod as it would violate the pod's disruption budget.",
                                 details: ["causes": .array([.object([
                                     "reason": "DisruptionBudget",
                                     "message": .string("The disruption budget \(budget["metadata"]?["name"]?.stringValue ?? "") needs \(needed) healthy pods and has \(healthy) currently"),
                                 ])])])
        }
    }

    /// Sends a BOOKMARK (the current resourceVersion) to every open watch that asked for bookmarks, as the
    /// server does about once a minute.
    public func sendBookmarks() {
        state.withLock { state in
            for watcher in state.watchers.values where watcher.query.values("allowWatchBookmarks").contains("true") {
                guard let type = state.types.values.first(where: { "\($0.group)/\($0.plural)" == watcher.typeKey }) else { continue }
                watcher.writer.write(Self.bookmark(type, version: state.resourceVersion))
            }
        }
    }

    static func bookmark(_ type: ResourceType, version: Int, initialEventsEnd: Bool = false) -> [UInt8] {
        var metadata: JSONObject = ["resourceVersion": .string(String(version))]
        if initialEventsEnd { metadata["annotations"] = .object(["k8s.io/initial-events-end": "true"]) }
        return line("BOOKMARK", ["kind": .string(type.kind), "apiVersion": .string(type.apiVersion), "metadata": .object(metadata)])
    }

    /// The autoscaling/v1 Scale of a workload.
    func scale(of object: JSONObject) -> JSONObject {
        let metadata = object["metadata"]?.objectValue ?? [:]
        var scaleMetadata: JSONObject = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { scaleMetadata[field] = metadata[field] }
        let labels = object["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
        let selector = labels.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ",")
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(scaleMetadata),
                "spec": .object(["replicas": object["spec"]?["replicas"] ?? .integer(1)]),
                "status": .object(["replicas": object["status"]?["replicas"] ?? .integer(0), "selector": .string(selector)])]
    }

    // MARK: Custom resources

    /// Serves the kinds a CustomResourceDefinition declares (its served versions), as the real server does
    /// once the definition is established.
    func registerDefinition(_ definition: JSONObject) {
        guard let spec = definition["spec"]?.objectValue, let group = spec["group"]?.stringValue,
              let plural = spec["names"]?["plural"]?.stringValue, let kind = spec["names"]?["kind"]?.stringValue else { return }
        let namespaced = spec["scope"]?.stringValue != "Cluster"
        for version in spec["versions"]?.arrayValue ?? [] where version["served"]?.boolValue != false {
            guard let name = version["name"]?.stringValue else { continue }
            register(ResourceType(group: group, version: name, kind: kind, plural: plural, namespaced: namespaced))
        }
    }

    // MARK: Discovery

    /// `/api`, `/apis` (aggregated when asked with `as=APIGroupDiscoveryList`), `/api/v1`, `/apis/{group}` and
    /// `/apis/{group}/{version}`.
    func discovery(_ request: KubeRequest) throws -> KubeResponse? {
        guard request.method == .get else { return nil }
        let segments = request.path.split(separator: "/").map(String.init)
        let types = state.withLock { Array($0.types.values) }.sorted { ($0.group, $0.version, $0.plural) < ($1.group, $1.version, $1.plural) }
        let aggregated = (request.headers["Accept"] ?? "").contains("as=APIGroupDiscoveryList")
        func resource(_ type: ResourceType) -> JSONObject {
            ["name": .string(type.plural), "singularName": .string(type.kind.lowercased()), "namespaced": .bool(type.namespaced),
             "kind": .string(type.kind), "verbs": .array(Self.verbs.map { .string($0) }), "shortNames": .array(type.shortNames.map { .string($0) })]
        }
        func versions(_ group: String) -> [String] { Array(Set(types.filter { $0.group == group }.map(\.version))).sorted() }
        if aggregated, segments == ["api"] || segments == ["apis"] {
            let groups = segments == ["api"] ? [""] : Array(Set(types.map(\.group).filter { !$0.isEmpty })).sorted()
            let items: [JSONValue] = groups.map { group in
                .object(["metadata": .object(group.isEmpty ? [:] : ["name": .string(group)]),
                         "versions": .array(versions(group).map { version in
                             .object(["version": .string(version), "freshness": "Current",
                                      "resources": .array(types.filter { $0.group == group && $0.version == version }.map { type in
                                          .object(["resource": .string(type.plural),
                                                   "responseKind": .object(["group": .string(group), "version": .string(version), "kind": .string(type.kind)]),
                                                   "scope": .string(type.namespaced ? "Namespaced" : "Cluster"),
                                                   "singularResource": .string(type.kind.lowercased()),
                                                   "shortNames": .array(type.shortNames.map { .string($0) }),
                                                   "verbs": .array(Self.verbs.map { .string($0) })])
                                      })])
                         })])
            }
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
            let list: JSONObject = ["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": .object([:]),
                                    "items": .array(items)]
            return KubeResponse(status: 200, headers: headers, body: .bytes(Array(JSONValue.object(list).jsonText.utf8)))
        }
        if segments == ["api"] {
            return json(["kind": "APIVersions", "versions": .array(versions("").map { .string($0) })])
        }
        if segments == ["apis"] {
            let groups = Array(Set(types.map(\.group).filter { !$0.isEmpty })).sorted()
            return json(["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map { group in
                let list = versions(group).map { JSONValue.object(["groupVersion": .string("\(group)/\($0)"), "version": .string($0)]) }
                return .object(["name": .string(group), "versions": .array(list), "preferredVersion": list.last ?? .null])
            })])
        }
        let (group, version): (String, String)
        if segments.count == 2, segments[0] == "api" {
            (group, version) = ("", segments[1])
        } else if segments.count == 3, segments[0] == "apis" {
            (group, version) = (segments[1], segments[2])
        } else {
            return nil
        }
        let served = types.filter { $0.group == group && $0.version == version }
        guard !served.isEmpty else { return nil }
        return json(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
                     "resources": .array(served.map { .object(resource($0)) })])
    }

    static let verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    // MARK: Paging

    /// The continue token for a list at `version` that stopped after `key` (kube-apiserver's format).
    static func continueToken(version: Int, after key: String) -> String {
        let json: JSONObject = ["v": "meta.k8s.io/v1", "rv": .integer(Int64(version)), "start": .string(key + "\u{0}")]
        return Data(JSONValue.object(json).jsonText.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The resourceVersion and start key of a continue token.
    static func decodeContinue(_ token: String) throws(Failure) -> (version: Int, start: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), case .object(let object)? = try? YAMLReader.documents(in: [UInt8](data)).first?.root?.json,
              case .integer(let version)? = object["rv"], let start = object["start"]?.stringValue else {
            throw Failure.status(400, reason: "BadRequest", message: "invalid continue token: continue key is not valid", details: nil)
        }
        return (Int(version), String(start.dropLast(start.hasSuffix("\u{0}") ? 1 : 0)))
    }

    static let expiredContinueMessage = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
}

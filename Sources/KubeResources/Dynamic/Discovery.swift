import KubeConfig
import KubeErrors
import KubeTransport

/// A resource type the server serves, as discovery describes it.
public struct APIResourceInfo: Sendable, Hashable, CustomStringConvertible {
    /// The API group (`""` for core).
    public var group: String
    /// The version.
    public var version: String
    /// The kind.
    public var kind: String
    /// The REST resource name (`deployments`).
    public var plural: String
    /// The singular name (`deployment`), when the server gives one.
    public var singular: String?
    /// Whether objects live in namespaces.
    public var isNamespaced: Bool
    /// The verbs the server allows (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`...).
    public var verbs: [String]
    /// Short names (`deploy`).
    public var shortNames: [String]

    /// Creates a description.
    public init(group: String, version: String, kind: String, plural: String, singular: String? = nil,
                isNamespaced: Bool, verbs: [String] = [], shortNames: [String] = []) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.isNamespaced = isNamespaced
        self.verbs = verbs
        self.shortNames = shortNames
    }

    /// `apps/v1`, or `v1` for core.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The collection path in `namespace` (ignored for cluster-scoped resources).
    public func collectionPath(namespace: String?) -> String {
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if isNamespaced, let namespace { return "\(root)/namespaces/\(namespace)/\(plural)" }
        return "\(root)/\(plural)"
    }

    /// `deployments.apps/v1 (Deployment, namespaced)`.
    public var description: String {
        "\(group.isEmpty ? plural : "\(plural).\(group)")/\(version) (\(kind), \(isNamespaced ? "namespaced" : "cluster-scoped"))"
    }
}

/// The per-client discovery cache: filled by one aggregated-discovery exchange where the server offers it
/// (`apidiscovery.k8s.io/v2`, Kubernetes 1.26+), else group version by group version from the legacy
/// endpoints as mappings are needed.
final class DiscoveryCache: Sendable {
    struct State {
        /// Resources per group version (`apps/v1`), for the group versions fetched so far.
        var resources: [String: [APIResourceInfo]] = [:]
        /// Whether `/api` and `/apis` were read.
        var loaded = false
        /// Whether the server answered aggregated discovery (then `resources` is complete).
        var aggregated = false
        /// Group versions the legacy endpoints said do not exist.
        var missing: Set<String> = []
    }

    let state = Locked(State())

    func invalidate() { state.withLock { $0 = State() } }
}

extension KubeClient {
    static let aggregatedDiscoveryAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

    /// Finds the resource that serves `kind` in `apiVersion` (`apps/v1`, `v1`), using the cached discovery
    /// and refreshing it once on a miss (a CRD installed since the cache was filled).
    /// - Throws: ``KubeError/Code/resourceNotMapped`` when the server does not serve it.
    public func resourceInfo(apiVersion: String, kind: String) async throws -> APIResourceInfo {
        try authorize("discover", needs: .read, on: "resources")
        let wasLoaded = discovery.state.withLock { $0.loaded }
        if let found = try await lookup(apiVersion: apiVersion, kind: kind) { return found }
        if wasLoaded {
            discovery.invalidate()
            if let found = try await lookup(apiVersion: apiVersion, kind: kind) { return found }
        }
        throw KubeError(
            code: .resourceNotMapped,
            message: "no matches for kind \"\(kind)\" in version \"\(apiVersion)\"",
            hint: "ensure CRDs are installed first")
    }

    /// Every resource the server serves (top-level resources only, not subresources).
    public func serverResources() async throws -> [APIResourceInfo] {
        try authorize("discover", needs: .read, on: "resources")
        try await loadDiscovery()
        let (aggregated, known) = discovery.state.withLock { ($0.aggregated, $0.resources) }
        if aggregated { return known.keys.sorted().flatMap { known[$0]! } }
        // Legacy servers: fetch each advertised group version.
        for groupVersion in try await legacyGroupVersions() where known[groupVersion] == nil {
            _ = try await legacyResources(groupVersion)
        }
        let all = discovery.state.withLock { $0.resources }
        return all.keys.sorted().flatMap { all[$0]! }
    }

    /// Finds the resource a kubectl-style argument names: its plural (`pods`), singular (`pod`), a short name
    /// (`po`) or its kind (`Pod`), in any case, optionally qualified by its group (`deployments.apps`,
    /// `deploy.apps`) or version and group (`deployments.v1.apps`). Where several groups serve the name, the
    /// core group wins, then the server's order (kubectl's preference), and within a group its preferred version.
    /// - Throws: ``KubeError/Code/resourceNotMapped`` with kubectl's message when nothing matches.
    public func resolveResource(_ argument: String) async throws -> APIResourceInfo {
        let wanted = argument.lowercased()
        func matches(_ info: APIResourceInfo, _ name: String) -> Bool {
            info.plural == name || info.singular == name || info.kind.lowercased() == name || info.shortNames.contains(name)
        }
        func search(_ resources: [APIResourceInfo]) -> APIResourceInfo? {
            let parts = wanted.split(separator: ".", maxSplits: 1).map(String.init)
            var candidates = resources.filter { matches($0, wanted) }
            if candidates.isEmpty, parts.count == 2 {
                let (name, qualifier) = (parts[0], parts[1])
                candidates = resources.filter { info in
                    matches(info, name) && (info.group == qualifier || "\(info.version).\(info.group)" == qualifier)
                }
            }
            return candidates.enumerated().min { lhs, rhs in
                (lhs.element.group.isEmpty ? 0 : 1, lhs.offset) < (rhs.element.group.isEmpty ? 0 : 1, rhs.offset)
            }?.element
        }
        if let found = search(try await serverResources()) { return found }
        discovery.invalidate()
        if let found = search(try await serverResources()) { return found }
        throw KubeError(code: .resourceNotMapped, message: "the server doesn't have a resource type \"\(argument)\"",
                        hint: "List what the server serves with `kubectl api-resources`; a custom resource needs its CRD installed.")
    }

    /// Forgets the discovery cache (after installing CRDs, for example); the next lookup reads it again.
    public func invalidateDiscovery() { discovery.invalidate() }

    private func lookup(apiVersion: String, kind: String) async throws -> APIResourceInfo? {
        try await loadDiscovery()
        let groupVersion = apiVersion
        let (aggregated, known, missing) = discovery.state.withLock { ($0.aggregated, $0.resources[groupVersion], $0.missing.contains(groupVersion)) }
        var candidates = known
        if candidates == nil, !aggregated, !missing {
            candidates = try await legacyResources(groupVersion)
        }
        guard let candidates else { return nil }
        return candidates.first { $0.kind == kind } ?? candidates.first { $0.kind.lowercased() == kind.lowercased() }
    }

    private func loadDiscovery() async throws {
        if discovery.state.withLock({ $0.loaded }) { return }
        var resources: [String: [APIResourceInfo]] = [:]
        var aggregated = true
        for root in ["/api", "/apis"] {
            let request = KubeRequest(.get, path: root, headers: ["Accept": Self.aggregatedDiscoveryAccept])
            let (response, body) = try await data(request)
            let probe = try KubeCoding.decode(KindProbe.self, from: body, request: request)
            guard probe.kind == "APIGroupDiscoveryList" || (response.headers["Content-Type"] ?? "").contains("as=APIGroupDiscoveryList") else {
                aggregated = false
                break
            }
            let list = try KubeCoding.decode(AggregatedDiscovery.List.self, from: body, request: request)
            for group in list.items ?? [] {
                let groupName = group.metadata?.name ?? ""
                for version in group.versions ?? [] {
                    guard let versionName = version.version else { continue }
                    let infos = (version.resources ?? []).compactMap { resource -> APIResourceInfo? in
                        guard let plural = resource.resource, let kind = resource.responseKind?.kind else { return nil }
                        return APIResourceInfo(group: groupName, version: versionName, kind: kind, plural: plural,
                                               singular: resource.singularResource, isNamespaced: resource.scope == "Namespaced",
                                               verbs: resource.verbs ?? [], shortNames: resource.shortNames ?? [])
                    }
                    resources[groupName.isEmpty ? versionName : "\(groupName)/\(versionName)"] = infos
                }
            }
        }
        let found = resources
        let isAggregated = aggregated
        discovery.state.withLock {
            $0.loaded = true
            $0.aggregated = isAggregated
            if isAggregated { $0.resources = found }
        }
    }

    private func legacyGroupVersions() async throws -> [String] {
        let core = try await decoded(LegacyDiscovery.Versions.self, KubeRequest(.get, path: "/api")).versions ?? []
        let groups = try await decoded(LegacyDiscovery.GroupList.self, KubeRequest(.get, path: "/apis")).groups ?? []
        return core + groups.flatMap { ($0.versions ?? []).compactMap(\.groupVersion) }
    }

    private func legacyResources(_ groupVersion: String) async throws -> [APIResourceInfo]? {
        let parts = groupVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", groupVersion)
        let path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        let list: LegacyDiscovery.ResourceList
        do {
            list = try await decoded(LegacyDiscovery.ResourceList.self, KubeRequest(.get, path: path))
        } catch let error as KubeError where error.isNotFound {
            discovery.state.withLock { _ = $0.missing.insert(groupVersion) }
            return nil
        }
        let infos = (list.resources ?? []).compactMap { resource -> APIResourceInfo? in
            guard let name = resource.name, !name.contains("/"), let kind = resource.kind else { return nil }
            return APIResourceInfo(group: group, version: version, kind: kind, plural: name, singular: resource.singularName,
                                   isNamespaced: resource.namespaced ?? false, verbs: resource.verbs ?? [], shortNames: resource.shortNames ?? [])
        }
        discovery.state.withLock { $0.resources[groupVersion] = infos }
        return infos
    }
}

/// `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`, the parts KubeKit reads.
enum AggregatedDiscovery {
    struct List: Decodable { var items: [Group]? }
    struct Group: Decodable {
        struct Metadata: Decodable { var name: String? }
        var metadata: Metadata?
        var versions: [Version]?
    }
    struct Version: Decodable {
        var version: String?
        var resources: [Resource]?
    }
    struct Resource: Decodable {
        struct Kind: Decodable { var kind: String? }
        var resource: String?
        var responseKind: Kind?
        var scope: String?
        var singularResource: String?
        var verbs: [String]?
        var shortNames: [String]?
    }
}

/// The legacy discovery documents, the parts KubeKit reads.
enum LegacyDiscovery {
    struct Versions: Decodable { var versions: [String]? }
    struct GroupList: Decodable {
        struct Group: Decodable {
            struct Version: Decodable { var groupVersion: String? }
            var versions: [Version]?
        }
        var groups: [Group]?
    }
    struct ResourceList: Decodable {
        struct Resource: Decodable {
            var name: String?
            var singularName: String?
            var namespaced: Bool?
            var kind: String?
            var verbs: [String]?
            var shortNames: [String]?
        }
        var resources: [Resource]?
    }
}

import KubeErrors
import KubeResources

/// What an informer saw change.
public enum InformerEvent<Resource: Sendable>: Sendable {
    /// A new object (or one seen for the first time after a re-list).
    case added(Resource)
    /// An object changed; `old` is the version the store held. A periodic resync delivers `old == new`.
    case updated(old: Resource, new: Resource)
    /// An object is gone; the last version the store held.
    case deleted(Resource)
}

/// The objects an ``Informer`` holds, keyed by `namespace/name` (`name` for cluster-scoped objects), with
/// optional indexes. Thread-safe; reads are snapshots.
///
/// ```swift
/// let informer = Informer(client.pods(in: "shop"), indexers: ["node": { [$0.spec?.nodeName ?? ""] }])
/// let onNode = informer.store.byIndex("node", "worker-1")
/// ```
public final class InformerStore<Resource: KubeObject>: Sendable {
    /// Computes the index values of an object (an object may have several, or none).
    public typealias IndexFunction = @Sendable (Resource) -> [String]

    private struct State {
        var objects: [String: Resource] = [:]
        /// index name → value → keys
        var indexes: [String: [String: Set<String>]] = [:]
    }

    private let state = Locked(State())
    private let indexers: [String: IndexFunction]

    init(indexers: [String: IndexFunction]) {
        self.indexers = indexers
    }

    /// `namespace/name`, or `name` without a namespace (client-go's MetaNamespaceKeyFunc).
    public static func key(namespace: String?, name: String) -> String {
        guard let namespace, !namespace.isEmpty else { return name }
        return namespace + "/" + name
    }

    /// The key of `object`.
    public static func key(of object: Resource) -> String {
        key(namespace: object.metadata?.namespace, name: object.metadata?.name ?? "")
    }

    /// The object `name` (in `namespace` for namespaced kinds).
    public func get(_ name: String, namespace: String? = nil) -> Resource? {
        state.withLock { $0.objects[Self.key(namespace: namespace, name: name)] }
    }

    /// Every object, in no particular order.
    public var items: [Resource] { state.withLock { Array($0.objects.values) } }

    /// How many objects the store holds.
    public var count: Int { state.withLock { $0.objects.count } }

    /// The keys of every object.
    public var keys: [String] { state.withLock { Array($0.objects.keys) } }

    /// The objects whose index `index` has `value`; empty for an unknown index.
    public func byIndex(_ index: String, _ value: String) -> [Resource] {
        state.withLock { state in
            (state.indexes[index]?[value] ?? []).compactMap { state.objects[$0] }
        }
    }

    /// Adds or replaces `object`; returns the version it replaced.
    @discardableResult
    func upsert(_ object: Resource) -> Resource? {
        let key = Self.key(of: object)
        return state.withLock { state in
            let old = state.objects.updateValue(object, forKey: key)
            if let old { unindex(old, key: key, in: &state) }
            index(object, key: key, in: &state)
            return old
        }
    }

    /// Removes the object with `key`; returns it.
    @discardableResult
    func remove(_ key: String) -> Resource? {
        state.withLock { state in
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            unindex(old, key: key, in: &state)
            return old
        }
    }

    /// Replaces everything with `objects` (a list or re-list) and returns the difference as events:
    /// deleted for objects gone, added for new ones, updated where the resourceVersion changed.
    func replace(with objects: [Resource]) -> [InformerEvent<Resource>] {
        state.withLock { state in
            var events: [InformerEvent<Resource>] = []
            var fresh: [String: Resource] = [:]
            for object in objects { fresh[Self.key(of: object)] = object }
            for (key, old) in state.objects where fresh[key] == nil { events.append(.deleted(old)) }
            for (key, object) in fresh {
                if let old = state.objects[key] {
                    if old.metadata?.resourceVersion != object.metadata?.resourceVersion || old != object {
                        events.append(.updated(old: old, new: object))
                    }
                } else {
                    events.append(.added(object))
                }
            }
            state.objects = fresh
            state.indexes = [:]
            for (key, object) in fresh { index(object, key: key, in: &state) }
            return events
        }
    }

    private func index(_ object: Resource, key: String, in state: inout State) {
        for (name, function) in indexers {
            for value in function(object) { state.indexes[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private func unindex(_ object: Resource, key: String, in state: inout State) {
        for (name, function) in indexers {
            for value in function(object) {
                state.indexes[name]?[value]?.remove(key)
                if state.indexes[name]?[value]?.isEmpty == true { state.indexes[name]?[value] = nil }
            }
        }
    }
}

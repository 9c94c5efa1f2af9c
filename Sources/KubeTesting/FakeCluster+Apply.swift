import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// Server-side apply and field ownership, simplified (documented in Documentation/Testing.md): managed fields
/// are tracked per manager as sets of field paths in the real `FieldsV1` format; apply merges with the spec's
/// merge keys, reports conflicts exactly as kube-apiserver does, and `force` takes the fields over. Fields a
/// manager stops applying are removed when no one else owns them (map fields; list items stay).
extension FakeCluster {
    /// A field path: `f:name` for map keys, `k:{"name":"x"}` for list items by merge key.
    typealias FieldPath = [String]

    /// The leaf field paths of `value` (a whole list without merge keys is one leaf).
    static func fieldPaths(_ value: JSONValue, kind: String, path: [String] = [], prefix: FieldPath = []) -> Set<FieldPath> {
        guard case .object(let object) = value, !object.isEmpty else { return prefix.isEmpty ? [] : [prefix] }
        var paths: Set<FieldPath> = []
        for (key, child) in object {
            if prefix.isEmpty, ["apiVersion", "kind"].contains(key) { continue }
            if prefix == ["f:metadata"], ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"].contains(key) { continue }
            if prefix.isEmpty, key == "status" { continue }
            let fieldPath = path + [key]
            let element = prefix + ["f:" + key]
            if case .array(let items) = child, let mergeKey = patchStrategies[kind]?[fieldPath.joined(separator: ".")]?.mergeKey {
                for item in items {
                    guard let keyValue = item[mergeKey] else { continue }
                    let itemPath = element + ["k:" + JSONValue.object([mergeKey: keyValue]).jsonText]
                    let inner = fieldPaths(item, kind: kind, path: fieldPath, prefix: itemPath)
                    paths.formUnion(inner.isEmpty ? [itemPath] : inner)
                }
            } else {
                paths.formUnion(fieldPaths(child, kind: kind, path: fieldPath, prefix: element))
            }
        }
        return paths
    }

    /// The value at a field path.
    static func value(at path: FieldPath, in root: JSONValue) -> JSONValue? {
        var current: JSONValue? = root
        for element in path {
            if element.hasPrefix("f:") {
                current = current?[String(element.dropFirst(2))]
            } else if element.hasPrefix("k:"), case .array(let items)? = current,
                      case .object(let key)? = try? YAMLReader.documents(in: String(element.dropFirst(2))).first?.root?.json,
                      let (name, wanted) = key.first(where: { _ in true }) {
                current = items.first { $0[name] == wanted }
            } else {
                return nil
            }
        }
        return current
    }

    /// FieldsV1 JSON of a set of paths.
    static func fieldsV1(_ paths: Set<FieldPath>) -> JSONValue {
        var root = JSONObject()
        func insert(_ path: ArraySlice<String>, into object: inout JSONObject) {
            guard let first = path.first else { return }
            var child = object[first]?.objectValue ?? [:]
            if path.count > 1, path[path.startIndex + 1].hasPrefix("k:") || first.hasPrefix("k:") { child["."] = .object([:]) }
            insert(path.dropFirst(), into: &child)
            object[first] = .object(child)
        }
        for path in paths.sorted(by: { $0.joined(separator: "/") < $1.joined(separator: "/") }) { insert(path[...], into: &root) }
        return .object(root)
    }

    /// The paths a FieldsV1 value names.
    static func paths(ofFields fields: JSONValue?, prefix: FieldPath = []) -> Set<FieldPath> {
        guard case .object(let object)? = fields else { return [] }
        var result: Set<FieldPath> = []
        for (key, child) in object where key != "." {
            let path = prefix + [key]
            let inner = paths(ofFields: child, prefix: path)
            result.formUnion(inner.isEmpty ? [path] : inner)
        }
        return result
    }

    /// `.data.LOG_LEVEL`, `.spec.containers[name="nginx"].image`: a path as the server writes it in conflicts.
    static func display(_ path: FieldPath) -> String {
        path.map { element -> String in
            if element.hasPrefix("f:") { return "." + element.dropFirst(2) }
            if element.hasPrefix("k:"), case .object(let key)? = try? YAMLReader.documents(in: String(element.dropFirst(2))).first?.root?.json {
                return "[" + key.map { "\($0.key)=\($0.value.jsonText)" }.joined(separator: ",") + "]"
            }
            return element
        }.joined()
    }

    struct ManagedEntry {
        var manager: String
        var operation: String
        var apiVersion: String
        var time: JSONValue
        var paths: Set<FieldPath>

        init(_ value: JSONValue) {
            manager = value["manager"]?.stringValue ?? ""
            operation = value["operation"]?.stringValue ?? "Update"
            apiVersion = value["apiVersion"]?.stringValue ?? ""
            time = value["time"] ?? .null
            paths = FakeCluster.paths(ofFields: value["fieldsV1"])
        }

        init(manager: String, operation: String, apiVersion: String, time: JSONValue, paths: Set<FieldPath>) {
            self.manager = manager
            self.operation = operation
            self.apiVersion = apiVersion
            self.time = time
            self.paths = paths
        }

        var json: JSONValue {
            .object(["manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion), "time": time,
                     "fieldsType": "FieldsV1", "fieldsV1": FakeCluster.fieldsV1(paths)])
        }
    }

    static func managedEntries(_ object: JSONObject) -> [ManagedEntry] {
        (object["metadata"]?["managedFields"]?.arrayValue ?? []).map(ManagedEntry.init)
    }

    /// Records that `manager` (an Update) now owns the fields that differ between `old` and `new`.
    func recordUpdate(by manager: String, old: JSONObject?, new: inout JSONObject, type: ResourceType) {
        let kind = "\(type.apiVersion)/\(type.kind)"
        let before = old.map { Self.fieldPaths(.object($0), kind: kind) } ?? []
        let after = Self.fieldPaths(.object(new), kind: kind)
        let changed = after.filter { old == nil || !before.contains($0) || Self.value(at: $0, in: .object(old!)) != Self.value(at: $0, in: .object(new)) }
        guard !changed.isEmpty else { return }
        var entries = Self.managedEntries(old ?? new).map { entry -> ManagedEntry in
            var entry = entry
            if entry.manager != manager || entry.operation != "Update" { entry.paths.subtract(changed) }
            return entry
        }.filter { !$0.paths.isEmpty || ($0.manager == manager && $0.operation == "Update") }
        if let index = entries.firstIndex(where: { $0.manager == manager && $0.operation == "Update" }) {
            entries[index].paths.formUnion(changed)
            entries[index].time = .string(Self.timestamp(now()))
        } else {
            entries.append(ManagedEntry(manager: manager, operation: "Update", apiVersion: type.apiVersion, time: .string(Self.timestamp(now())), paths: changed))
        }
        var metadata = new["metadata"]?.objectValue ?? [:]
        metadata["managedFields"] = .array(entries.map(\.json))
        new["metadata"] = .object(metadata)
    }

    /// `PATCH` with `application/apply-patch+yaml`.
    func apply(_ request: KubeRequest, route: Route, name: String, dryRun: Bool) throws -> KubeResponse {
        let query = Query(request)
        guard let manager = query.values("fieldManager").first, !manager.isEmpty else {
            throw Failure.status(422, reason: "Invalid", message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                                 details: ["group": "meta.k8s.io", "kind": "PatchOptions", "causes": .array([.object([
                                     "reason": "FieldValueRequired", "message": "Required value: is required for apply patch", "field": "fieldManager"])])])
        }
        let force = query.values("force").contains("true")
        let applied: JSONObject
        do {
            guard case .object(let object)? = try YAMLReader.documents(in: request.body ?? []).first?.root?.json else {
                throw Failure.status(400, reason: "BadRequest", message: "error decoding YAML: the body is not an object", details: nil)
            }
            applied = object
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.status(400, reason: "BadRequest", message: "error decoding YAML: error converting YAML to JSON: \(error)", details: nil)
        }
        let namespace = route.namespace ?? ""
        if route.type.namespaced, let sent = applied["metadata"]?["namespace"]?.stringValue, sent != namespace {
            throw Failure.status(400, reason: "BadRequest", message: "the namespace of the provided object does not match the namespace sent on the request", details: nil)
        }
        let type = route.type
        let kind = "\(type.apiVersion)/\(type.kind)"
        let appliedPaths = Self.fieldPaths(.object(applied), kind: kind)
        let time = JSONValue.string(Self.timestamp(now()))
        guard let current = try? object(type, namespace: namespace, name: name) else {
            var body = applied
            var metadata = body["metadata"]?.objectValue ?? [:]
            metadata["name"] = .string(name)
            metadata["managedFields"] = .array([ManagedEntry(manager: manager, operation: "Apply", apiVersion: type.apiVersion, time: time, paths: appliedPaths).json])
            body["metadata"] = .object(metadata)
            return json(try store(body, type: type, namespace: namespace, dryRun: dryRun), status: 201)
        }
        var entries = Self.managedEntries(current)
        // Conflicts: fields another manager owns that this apply would set to a different value.
        var conflicts: [(path: FieldPath, manager: String, apiVersion: String)] = []
        for entry in entries where !(entry.manager == manager && entry.operation == "Apply") {
            for path in appliedPaths.intersection(entry.paths).sorted(by: { Self.display($0) < Self.display($1) })
                where Self.value(at: path, in: .object(current)) != Self.value(at: path, in: .object(applied)) {
                conflicts.append((path, entry.manager, entry.apiVersion))
            }
        }
        if !conflicts.isEmpty, !force {
            let byManager = Dictionary(grouping: conflicts, by: { "\($0.manager)\u{0}\($0.apiVersion)" })
            let text: String
            if conflicts.count == 1 {
                text = "conflict with \"\(conflicts[0].manager)\" using \(conflicts[0].apiVersion): \(Self.display(conflicts[0].path))"
            } else {
                text = byManager.keys.sorted().map { key in
                    let items = byManager[key]!
                    return "conflicts with \"\(items[0].manager)\" using \(items[0].apiVersion):\n" + items.map { "- " + Self.display($0.path) }.joined(separator: "\n")
                }.joined(separator: "\n")
            }
            throw Failure.status(409, reason: "Conflict", message: "Apply failed with \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"): \(text)",
                                 details: ["causes": .array(conflicts.map { conflict in
                                     .object(["reason": "FieldManagerConflict", "message": .string("conflict with \"\(conflict.manager)\" using \(conflict.apiVersion)"),
                                              "field": .string(Self.display(conflict.path))])
                                 })])
        }
        // Merge: the applied configuration over the object (merge keys for built-in kinds).
        let strippedApplied: JSONValue = {
            var copy = applied
            var metadata = copy["metadata"]?.objectValue ?? [:]
            metadata["managedFields"] = nil
            copy["metadata"] = .object(metadata)
            return .object(copy)
        }()
        var merged = (ResourceType.builtIn.contains(type) ? Self.strategicMerge(.object(current), strippedApplied, kind: kind)
                      : Self.mergePatch(.object(current), strippedApplied))?.objectValue ?? current
        // Fields this manager applied before and not now go, unless someone else owns them.
        let previous = entries.first { $0.manager == manager && $0.operation == "Apply" }?.paths ?? []
        let ownedByOthers = entries.filter { !($0.manager == manager && $0.operation == "Apply") }.reduce(into: Set<FieldPath>()) { $0.formUnion($1.paths) }
        for path in previous.subtracting(appliedPaths).subtracting(ownedByOthers) where path.allSatisfy({ $0.hasPrefix("f:") }) {
            merged = Self.removing(path[...], from: .object(merged)).objectValue ?? merged
        }
        entries = entries.map { entry in
            var entry = entry
            if force, !(entry.manager == manager && entry.operation == "Apply") { entry.paths.subtract(conflicts.map(\.path)) }
            return entry
        }.filter { !$0.paths.isEmpty && !($0.manager == manager && $0.operation == "Apply") }
        entries.append(ManagedEntry(manager: manager, operation: "Apply", apiVersion: type.apiVersion, time: time, paths: appliedPaths))
        var metadata = merged["metadata"]?.objectValue ?? [:]
        metadata["managedFields"] = .array(entries.map(\.json))
        metadata["resourceVersion"] = current["metadata"]?["resourceVersion"]
        merged["metadata"] = .object(metadata)
        if merged == current { return json(current) }   // nothing changed: no new resourceVersion, as the server does
        return json(try replace(merged, type: type, namespace: namespace, name: name, dryRun: dryRun))
    }

    private static func removing(_ path: ArraySlice<String>, from value: JSONValue) -> JSONValue {
        guard let first = path.first, first.hasPrefix("f:"), case .object(var object) = value else { return value }
        let key = String(first.dropFirst(2))
        if path.count == 1 {
            object[key] = nil
        } else if let child = object[key] {
            object[key] = removing(path.dropFirst(), from: child)
        }
        return .object(object)
    }
}

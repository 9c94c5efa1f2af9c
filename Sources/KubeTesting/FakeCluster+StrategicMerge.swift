import KubeConfig
import KubeErrors

extension FakeCluster {
    /// `apiVersion/Kind` → field path → strategy and merge key, parsed from the generated table.
    static let patchStrategies: [String: [String: (strategy: String, mergeKey: String?)]] = {
        var table: [String: [String: (strategy: String, mergeKey: String?)]] = [:]
        for line in patchStrategyTable.split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count >= 3 else { continue }
            table[parts[0], default: [:]][parts[1]] = (parts[2], parts.count > 3 ? parts[3] : nil)
        }
        return table
    }()

    /// A strategic merge patch as kube-apiserver applies it (apimachinery's strategicpatch): lists with a
    /// merge strategy merge by their merge key (primitive lists by value), others are replaced; the
    /// `$patch: delete|replace|merge`, `$retainKeys`, `$deleteFromPrimitiveList/` and `$setElementOrder/`
    /// directives are honoured (element order is left as merged).
    static func strategicMerge(_ target: JSONValue, _ patch: JSONValue, kind: String, path: [String] = []) -> JSONValue? {
        guard case .object(let changes) = patch else { return patch }
        if changes["$patch"]?.stringValue == "delete" { return nil }
        if changes["$patch"]?.stringValue == "replace" {
            var replacement = changes
            replacement["$patch"] = nil
            return .object(replacement)
        }
        var result = target.objectValue ?? [:]
        let strategies = patchStrategies[kind] ?? [:]
        for (key, value) in changes {
            if key == "$patch" || key.hasPrefix("$setElementOrder/") { continue }
            if key == "$retainKeys" {
                let keep = Set((value.arrayValue ?? []).compactMap(\.stringValue))
                for existing in result.keys where !keep.contains(existing) && changes[existing] == nil { result[existing] = nil }
                continue
            }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let remove = value.arrayValue ?? []
                if case .array(let items)? = result[field] { result[field] = .array(items.filter { !remove.contains($0) }) }
                continue
            }
            if value.isNull {
                result[key] = nil
                continue
            }
            let fieldPath = path + [key]
            let strategy = strategies[fieldPath.joined(separator: ".")]
            switch (result[key], value) {
            case (.array(let current)?, .array(let items)) where strategy?.strategy.contains("merge") == true:
                result[key] = .array(mergeLists(current, items, mergeKey: strategy?.mergeKey, kind: kind, path: fieldPath))
            case (.object?, .object):
                result[key] = strategicMerge(result[key] ?? .null, value, kind: kind, path: fieldPath)
            case (_, .array(let items)):
                // Replaced; directives inside the new items are dropped.
                result[key] = .array(items.compactMap { strategicMerge(.null, $0, kind: kind, path: fieldPath) })
            case (_, .object):
                result[key] = strategicMerge(.null, value, kind: kind, path: fieldPath)
            default:
                result[key] = value
            }
        }
        return .object(result)
    }

    private static func mergeLists(_ current: [JSONValue], _ patch: [JSONValue], mergeKey: String?, kind: String, path: [String]) -> [JSONValue] {
        guard let mergeKey else {
            // A primitive list with the merge strategy (finalizers): a union, in order.
            var merged = current
            for item in patch where !merged.contains(item) { merged.append(item) }
            return merged
        }
        var merged = current
        for item in patch {
            let key = item[mergeKey]
            let index = merged.firstIndex { key != nil && $0[mergeKey] == key }
            if item["$patch"]?.stringValue == "delete" {
                if let index { merged.remove(at: index) }
                continue
            }
            if let index {
                if let updated = strategicMerge(merged[index], item, kind: kind, path: path) { merged[index] = updated } else { merged.remove(at: index) }
            } else if let added = strategicMerge(.null, item, kind: kind, path: path) {
                merged.append(added)
            }
        }
        return merged
    }
}

import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

extension FakeCluster {
    /// The query of a list or watch: selectors and watch parameters.
    struct Query: Sendable {
        var items: [(name: String, value: String)]
        /// The label selectors, parsed once (`nil`: one does not parse, and `validate` refuses it).
        let labelSelectors: [[Requirement]]?

        init(_ request: KubeRequest) {
            items = request.query
            let selectors = request.query.filter { $0.name == "labelSelector" }.map(\.value)
            let parsed = selectors.compactMap { try? Self.labelRequirements($0) }
            labelSelectors = parsed.count == selectors.count ? parsed : nil
        }

        func values(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }

        var isWatch: Bool { values("watch").contains { $0 == "true" || $0 == "1" } }

        /// Selectors the real server would refuse, refused the same way.
        func validate(_ type: ResourceType) throws(Failure) {
            for selector in values("labelSelector") where (try? Self.labelRequirements(selector)) == nil {
                throw Failure.status(400, reason: "BadRequest", message: "unable to parse requirement: invalid label selector: \(selector)", details: [:])
            }
            for selector in values("fieldSelector") {
                for requirement in selector.split(separator: ",") {
                    let field = requirement.split(whereSeparator: { $0 == "=" || $0 == "!" }).first.map(String.init) ?? ""
                    guard Self.fields(of: type).contains(field) else {
                        throw Failure.status(400, reason: "BadRequest", message: "field label not supported: \(field)", details: [:])
                    }
                }
            }
        }

        /// The field selectors kube-apiserver supports per kind (metadata.name and metadata.namespace for all).
        static func fields(of type: ResourceType) -> Set<String> {
            var fields: Set<String> = ["metadata.name", "metadata.namespace"]
            switch (type.group, type.kind) {
            case ("", "Pod"):
                fields.formUnion(["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                                  "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"])
            case ("", "Event"):
                fields.formUnion(["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                                  "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                                  "reason", "reportingComponent", "source", "type"])
            case ("", "Secret"): fields.insert("type")
            case ("", "Node"): fields.insert("spec.unschedulable")
            case ("", "Namespace"): fields.insert("status.phase")
            case ("", "ReplicationController"), ("apps", "ReplicaSet"): fields.insert("status.replicas")
            case ("batch", "Job"): fields.insert("status.successful")
            default: break
            }
            return fields
        }

        func matches(_ object: JSONObject, type: ResourceType) -> Bool {
            let metadata = object["metadata"]?.objectValue ?? [:]
            let labels = metadata["labels"]?.objectValue ?? [:]
            guard let selectors = labelSelectors else { return false }
            for requirements in selectors {
                for requirement in requirements where !requirement(labels) { return false }
            }
            for selector in values("fieldSelector") {
                for requirement in selector.split(separator: ",") {
                    let negated = requirement.contains("!=")
                    let parts = requirement.components(separatedBy: negated ? "!=" : (requirement.contains("==") ? "==" : "="))
                    guard parts.count == 2 else { return false }
                    // The field's value by its dotted path; absent fields compare as "" (as the server's field sets do).
                    var value: JSONValue? = .object(object)
                    for key in parts[0].split(separator: ".") { value = value?[String(key)] }
                    let actual: String
                    switch value {
                    case .string(let text)?: actual = text
                    case .bool(let flag)?: actual = flag ? "true" : "false"
                    case .integer(let number)?: actual = String(number)
                    default: actual = parts[0] == "metadata.namespace" ? (metadata["namespace"]?.stringValue ?? "") : ""
                    }
                    if (actual == parts[1]) == negated { return false }
                }
            }
            return true
        }

        typealias Requirement = @Sendable (JSONObject) -> Bool

        /// `a=b,c!=d,e in (f,g),h notin (i),j,!k`.
        static func labelRequirements(_ selector: String) throws -> [Requirement] {
            var requirements: [Requirement] = []
            var parts: [String] = []
            var current = ""
            var depth = 0
            for character in selector {
                if character == "(" { depth += 1 }
                if character == ")" { depth -= 1 }
                if character == ",", depth == 0 { parts.append(current); current = "" } else { current.append(character) }
            }
            if !current.isEmpty { parts.append(current) }
            for raw in parts {
                let part = raw.trimmingCharacters(in: .whitespaces)
                guard !part.isEmpty else { throw KubeError(code: .invalidArgument, message: "empty requirement") }
                if let range = part.range(of: " notin ") ?? part.range(of: " in ") {
                    let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                    let list = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                    guard list.hasPrefix("("), list.hasSuffix(")") else { throw KubeError(code: .invalidArgument, message: "bad set") }
                    let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                    let negated = part[range].contains("notin")
                    requirements.append { labels in
                        let value = labels[key]?.stringValue
                        return negated ? value.map { !values.contains($0) } ?? true : value.map { values.contains($0) } ?? false
                    }
                } else if let range = part.range(of: "!=") {
                    let key = String(part[..<range.lowerBound]), value = String(part[range.upperBound...])
                    requirements.append { $0[key]?.stringValue != value }
                } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                    let key = String(part[..<range.lowerBound]), value = String(part[range.upperBound...])
                    requirements.append { $0[key]?.stringValue == value }
                } else if part.hasPrefix("!") {
                    let key = String(part.dropFirst())
                    requirements.append { $0[key] == nil }
                } else {
                    guard part.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else {
                        throw KubeError(code: .invalidArgument, message: "bad key")
                    }
                    requirements.append { $0[part] != nil }
                }
            }
            return requirements
        }
    }

    // MARK: Patches

    /// RFC 7386 JSON merge patch.
    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in changes {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }

    /// RFC 6902 JSON patch: add, remove, replace, move, copy and test (paths with `~0`/`~1` escapes, `-` for appending).
    static func jsonPatch(_ document: JSONValue, _ operations: [JSONValue]) throws(Failure) -> JSONValue {
        var document = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw Failure.status(422, reason: "Invalid", message: "a JSON patch operation needs op and path", details: [:])
            }
            let pointer = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
                .map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
            switch op {
            case "add", "replace":
                guard let value = operation["value"] else {
                    throw Failure.status(422, reason: "Invalid", message: "\(op) operation does not apply: missing value", details: [:])
                }
                guard let updated = set(document, Array(pointer), value, insert: op == "add") else {
                    throw Failure.status(422, reason: "Invalid", message: "\(op) operation does not apply: doc is missing path: \"\(path)\"", details: [:])
                }
                document = updated
            case "remove":
                guard let updated = set(document, Array(pointer), nil, insert: false) else {
                    throw Failure.status(422, reason: "Invalid", message: "remove operation does not apply: doc is missing path: \"\(path)\"", details: [:])
                }
                document = updated
            case "move", "copy":
                let from = (operation["from"]?.stringValue ?? "").split(separator: "/", omittingEmptySubsequences: false).dropFirst()
                    .map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
                guard let value = get(document, Array(from)),
                      let removed = op == "move" ? set(document, Array(from), nil, insert: false) : document,
                      let updated = set(removed, Array(pointer), value, insert: true) else {
                    throw Failure.status(422, reason: "Invalid", message: "\(op) operation does not apply: doc is missing from path", details: [:])
                }
                document = updated
            case "test":
                guard get(document, Array(pointer)) == operation["value"] else {
                    throw Failure.status(422, reason: "Invalid", message: "testing value \(path) failed", details: [:])
                }
            default:
                throw Failure.status(422, reason: "Invalid", message: "Unexpected kind: \(op)", details: [:])
            }
        }
        return document
    }

    private static func get(_ value: JSONValue, _ pointer: [String]) -> JSONValue? {
        guard let first = pointer.first else { return value }
        switch value {
        case .object(let object): return object[first].flatMap { get($0, Array(pointer.dropFirst())) }
        case .array(let array): return Int(first).flatMap { $0 >= 0 && $0 < array.count ? get(array[$0], Array(pointer.dropFirst())) : nil }
        default: return nil
        }
    }

    private static func set(_ value: JSONValue, _ pointer: [String], _ new: JSONValue?, insert: Bool) -> JSONValue? {
        guard let first = pointer.first else { return new ?? .null }
        let rest = Array(pointer.dropFirst())
        switch value {
        case .object(var object):
            if rest.isEmpty {
                if new == nil, object[first] == nil { return nil }
                if !insert, new != nil, object[first] == nil { return nil }
                object[first] = new
                return .object(object)
            }
            guard let child = object[first], let updated = set(child, rest, new, insert: insert) else { return nil }
            object[first] = updated
            return .object(object)
        case .array(var array):
            if rest.isEmpty {
                if first == "-", insert, let new { array.append(new); return .array(array) }
                guard let index = Int(first), index >= 0 else { return nil }
                if insert, let new {
                    guard index <= array.count else { return nil }
                    array.insert(new, at: index)
                } else {
                    guard index < array.count else { return nil }
                    if let new { array[index] = new } else { array.remove(at: index) }
                }
                return .array(array)
            }
            guard let index = Int(first), index >= 0, index < array.count, let updated = set(array[index], rest, new, insert: insert) else { return nil }
            array[index] = updated
            return .array(array)
        default:
            return nil
        }
    }
}

// kubekit-modelgen: generates KubeResources' Swift models from the Kubernetes OpenAPI (v2) spec.
//
//   swift run kubekit-modelgen PATH/TO/swagger.json Sources/KubeResources/Models
//
// Re-runnable: it rewrites the Generated-*.swift files in the output folder and nothing else. The spec is an
// input, never committed; the generated code is committed. See Documentation/Models.md.

import Foundation

/// The API groups to generate, and the Swift namespace each one's types live in.
let groups: [(prefix: String, namespace: String, file: String)] = [
    ("io.k8s.apimachinery.pkg.apis.meta.v1", "MetaV1", "Generated-MetaV1.swift"),
    ("io.k8s.api.core.v1", "CoreV1", "Generated-CoreV1.swift"),
    ("io.k8s.api.apps.v1", "AppsV1", "Generated-AppsV1.swift"),
    ("io.k8s.api.events.v1", "EventsV1", "Generated-EventsV1.swift"),
    ("io.k8s.api.autoscaling.v1", "AutoscalingV1", "Generated-AutoscalingV1.swift"),
    ("io.k8s.api.policy.v1", "PolicyV1", "Generated-PolicyV1.swift"),
    ("io.k8s.api.batch.v1", "BatchV1", "Generated-BatchV1.swift"),
    ("io.k8s.api.networking.v1", "NetworkingV1", "Generated-NetworkingV1.swift"),
    ("io.k8s.api.rbac.v1", "RBACV1", "Generated-RBACV1.swift"),
]

/// Definitions with a hand-written Swift type (wire formats the generic mapping cannot express).
let special: [String: String] = [
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "MicroTime",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "JSONValue",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "FieldsV1",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": "JSONValue",
]

let swiftKeywords: Set<String> = [
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
    "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
    "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else", "fallthrough",
    "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "Any", "catch", "false", "is",
    "nil", "super", "self", "Self", "throw", "throws", "true", "try", "Type",
]

struct Failure: Error, CustomStringConvertible {
    var description: String
}

@MainActor func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("kubekit-modelgen: \(message)\n".utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
/// `--patch-strategies SWAGGER_JSON OUTPUT_FILE`: the strategic-merge-patch table instead of the models.
let patchStrategiesMode = arguments.first == "--patch-strategies"
if patchStrategiesMode { arguments.removeFirst() }
guard arguments.count == 2 else {
    fail("usage: kubekit-modelgen SWAGGER_JSON OUTPUT_DIRECTORY | kubekit-modelgen --patch-strategies SWAGGER_JSON OUTPUT_FILE")
}
let specPath = arguments[0]
let outputDirectory = arguments[1]
guard let data = FileManager.default.contents(atPath: specPath),
      let spec = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let definitions = spec["definitions"] as? [String: [String: Any]],
      let paths = spec["paths"] as? [String: [String: Any]]
else { fail("\(specPath) is not a Kubernetes OpenAPI v2 (swagger.json) document") }
let info = spec["info"] as? [String: Any]

@MainActor func namespace(of definition: String) -> (namespace: String, name: String)? {
    if let swiftType = special[definition] { return ("", swiftType) }
    for group in groups where definition.hasPrefix(group.prefix + ".") {
        let name = String(definition.dropFirst(group.prefix.count + 1))
        if !name.contains(".") { return (group.namespace, name) }
    }
    return nil
}

@MainActor func swiftType(forReference reference: String) throws -> String {
    let definition = reference.replacingOccurrences(of: "#/definitions/", with: "")
    guard let (namespace, name) = namespace(of: definition) else {
        throw Failure(description: "reference to \(definition), which is outside the generated groups")
    }
    return namespace.isEmpty ? name : "\(namespace).\(name)"
}

@MainActor func swiftType(for schema: [String: Any]) throws -> String {
    if let reference = schema["$ref"] as? String { return try swiftType(forReference: reference) }
    let type = schema["type"] as? String
    let format = schema["format"] as? String
    switch (type, format) {
    case ("string", "int-or-string"): return "IntOrString"
    case ("string", "date-time"): return "Time"
    case ("string", _): return "String"
    case ("integer", "int32"): return "Int32"
    case ("integer", _): return "Int64"
    case ("number", _): return "Double"
    case ("boolean", _): return "Bool"
    case ("array", _):
        guard let items = schema["items"] as? [String: Any] else { throw Failure(description: "array without items") }
        return "[\(try swiftType(for: items))]"
    case ("object", _), (nil, _):
        if let additional = schema["additionalProperties"] as? [String: Any] {
            return "[String: \(try swiftType(for: additional))]"
        }
        return "JSONValue"
    default:
        throw Failure(description: "unsupported schema type \(type ?? "nil") format \(format ?? "nil")")
    }
}

@MainActor func identifier(_ name: String) -> String {
    swiftKeywords.contains(name) ? "`\(name)`" : name
}

@MainActor func docComment(_ text: String?, indent: String) -> String {
    guard let text, !text.isEmpty else { return "\(indent)/// (No description in the OpenAPI spec.)\n" }
    return text.split(separator: "\n", omittingEmptySubsequences: false)
        .map { "\(indent)/// \($0)".trimmingCharacters(in: .whitespaces).isEmpty ? "\(indent)///" : "\(indent)/// \($0)" }
        .joined(separator: "\n") + "\n"
}

/// group/version/kind → (plural, namespaced), from the list paths of the spec.
@MainActor func resourceInfo() -> [String: (plural: String, namespaced: Bool, verbs: Set<String>)] {
    var result: [String: (plural: String, namespaced: Bool, verbs: Set<String>)] = [:]
    for (path, operations) in paths {
        for (method, value) in operations {
            guard let operation = value as? [String: Any],
                  let gvk = operation["x-kubernetes-group-version-kind"] as? [String: String],
                  let action = operation["x-kubernetes-action"] as? String else { continue }
            let key = "\(gvk["group"] ?? "")/\(gvk["version"] ?? "")/\(gvk["kind"] ?? "")"
            let parts = path.split(separator: "/").map(String.init)
            // Collection paths: .../{resource} or .../namespaces/{namespace}/{resource}, no {name}, no subresource.
            guard !path.contains("{name}"), !path.contains("/watch/"), let last = parts.last, !last.hasPrefix("{") else { continue }
            let namespaced = path.contains("/namespaces/{namespace}/")
            var entry = result[key] ?? (plural: last, namespaced: false, verbs: [])
            if namespaced { entry.namespaced = true; entry.plural = last }
            entry.verbs.insert(action)
            _ = method
            result[key] = entry
        }
    }
    return result
}

let resources = resourceInfo()

/// FNV-1a, 64 bits, as `JSONCursor.nextKeyRange()` computes it.
func fnv1a(_ name: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return "0x" + String(hash, radix: 16)
}

/// The statement that decodes a field of `type` into `target`: generated structs (and arrays of them) are
/// filled in place, so large nested values are not copied on their way into the parent.
func fastDecoding(_ type: String, into target: String) -> String {
    let isGenerated = { (name: String) in name.contains(".") && !name.hasPrefix("[") }
    if isGenerated(type) { return "try cursor.fill(&\(target))" }
    if type.hasPrefix("["), type.hasSuffix("]"), !type.contains(":"), isGenerated(String(type.dropFirst().dropLast())) {
        return "try cursor.fillArray(&\(target))"
    }
    return "\(target) = try cursor.decode(\(type).self)"
}

@MainActor func generate(group: (prefix: String, namespace: String, file: String)) throws -> String {
    var output = """
        // Generated by kubekit-modelgen from the Kubernetes OpenAPI spec (\(info?["title"] as? String ?? "Kubernetes") \(info?["version"] as? String ?? "")).
        // Do not edit: change Generator/main.swift and run `swift run kubekit-modelgen SWAGGER_JSON Sources/KubeResources/Models`.

        import KubeConfig

        /// Types of the `\(group.prefix)` API group version.
        public enum \(group.namespace) {}

        """
    let names = definitions.keys.filter { $0.hasPrefix(group.prefix + ".") && !$0.dropFirst(group.prefix.count + 1).contains(".") && special[$0] == nil }.sorted()
    for definition in names {
        let schema = definitions[definition]!
        let name = String(definition.dropFirst(group.prefix.count + 1))
        let properties = (schema["properties"] as? [String: [String: Any]]) ?? [:]
        if properties.isEmpty, schema["type"] as? String != "object" {
            continue  // a scalar alias without a hand-written type; nothing references it in these groups
        }
        let required = Set((schema["required"] as? [String]) ?? [])
        output += "\nextension \(group.namespace) {\n"
        output += docComment(schema["description"] as? String, indent: "    ")
        output += "    public struct \(name): Codable, Hashable, Sendable {\n"
        let keys = properties.keys.sorted()
        var fields: [(name: String, type: String)] = []
        for key in keys {
            let property = properties[key]!
            let type = try swiftType(for: property)
            var description = property["description"] as? String ?? ""
            if required.contains(key) { description += (description.isEmpty ? "" : "\n\n") + "Required by the API." }
            output += docComment(description, indent: "        ")
            output += "        public var \(identifier(key)): \(type)?\n"
            fields.append((key, type))
        }
        output += "        /// Members of the JSON object this model does not know (fields added by a newer API server, say),\n"
        output += "        /// kept so that decoding and encoding again loses nothing.\n"
        output += "        public var unknownFields: JSONObject {\n"
        output += "            get { _unknownFields?.fields ?? JSONObject() }\n"
        output += "            set { _unknownFields = newValue.isEmpty ? nil : UnknownFieldsBox(newValue) }\n"
        output += "        }\n"
        output += "        var _unknownFields: UnknownFieldsBox?\n"
        output += "\n        /// Creates a value; every field defaults to `nil` (left out of the JSON).\n"
        if fields.isEmpty {
            output += "        public init() {}\n"
        } else {
            output += "        public init(\n"
            output += fields.map { "            \(identifier($0.name)): \($0.type)? = nil" }.joined(separator: ",\n")
            output += "\n        ) {\n"
            for field in fields { output += "            self.\(identifier(field.name)) = \(identifier(field.name))\n" }
            output += "        }\n"
        }
        output += "    }\n}\n"

        // Codable by hand: the known fields, then every other member into unknownFields.
        output += "\nextension \(group.namespace).\(name) {\n"
        output += "    static let knownFields: Set<String> = [\(fields.map { "\"\($0.name)\"" }.joined(separator: ", "))]\n\n"
        output += "    /// Decodes the known fields and keeps the other members in `unknownFields`.\n"
        output += "    public init(from decoder: any Decoder) throws {\n"
        output += "        let container = try decoder.container(keyedBy: AnyCodingKey.self)\n"
        output += "        self.init()\n"
        for field in fields {
            output += "        self.\(identifier(field.name)) = try container.decodeIfPresent(\(field.type).self, forKey: \"\(field.name)\")\n"
        }
        output += "        self.unknownFields = try UnknownFields.decode(from: container, known: Self.knownFields)\n"
        output += "    }\n\n"
        output += "    /// Encodes the fields that are set, then `unknownFields`.\n"
        output += "    public func encode(to encoder: any Encoder) throws {\n"
        output += "        var container = encoder.container(keyedBy: AnyCodingKey.self)\n"
        for field in fields {
            output += "        try container.encodeIfPresent(\(identifier(field.name)), forKey: \"\(field.name)\")\n"
        }
        output += "        try UnknownFields.encode(unknownFields, to: &container)\n"
        output += "    }\n}\n"

        // The fast decoder (see Sources/KubeResources/FastDecoding): keys matched as they come, unknown ones skipped.
        output += "\nextension \(group.namespace).\(name): JSONFastFillable {\n"
        output += "    static var empty: Self { Self() }\n\n"
        output += "    mutating func fill(from cursor: inout JSONCursor) throws {\n"
        output += "        try cursor.beginObject()\n"
        output += "        while let jsonKey = try cursor.nextKeyRange() {\n"
        // Keys are matched by their FNV-1a hash (computed by the cursor while it reads the key), confirmed
        // byte by byte: no String per key, one comparison per field.
        if fields.isEmpty {
            output += "            try cursor.keepUnknown(jsonKey, in: &self.unknownFields)\n"
        } else {
            output += "            switch cursor.keyHash {\n"
            for field in fields {
                output += "            case \(fnv1a(field.name)) where cursor.key(jsonKey, is: \"\(field.name)\"):\n"
                output += "                \(fastDecoding(field.type, into: "self.\(identifier(field.name))"))\n"
            }
            output += "            default: try cursor.keepUnknown(jsonKey, in: &self.unknownFields)\n"
            output += "            }\n"
        }
        output += "        }\n    }\n}\n"

        if let gvks = schema["x-kubernetes-group-version-kind"] as? [[String: String]], let gvk = gvks.first,
           gvk["kind"] == name, properties["metadata"] != nil,
           let resource = resources["\(gvk["group"] ?? "")/\(gvk["version"] ?? "")/\(name)"] {
            output += """

                extension \(group.namespace).\(name): KubeResource {
                    /// \((gvk["group"] ?? "").isEmpty ? "The core group (`\"\"`)" : "`\(gvk["group"]!)`").
                    public static let group = "\(gvk["group"] ?? "")"
                    /// `\(gvk["version"] ?? "")`.
                    public static let version = "\(gvk["version"] ?? "")"
                    /// `\(name)`.
                    public static let kind = "\(name)"
                    /// `\(resource.plural)`.
                    public static let plural = "\(resource.plural)"
                    /// \(resource.namespaced ? "Namespaced." : "Cluster-scoped.")
                    public static let isNamespaced = \(resource.namespaced)
                }

                """
        }
    }
    return output
}

/// Every field with `x-kubernetes-patch-strategy` reachable from the generated kinds: one line per field,
/// `apiVersion/Kind field.path strategy [mergeKey]` (paths through lists name the list; a strategy may be
/// `merge`, `retainKeys`, `merge,retainKeys` or `replace`).
@MainActor func patchStrategyLines() -> [String] {
    var lines: [String] = []
    func walk(_ schema: [String: Any], path: [String], kind: String, visiting: Set<String>) {
        var schema = schema
        var visiting = visiting
        if let reference = schema["$ref"] as? String {
            let name = reference.replacingOccurrences(of: "#/definitions/", with: "")
            guard !visiting.contains(name), let target = definitions[name] else { return }
            visiting.insert(name)
            schema = target
        }
        if let items = schema["items"] as? [String: Any] {
            walk(items, path: path, kind: kind, visiting: visiting)
            return
        }
        if let additional = schema["additionalProperties"] as? [String: Any] {
            walk(additional, path: path + ["*"], kind: kind, visiting: visiting)
            return
        }
        for (property, value) in (schema["properties"] as? [String: [String: Any]] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let fieldPath = path + [property]
            if let strategy = value["x-kubernetes-patch-strategy"] as? String {
                let key = value["x-kubernetes-patch-merge-key"] as? String
                lines.append("\(kind) \(fieldPath.joined(separator: ".")) \(strategy)" + (key.map { " \($0)" } ?? ""))
            }
            walk(value, path: fieldPath, kind: kind, visiting: visiting)
        }
    }
    for group in groups {
        for (name, schema) in definitions.sorted(by: { $0.key < $1.key }) where name.hasPrefix(group.prefix + ".") {
            guard let gvks = schema["x-kubernetes-group-version-kind"] as? [[String: String]], let gvk = gvks.first,
                  let kind = gvk["kind"], name.hasSuffix("." + kind), (schema["properties"] as? [String: Any])?["metadata"] != nil else { continue }
            let apiVersion = (gvk["group"] ?? "").isEmpty ? gvk["version"] ?? "" : "\(gvk["group"]!)/\(gvk["version"] ?? "")"
            walk(schema, path: [], kind: "\(apiVersion)/\(kind)", visiting: [name])
        }
    }
    return lines
}

if patchStrategiesMode {
    let lines = patchStrategyLines()
    let quote = String(repeating: "\"", count: 3)
    var text = "// Generated by kubekit-modelgen --patch-strategies from the Kubernetes OpenAPI spec "
        + "(\(info?["title"] as? String ?? "Kubernetes") \(info?["version"] as? String ?? "")).\n"
        + "// Do not edit: run `swift run kubekit-modelgen --patch-strategies PATH/TO/swagger.json "
        + "Sources/KubeTesting/Generated-PatchStrategies.swift`.\n\n"
        + "extension FakeCluster {\n"
        + "    /// The spec's `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` of every field of the\n"
        + "    /// generated kinds, one per line: `apiVersion/Kind field.path strategy [mergeKey]`.\n"
        + "    static let patchStrategyTable = \(quote)\n"
    for line in lines { text += "        \(line)\n" }
    text += "        \(quote)\n}\n"
    do {
        try text.write(toFile: outputDirectory, atomically: true, encoding: .utf8)
        print("wrote \(outputDirectory): \(lines.count) fields")
        exit(0)
    } catch {
        fail("\(error)")
    }
}

do {
    try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
    var total = 0
    for group in groups {
        let text = try generate(group: group)
        let path = (outputDirectory as NSString).appendingPathComponent(group.file)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        total += text.components(separatedBy: "public struct ").count - 1
        print("wrote \(path)")
    }
    print("\(total) types")
} catch {
    fail("\(error)")
}

import Foundation

// Human-readable text of a JSON value, as kubectl prints objects: `-o json` (indented, keys in the order
// the server sent them) and `-o yaml` (sigs.k8s.io/yaml: keys sorted, block style, sequences not indented
// under their key, strings quoted only where YAML would read them as something else).

extension JSONValue {
    /// JSON indented by `indent` spaces per level (kubectl's `-o json` uses 4), keys in stored order, with a
    /// final newline.
    public func prettyJSONText(indent: Int = 4) -> String {
        var output = ""
        writePretty(to: &output, level: 0, indent: indent)
        return output + "\n"
    }

    private func writePretty(to output: inout String, level: Int, indent: Int) {
        let inner = String(repeating: " ", count: (level + 1) * indent)
        let outer = String(repeating: " ", count: level * indent)
        switch self {
        case .array(let values) where !values.isEmpty:
            output += "[\n"
            for (index, value) in values.enumerated() {
                output += inner
                value.writePretty(to: &output, level: level + 1, indent: indent)
                output += index == values.count - 1 ? "\n" : ",\n"
            }
            output += outer + "]"
        case .object(let object) where !object.isEmpty:
            output += "{\n"
            for (index, member) in object.enumerated() {
                output += inner + JSONValue.string(member.key).jsonText + ": "
                member.value.writePretty(to: &output, level: level + 1, indent: indent)
                output += index == object.count - 1 ? "\n" : ",\n"
            }
            output += outer + "}"
        default:
            output += jsonText
        }
    }

    /// YAML as kubectl's `-o yaml` writes it: mapping keys sorted, two-space indentation, sequence items at
    /// their key's indentation, multi-line strings as literal blocks; ends with a newline.
    public var yamlText: String {
        var output = ""
        switch self {
        case .object(let object) where !object.isEmpty: JSONValue.writeMapping(object, to: &output, indent: "")
        case .array(let values) where !values.isEmpty: JSONValue.writeSequence(values, to: &output, indent: "")
        default: output += JSONValue.yamlScalar(self, indent: "") + "\n"
        }
        return output
    }

    private static func writeMapping(_ object: JSONObject, to output: inout String, indent: String) {
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            output += indent + yamlString(key, indent: indent) + ":"
            writeNested(value, to: &output, indent: indent, inSequence: false)
        }
    }

    private static func writeSequence(_ values: [JSONValue], to output: inout String, indent: String) {
        for value in values {
            output += indent + "-"
            writeNested(value, to: &output, indent: indent, inSequence: true)
        }
    }

    /// What follows `key:` or `-`: a scalar on the same line, or a nested block — under a key on the next lines
    /// (a mapping indented, a sequence not), in a sequence starting on the dash's line.
    private static func writeNested(_ value: JSONValue, to output: inout String, indent: String, inSequence: Bool) {
        let write: (inout String, String) -> Void
        let nestedIndent: String
        switch value {
        case .object(let members) where !members.isEmpty:
            write = { writeMapping(members, to: &$0, indent: $1) }
            nestedIndent = indent + "  "
        case .array(let items) where !items.isEmpty:
            write = { writeSequence(items, to: &$0, indent: $1) }
            nestedIndent = inSequence ? indent + "  " : indent
        default:
            output += " " + yamlScalar(value, indent: indent + "  ") + "\n"
            return
        }
        if inSequence {
            var block = ""
            write(&block, nestedIndent)
            output += " " + block.dropFirst(nestedIndent.count)
        } else {
            output += "\n"
            write(&output, nestedIndent)
        }
    }

    private static func yamlScalar(_ value: JSONValue, indent: String) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .unsignedInteger(let number): String(number)
        case .double(let number): GoFloat.format(number, style: .json)
        case .string(let text): yamlString(text, indent: indent)
        case .array: "[]"
        case .object: "{}"
        }
    }

    /// A string plain where YAML reads it back as the same string, else in double quotes (as go-yaml, so
    /// kubectl, writes them); several lines as a literal block.
    private static func yamlString(_ text: String, indent: String) -> String {
        if text.contains("\n"), !text.unicodeScalars.contains(where: { $0 != "\n" && isUnprintable($0) }),
           !text.hasPrefix(" "), !text.contains(" \n") {
            let chomp = text.hasSuffix("\n") ? (text.hasSuffix("\n\n") ? "+" : "") : "-"
            var body = text
            if body.hasSuffix("\n") { body.removeLast() }
            let lines = body.components(separatedBy: "\n").map { $0.isEmpty ? "" : indent + $0 }
            return "|" + chomp + "\n" + lines.joined(separator: "\n")
        }
        guard text.unicodeScalars.contains(where: isUnprintable) || needsQuotes(text) else { return text }
        // JSON's escapes are YAML's too; JSON leaves DEL and the C1 controls as they are, which YAML does not accept.
        var quoted = ""
        for scalar in JSONValue.string(text).jsonText.unicodeScalars {
            if isUnprintable(scalar) { quoted += String(format: "\\u%04X", scalar.value) } else { quoted.unicodeScalars.append(scalar) }
        }
        return quoted
    }

    /// Characters YAML does not allow as they are: the C0 controls, DEL and the C1 controls.
    private static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Whether a plain scalar would read back as something other than this string.
    private static func needsQuotes(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last else { return true }
        if first == " " || last == " " { return true }
        if "-?:".contains(first) {
            // `-g`, `:x`, `?x` are plain; `- x`, a lone `-`, are not.
            if text.count == 1 || text.dropFirst().first == " " { return true }
        } else if ",[]{}#&*!|>'\"%@`".contains(first) {
            return true
        }
        if text.contains(": ") || text.contains(" #") || text.hasSuffix(":") { return true }
        let lowered = text.lowercased()
        if ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan"].contains(lowered) { return true }
        let unsigned = text.hasPrefix("-") || text.hasPrefix("+") ? String(text.dropFirst()) : text
        if Double(text) != nil || ["0x", "0o", "0b"].contains(where: { unsigned.lowercased().hasPrefix($0) }) { return true }
        // Sexagesimal and date-like forms YAML 1.1 resolvers turn into numbers or times (`2026-12-01T14:48:18Z`).
        if text.allSatisfy({ $0.isNumber || $0 == ":" || $0 == "." || $0 == "-" || $0 == "_" || $0 == "+" }) { return true }
        let head = Array(text.prefix(10))
        if head.count == 10, head[4] == "-", head[7] == "-", [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy({ head[$0].isASCII && head[$0].isNumber }) { return true }
        return false
    }
}

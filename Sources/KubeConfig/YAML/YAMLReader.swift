import CKubeYAML
import KubeErrors

/// Reads YAML (and JSON, a subset of it) into ``YAMLDocument``s, over libyaml.
///
/// - Supports every YAML feature kubeconfigs and manifests use: block and flow styles, all scalar styles,
///   multiple documents, anchors and aliases, `<<` merge keys, UTF-8 and UTF-16 (with BOM) input.
/// - Scalars resolve as go-yaml v2 (which kubectl uses) resolves them; see ``YAMLValue``.
/// - Errors are ``KubeError``s with code ``KubeError/Code/yamlSyntax`` and the file, line and column.
///   Duplicate mapping keys, non-scalar keys, unknown tags, and `.inf`/`.nan` (not representable in JSON)
///   are errors too, so nothing in the input is silently dropped.
public enum YAMLReader {
    /// The most nodes a stream may expand to through aliases (guards against "billion laughs" input).
    public static let maximumExpandedNodes = 5_000_000

    /// Parses every document in `text`.
    /// - Parameter file: The path to name in errors, or `nil` for text that did not come from a file.
    public static func documents(in text: String, file: String? = nil) throws -> [YAMLDocument] {
        try documents(in: Array(text.utf8), file: file)
    }

    /// Parses every document in `bytes`.
    /// - Parameter file: The path to name in errors, or `nil` for bytes that did not come from a file.
    public static func documents(in bytes: [UInt8], file: String? = nil) throws -> [YAMLDocument] {
        var builder = TreeBuilder(file: file)
        do {
            try bytes.withUnsafeBufferPointer { buffer throws(KubeError) in
                var parser = yaml_parser_t()
                guard yaml_parser_initialize(&parser) == 1 else {
                    throw KubeError(code: .yamlSyntax, message: "libyaml could not allocate a parser",
                                    location: .init(file: file))
                }
                defer { yaml_parser_delete(&parser) }
                yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
                var event = yaml_event_t()
                while true {
                    guard yaml_parser_parse(&parser, &event) == 1 else {
                        throw syntaxError(parser, file: file)
                    }
                    defer { yaml_event_delete(&event) }
                    if event.type == YAML_STREAM_END_EVENT { break }
                    try builder.handle(event)
                }
            }
        }
        return builder.documents
    }

    private static func syntaxError(_ parser: yaml_parser_t, file: String?) -> KubeError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        // libyaml reports the problem mark 0-based.
        let mark = parser.problem_mark
        var message = "YAML syntax error: \(problem)"
        if let context { message += " (\(context), line \(parser.context_mark.line + 1))" }
        return KubeError(
            code: .yamlSyntax, message: message,
            location: .init(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1))
    }
}

// MARK: - Building the tree from libyaml events

private struct TreeBuilder {
    let file: String?
    var documents: [YAMLDocument] = []
    private var stack: [Frame] = []
    private var anchors: [String: (value: YAMLValue, nodes: Int)] = [:]
    private var root: (value: YAMLValue, nodes: Int)?
    private var documentStartLine = 1
    private var expandedNodes = 0

    init(file: String?) { self.file = file }

    private enum Entry {
        case member(YAMLValue.Member)
        case merge([YAMLValue.Member], at: YAMLValue.Position)
    }

    private enum PendingKey {
        case key(String, YAMLValue.Position)
        case merge(YAMLValue.Position)
    }

    private enum Frame {
        case sequence(items: [YAMLValue], nodes: Int, anchor: String?, position: YAMLValue.Position)
        case mapping(entries: [Entry], pending: PendingKey?, nodes: Int, anchor: String?, position: YAMLValue.Position)
    }

    private func error(_ message: String, at position: YAMLValue.Position) -> KubeError {
        KubeError(code: .yamlSyntax, message: message,
                  location: .init(file: file, line: position.line, column: position.column))
    }

    mutating func handle(_ event: yaml_event_t) throws(KubeError) {
        let position = YAMLValue.Position(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            break
        case YAML_DOCUMENT_START_EVENT:
            root = nil
            anchors = [:]
            documentStartLine = position.line
        case YAML_DOCUMENT_END_EVENT:
            documents.append(YAMLDocument(index: documents.count, startLine: documentStartLine, root: root?.value))
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = string(scalar.value, length: scalar.length)
            let tag = scalar.tag.map { String(cString: $0) }
            let anchor = scalar.anchor.map { String(cString: $0) }
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            if case .mapping(_, nil, _, _, _) = stack.last {
                // A key: keys are strings made from the scalar's text, whatever it would resolve to.
                if isPlain, tag == nil, text == "<<" {
                    setPendingKey(.merge(position))
                } else {
                    setPendingKey(.key(text, position))
                }
                if let anchor { anchors[anchor] = (YAMLValue(.string(text), at: position), 1) }
                return
            }
            let content = try resolve(text, tag: tag, plain: isPlain, at: position)
            let value = YAMLValue(content, at: position)
            if let anchor { anchors[anchor] = (value, 1) }
            try add(value, nodes: 1)
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else {
                throw error("unknown alias *\(name)", at: position)
            }
            expandedNodes += target.nodes
            if expandedNodes > YAMLReader.maximumExpandedNodes {
                throw error("aliases expand the document to more than \(YAMLReader.maximumExpandedNodes) nodes", at: position)
            }
            if case .mapping(_, nil, _, _, _) = stack.last {
                guard let key = scalarText(target.value) else {
                    throw error("alias *\(name) used as a mapping key must name a scalar", at: position)
                }
                setPendingKey(.key(key, position))
                return
            }
            try add(target.value, nodes: target.nodes)
        case YAML_SEQUENCE_START_EVENT:
            try checkCollectionTag(event.data.sequence_start.tag, expected: "tag:yaml.org,2002:seq", at: position)
            try checkNotKey(at: position)
            stack.append(.sequence(items: [], nodes: 1, anchor: event.data.sequence_start.anchor.map { String(cString: $0) }, position: position))
        case YAML_SEQUENCE_END_EVENT:
            guard case .sequence(let items, let nodes, let anchor, let start) = stack.popLast() else { return }
            let value = YAMLValue(.array(items), at: start)
            if let anchor { anchors[anchor] = (value, nodes) }
            try add(value, nodes: nodes)
        case YAML_MAPPING_START_EVENT:
            try checkCollectionTag(event.data.mapping_start.tag, expected: "tag:yaml.org,2002:map", at: position)
            try checkNotKey(at: position)
            stack.append(.mapping(entries: [], pending: nil, nodes: 1, anchor: event.data.mapping_start.anchor.map { String(cString: $0) }, position: position))
        case YAML_MAPPING_END_EVENT:
            guard case .mapping(let entries, _, let nodes, let anchor, let start) = stack.popLast() else { return }
            let value = YAMLValue(.object(try flatten(entries)), at: start)
            if let anchor { anchors[anchor] = (value, nodes) }
            try add(value, nodes: nodes)
        default:
            break
        }
    }

    private mutating func setPendingKey(_ key: PendingKey) {
        guard case .mapping(let entries, _, let nodes, let anchor, let start) = stack.popLast() else { return }
        stack.append(.mapping(entries: entries, pending: key, nodes: nodes, anchor: anchor, position: start))
    }

    private func checkNotKey(at position: YAMLValue.Position) throws(KubeError) {
        if case .mapping(_, nil, _, _, _) = stack.last {
            throw error("mapping keys must be scalars (strings), not collections", at: position)
        }
    }

    private func checkCollectionTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, expected: String, at position: YAMLValue.Position) throws(KubeError) {
        guard let tag else { return }
        let name = String(cString: tag)
        if name != expected, name != "!" {
            throw error("unsupported YAML tag \(name)", at: position)
        }
    }

    /// Appends a finished value to its parent, or makes it the document root.
    private mutating func add(_ value: YAMLValue, nodes: Int) throws(KubeError) {
        guard let top = stack.popLast() else {
            root = (value, nodes)
            return
        }
        switch top {
        case .sequence(var items, let count, let anchor, let start):
            items.append(value)
            stack.append(.sequence(items: items, nodes: count + nodes, anchor: anchor, position: start))
        case .mapping(var entries, let pending, let count, let anchor, let start):
            switch pending {
            case .key(let key, let keyPosition):
                entries.append(.member(.init(key: key, keyPosition: keyPosition, value: value)))
            case .merge(let keyPosition):
                entries.append(.merge(try mergeSources(value, at: keyPosition), at: keyPosition))
            case nil:
                break  // handled when the key's event arrived
            }
            stack.append(.mapping(entries: entries, pending: nil, nodes: count + nodes, anchor: anchor, position: start))
        }
    }

    /// The members a `<<` merge contributes: one mapping, or a sequence of mappings (earlier ones win).
    private func mergeSources(_ value: YAMLValue, at position: YAMLValue.Position) throws(KubeError) -> [YAMLValue.Member] {
        switch value.content {
        case .object(let members):
            return members
        case .array(let values):
            var merged: [YAMLValue.Member] = []
            for item in values {
                guard case .object(let members) = item.content else {
                    throw error("a << merge takes a mapping or a sequence of mappings, found a sequence holding a \(item.typeName)", at: item.position)
                }
                for member in members where !merged.contains(where: { $0.key == member.key }) {
                    merged.append(member)
                }
            }
            return merged
        default:
            throw error("a << merge takes a mapping or a sequence of mappings, found a \(value.typeName)", at: position)
        }
    }

    /// Resolves merges (explicit keys win) and rejects duplicate explicit keys.
    private func flatten(_ entries: [Entry]) throws(KubeError) -> [YAMLValue.Member] {
        var explicit: [String: YAMLValue.Position] = [:]
        for case .member(let member) in entries {
            if let first = explicit[member.key] {
                throw error("duplicate key \"\(member.key)\" (first defined at line \(first.line))", at: member.keyPosition)
            }
            explicit[member.key] = member.keyPosition
        }
        var result: [YAMLValue.Member] = []
        var seen: Set<String> = []
        for entry in entries {
            switch entry {
            case .member(let member):
                result.append(member)
                seen.insert(member.key)
            case .merge(let members, _):
                for member in members where explicit[member.key] == nil && !seen.contains(member.key) {
                    result.append(member)
                    seen.insert(member.key)
                }
            }
        }
        return result
    }

    private func scalarText(_ value: YAMLValue) -> String? {
        switch value.content {
        case .string(let text): text
        case .integer(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        case .null: ""
        case .array, .object: nil
        }
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    // MARK: Scalar resolution (go-yaml v2 rules, as used by kubectl through sigs.k8s.io/yaml)

    private func resolve(_ text: String, tag: String?, plain: Bool, at position: YAMLValue.Position) throws(KubeError) -> YAMLValue.Content {
        switch tag {
        case nil, "!":
            guard plain, tag == nil else { return .string(text) }
            return try resolvePlain(text, at: position)
        case "tag:yaml.org,2002:str":
            return .string(text)
        case "tag:yaml.org,2002:null":
            return .null
        case "tag:yaml.org,2002:bool":
            if case .bool(let value) = try resolvePlain(text, at: position) { return .bool(value) }
            throw error("!!bool value \"\(text)\" is not a boolean", at: position)
        case "tag:yaml.org,2002:int":
            if case .integer(let value) = try resolvePlain(text, at: position) { return .integer(value) }
            throw error("!!int value \"\(text)\" is not an integer", at: position)
        case "tag:yaml.org,2002:float":
            switch try resolvePlain(text, at: position) {
            case .integer(let value): return .double(Double(value))
            case .double(let value): return .double(value)
            default: throw error("!!float value \"\(text)\" is not a number", at: position)
            }
        case "tag:yaml.org,2002:binary", "tag:yaml.org,2002:timestamp":
            return .string(text)
        case let other?:
            throw error("unsupported YAML tag \(other)", at: position)
        }
    }

    private func resolvePlain(_ text: String, at position: YAMLValue.Position) throws(KubeError) -> YAMLValue.Content {
        switch text {
        case "", "~", "null", "Null", "NULL":
            return .null
        case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
            return .bool(true)
        case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
            return .bool(false)
        case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
            throw error("the YAML value \(text) has no JSON representation", at: position)
        default:
            break
        }
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return .string(text) }
        let digits = text.replacingUnderscores()
        if let integer = Self.parseInteger(digits) { return .integer(integer) }
        if Self.isYAMLFloat(digits), let double = Double(digits) { return .double(double) }
        return .string(text)
    }

    /// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b` or a leading `0` for octal.
    static func parseInteger(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        var radix = 10
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { radix = 16; body = body.dropFirst(2) }
        else if lower.hasPrefix("0o") { radix = 8; body = body.dropFirst(2) }
        else if lower.hasPrefix("0b") { radix = 2; body = body.dropFirst(2) }
        else if body.count > 1, body.first == "0" { radix = 8; body = body.dropFirst() }
        guard !body.isEmpty, !body.contains(where: { $0 == "+" || $0 == "-" }),
              let magnitude = UInt64(body, radix: radix) else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    static func isYAMLFloat(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        func digits() -> Int {
            var count = 0
            while let byte = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                bytes = bytes.dropFirst()
                count += 1
            }
            return count
        }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                _ = digits()
            }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        contains("_") ? String(filter { $0 != "_" }) : self
    }
}

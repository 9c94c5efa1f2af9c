import CKubeYAML
import KubeErrors

/// Reads YAML (and JSON, a subset of it) into ``YAMLDocument``s, over libyaml.
///
/// Values come out as kubectl reads them (go-yaml v2 through sigs.k8s.io/yaml's `YAMLToJSON`):
/// - Scalars resolve as go-yaml v2 resolves them (`yes`/`on` are booleans, `0x1F` and `0777` are integers,
///   `1e400` stays a string because it overflows, timestamps stay strings); see ``YAMLValue``.
/// - Mapping keys are resolved the same way and then written as JSON strings the way sigs.k8s.io/yaml writes
///   them: `on` → `"true"`, `010` → `"8"`, `1e3` → `"1000"`. A `null` or `~` key is an error.
/// - `<<` merge keys follow go-yaml v2: members are applied in order, so a merged value overrides an explicit
///   key written before the `<<`, and a later `<<` overrides an earlier one; in a sequence of mappings the
///   earlier mapping wins.
/// - Tags: `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` convert as in go-yaml; `!!binary` is decoded
///   from base64; any other tag (`!foo`, `!!set`, `!!omap`, a tag on a collection) is ignored.
/// - Duplicate keys: ``Options/DuplicateKeys-swift.enum/lastWins`` keeps the last value as kubectl does and
///   records a ``YAMLWarning``; ``Options/DuplicateKeys-swift.enum/reject`` (the default) makes them errors.
///
/// Untrusted input can neither crash nor stall it: nesting deeper than ``Options/maximumDepth`` (kubectl's
/// 10,000) is an error naming the line, aliases may expand a stream to at most ``maximumExpandedNodes``
/// nodes, and building the tree costs time and memory linear in the input.
///
/// Errors are ``KubeError``s with code ``KubeError/Code/yamlSyntax`` and the file, line and column.
public enum YAMLReader {
    /// The most nodes a stream may expand to through aliases (guards against "billion laughs" input).
    public static let maximumExpandedNodes = 5_000_000

    /// How to read.
    public struct Options: Sendable, Hashable {
        /// What a mapping key that appears twice does.
        public enum DuplicateKeys: Sendable, Hashable {
            /// An error naming both lines.
            case reject
            /// The last value wins (kubectl's behaviour); the document gets a ``YAMLWarning``.
            case lastWins
        }

        /// What a repeated mapping key does.
        public var duplicateKeys: DuplicateKeys
        /// The deepest nesting of sequences and mappings accepted (kubectl: 10,000).
        public var maximumDepth: Int
        /// The line number of the first line of the input, for text cut from a larger file.
        public var firstLine: Int

        /// Creates options.
        public init(duplicateKeys: DuplicateKeys = .reject, maximumDepth: Int = 10_000, firstLine: Int = 1) {
            self.duplicateKeys = duplicateKeys
            self.maximumDepth = max(1, maximumDepth)
            self.firstLine = max(1, firstLine)
        }
    }

    /// Parses every document in `text`.
    /// - Parameter file: The path to name in errors, or `nil` for text that did not come from a file.
    public static func documents(in text: String, file: String? = nil, options: Options = Options()) throws -> [YAMLDocument] {
        try documents(in: Array(text.utf8), file: file, options: options)
    }

    /// Parses every document in `bytes`.
    /// - Parameter file: The path to name in errors, or `nil` for bytes that did not come from a file.
    public static func documents(in bytes: [UInt8], file: String? = nil, options: Options = Options()) throws -> [YAMLDocument] {
        try documents(in: bytes, range: bytes.startIndex..<bytes.endIndex, file: file, options: options)
    }

    /// Parses every document in `bytes[range]` without copying it.
    public static func documents(in bytes: [UInt8], range: Range<Int>, file: String? = nil, options: Options = Options()) throws -> [YAMLDocument] {
        var builder = TreeBuilder(file: file, options: options)
        try bytes.withUnsafeBufferPointer { whole throws(KubeError) in
            let buffer = UnsafeBufferPointer(rebasing: whole[range])
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                throw KubeError(code: .yamlSyntax, message: "libyaml could not allocate a parser", location: .init(file: file))
            }
            defer { yaml_parser_delete(&parser) }
            // libyaml reads nothing for an empty buffer but wants a valid pointer.
            let empty: [UInt8] = [0]
            try empty.withUnsafeBufferPointer { placeholder throws(KubeError) in
                yaml_parser_set_input_string(&parser, buffer.count > 0 ? buffer.baseAddress : placeholder.baseAddress, buffer.count)
                var event = yaml_event_t()
                while true {
                    guard yaml_parser_parse(&parser, &event) == 1 else {
                        throw syntaxError(parser, file: file, lineOffset: options.firstLine - 1)
                    }
                    defer { yaml_event_delete(&event) }
                    if event.type == YAML_STREAM_END_EVENT { break }
                    try builder.handle(event)
                }
            }
        }
        return builder.documents
    }

    private static func syntaxError(_ parser: yaml_parser_t, file: String?, lineOffset: Int) -> KubeError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        // libyaml reports the problem mark 0-based.
        let mark = parser.problem_mark
        var message = "YAML syntax error: \(problem)"
        if let context { message += " (\(context), line \(parser.context_mark.line + 1 + lineOffset))" }
        return KubeError(
            code: .yamlSyntax, message: message,
            location: .init(file: file, line: Int(mark.line) + 1 + lineOffset, column: Int(mark.column) + 1))
    }
}

/// Something the reader accepted but a person may not have meant, such as a key written twice.
public struct YAMLWarning: Sendable, Hashable, CustomStringConvertible {
    /// What happened, e.g. `duplicate key "app" (first defined at line 3); the last value is used`.
    public var message: String
    /// Where.
    public var location: KubeError.SourceLocation

    /// Creates a warning.
    public init(message: String, location: KubeError.SourceLocation) {
        self.message = message
        self.location = location
    }

    /// `file:line:column: message`.
    public var description: String {
        let place = location.description
        return place.isEmpty ? message : "\(place): \(message)"
    }
}

// MARK: - Building the tree from libyaml events

private struct TreeBuilder {
    let file: String?
    let options: YAMLReader.Options
    let lineOffset: Int
    var documents: [YAMLDocument] = []
    private var stack: [Frame] = []
    private var anchors: [String: (value: YAMLValue, nodes: Int)] = [:]
    private var root: (value: YAMLValue, nodes: Int)?
    private var warnings: [YAMLWarning] = []
    private var documentStartLine = 1
    private var expandedNodes = 0

    init(file: String?, options: YAMLReader.Options) {
        self.file = file
        self.options = options
        self.lineOffset = options.firstLine - 1
    }

    private enum PendingKey {
        case key(String, YAMLValue.Position)
        case merge(YAMLValue.Position)
    }

    /// An open sequence or mapping. Frames are changed in place (`stack[top]`), never copied, so appending
    /// to a collection costs the same at its 64,000th member as at its first.
    private struct Frame {
        var isMapping: Bool
        var items: [YAMLValue] = []
        var members: [YAMLValue.Member] = []
        /// Key → index in `members`, built once a mapping has more than a few members.
        var index: [String: Int] = [:]
        /// Whether each member was written explicitly (not merged in with `<<`): only those can be duplicates.
        var explicit: [Bool] = []
        var pending: PendingKey?
        var nodes = 1
        var anchor: String?
        var position: YAMLValue.Position
    }

    private func error(_ message: String, at position: YAMLValue.Position) -> KubeError {
        KubeError(code: .yamlSyntax, message: message,
                  location: .init(file: file, line: position.line, column: position.column))
    }

    /// Whether the next node is a mapping key.
    private var expectingKey: Bool {
        guard let top = stack.last else { return false }
        return top.isMapping && top.pending == nil
    }

    mutating func handle(_ event: yaml_event_t) throws(KubeError) {
        let position = YAMLValue.Position(line: Int(event.start_mark.line) + 1 + lineOffset, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            break
        case YAML_DOCUMENT_START_EVENT:
            root = nil
            anchors = [:]
            warnings = []
            documentStartLine = position.line
        case YAML_DOCUMENT_END_EVENT:
            documents.append(YAMLDocument(index: documents.count, startLine: documentStartLine, root: root?.value, warnings: warnings))
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = string(scalar.value, length: scalar.length)
            let tag = scalar.tag.map { String(cString: $0) }
            let anchor = scalar.anchor.map { String(cString: $0) }
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            if expectingKey {
                // go-yaml v2's isMerge: a plain, untagged `<<`, or one tagged !!merge.
                if (isPlain && tag == nil && text == "<<") || tag == "tag:yaml.org,2002:merge" {
                    stack[stack.count - 1].pending = .merge(position)
                    if let anchor { anchors[anchor] = (YAMLValue(.string(text), at: position), 1) }
                    return
                }
                let content = try resolve(text, tag: tag, plain: isPlain, at: position)
                if let anchor { anchors[anchor] = (YAMLValue(content, at: position), 1) }
                stack[stack.count - 1].pending = .key(try keyString(content, at: position), position)
                return
            }
            let value = YAMLValue(try resolve(text, tag: tag, plain: isPlain, at: position), at: position)
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
            if expectingKey {
                switch target.value.content {
                case .array, .object:
                    throw error("alias *\(name) used as a mapping key must name a scalar", at: position)
                default:
                    stack[stack.count - 1].pending = .key(try keyString(target.value.content, at: position), position)
                }
                return
            }
            try add(target.value, nodes: target.nodes)
        case YAML_SEQUENCE_START_EVENT:
            try open(mapping: false, anchor: event.data.sequence_start.anchor, at: position)
        case YAML_SEQUENCE_END_EVENT:
            guard let frame = stack.popLast() else { return }
            let value = YAMLValue(.array(frame.items), at: frame.position)
            if let anchor = frame.anchor { anchors[anchor] = (value, frame.nodes) }
            try add(value, nodes: frame.nodes)
        case YAML_MAPPING_START_EVENT:
            try open(mapping: true, anchor: event.data.mapping_start.anchor, at: position)
        case YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            let value = YAMLValue(.object(frame.members), at: frame.position)
            if let anchor = frame.anchor { anchors[anchor] = (value, frame.nodes) }
            try add(value, nodes: frame.nodes)
        default:
            break
        }
    }

    /// Starts a collection. Tags on collections (`!!set`, `!!omap`, `!foo`) are ignored, as go-yaml v2 does.
    private mutating func open(mapping: Bool, anchor: UnsafeMutablePointer<yaml_char_t>?, at position: YAMLValue.Position) throws(KubeError) {
        if expectingKey {
            throw error("mapping keys must be scalars (strings), not collections", at: position)
        }
        guard stack.count < options.maximumDepth else {
            throw error("exceeded max depth of \(options.maximumDepth) nested sequences and mappings", at: position)
        }
        stack.append(Frame(isMapping: mapping, anchor: anchor.map { String(cString: $0) }, position: position))
    }

    /// Appends a finished value to its parent, or makes it the document root.
    private mutating func add(_ value: YAMLValue, nodes: Int) throws(KubeError) {
        guard !stack.isEmpty else {
            root = (value, nodes)
            return
        }
        let top = stack.count - 1
        stack[top].nodes += nodes
        guard stack[top].isMapping else {
            stack[top].items.append(value)
            return
        }
        let pending = stack[top].pending
        stack[top].pending = nil
        switch pending {
        case .key(let key, let keyPosition):
            try set(YAMLValue.Member(key: key, keyPosition: keyPosition, value: value), explicit: true)
        case .merge(let keyPosition):
            try merge(value, at: keyPosition)
        case nil:
            break
        }
    }

    /// Sets a member of the open mapping; a key already present keeps its place and takes the new value.
    private mutating func set(_ member: YAMLValue.Member, explicit: Bool) throws(KubeError) {
        let top = stack.count - 1
        if let existing = indexOf(member.key) {
            if explicit, stack[top].explicit[existing] {
                let first = stack[top].members[existing].keyPosition
                switch options.duplicateKeys {
                case .reject:
                    throw error("duplicate key \"\(member.key)\" (first defined at line \(first.line))", at: member.keyPosition)
                case .lastWins:
                    warnings.append(YAMLWarning(
                        message: "duplicate key \"\(member.key)\" (first defined at line \(first.line)); the last value is used, as kubectl does",
                        location: .init(file: file, line: member.keyPosition.line, column: member.keyPosition.column)))
                }
            }
            stack[top].members[existing].value = member.value
            stack[top].explicit[existing] = stack[top].explicit[existing] || explicit
            return
        }
        stack[top].members.append(member)
        stack[top].explicit.append(explicit)
        let count = stack[top].members.count
        if count == Self.indexThreshold + 1 {
            for (offset, each) in stack[top].members.enumerated() { stack[top].index[each.key] = offset }
        } else if count > Self.indexThreshold + 1 {
            stack[top].index[member.key] = count - 1
        }
    }

    /// Small mappings are searched; larger ones use the index.
    private static let indexThreshold = 12

    private func indexOf(_ key: String) -> Int? {
        let frame = stack[stack.count - 1]
        if frame.members.count > Self.indexThreshold { return frame.index[key] }
        return frame.members.firstIndex { $0.key == key }
    }

    /// go-yaml v2's merge: a mapping's members are set in order (overriding what is there); a sequence of
    /// mappings is applied from the last to the first, so earlier mappings win.
    private mutating func merge(_ value: YAMLValue, at position: YAMLValue.Position) throws(KubeError) {
        switch value.content {
        case .object(let members):
            for member in members { try set(member, explicit: false) }
        case .array(let values):
            for item in values {
                guard case .object = item.content else {
                    throw error("a << merge takes a mapping or a sequence of mappings, found a sequence holding a \(item.typeName)", at: item.position)
                }
            }
            for item in values.reversed() {
                if case .object(let members) = item.content {
                    for member in members { try set(member, explicit: false) }
                }
            }
        default:
            throw error("a << merge takes a mapping or a sequence of mappings, found a \(value.typeName)", at: position)
        }
    }

    /// A resolved key as sigs.k8s.io/yaml writes it into JSON.
    private func keyString(_ content: YAMLValue.Content, at position: YAMLValue.Position) throws(KubeError) -> String {
        switch content {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .unsignedInteger(let number): return String(number)
        case .double(let number): return GoFloat.format(number, style: .shortestG32)
        case .null: throw error("a null mapping key (null, ~ or empty) has no JSON representation", at: position)
        case .array, .object: throw error("mapping keys must be scalars (strings), not collections", at: position)
        }
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    // MARK: Scalar resolution (go-yaml v2 rules, as used by kubectl through sigs.k8s.io/yaml)

    private func resolve(_ text: String, tag: String?, plain: Bool, at position: YAMLValue.Position) throws(KubeError) -> YAMLValue.Content {
        switch tag {
        case nil:
            return plain ? try resolvePlain(text, at: position) : .string(text)
        case "tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp":
            return .string(text)
        case "tag:yaml.org,2002:null":
            return .null
        case "tag:yaml.org,2002:bool":
            if case .bool(let value) = try resolvePlain(text, at: position) { return .bool(value) }
            throw error("cannot decode !!str `\(text)` as a !!bool", at: position)
        case "tag:yaml.org,2002:int":
            switch try resolvePlain(text, at: position) {
            case .integer(let value): return .integer(value)
            case .unsignedInteger(let value): return .unsignedInteger(value)
            default: throw error("cannot decode `\(text)` as a !!int", at: position)
            }
        case "tag:yaml.org,2002:float":
            switch try resolvePlain(text, at: position) {
            case .integer(let value): return .double(Double(value))
            case .unsignedInteger(let value): return .double(Double(value))
            case .double(let value): return .double(value)
            default: throw error("cannot decode `\(text)` as a !!float", at: position)
            }
        case "tag:yaml.org,2002:binary":
            // go-yaml v2 decodes !!binary with Go's standard base64 (line breaks ignored) into a string.
            guard let bytes = Base64.decode(text) else {
                throw error("!!binary value contains invalid base64 data", at: position)
            }
            return .string(String(decoding: bytes, as: UTF8.self))
        default:
            // `!`, `!foo`, `!!set` and other tags go-yaml cannot resolve: the text stays a string.
            return .string(text)
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
        // go-yaml v2: strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64), then the float pattern with
        // ParseFloat, whose range error (1e400) leaves the text a string.
        if let integer = Self.parseInteger(digits) { return .integer(integer) }
        if let unsigned = Self.parseUnsigned(digits) { return .unsignedInteger(unsigned) }
        if Self.isYAMLFloat(digits), let double = Double(digits), double.isFinite { return .double(double) }
        return .string(text)
    }

    /// Splits Go's base prefixes (`0x`, `0o`, `0b`, a leading `0` for octal) off `body`.
    private static func radix(of body: inout Substring) -> Int {
        let lower = body.prefix(2).lowercased()
        if lower == "0x" { body = body.dropFirst(2); return 16 }
        if lower == "0o" { body = body.dropFirst(2); return 8 }
        if lower == "0b" { body = body.dropFirst(2); return 2 }
        if body.count > 1, body.first == "0" { body = body.dropFirst(); return 8 }
        return 10
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
        let base = radix(of: &body)
        guard !body.isEmpty, !body.contains(where: { $0 == "+" || $0 == "-" }),
              let magnitude = UInt64(body, radix: base) else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Go's `strconv.ParseUint(s, 0, 64)`: no sign, the same prefixes.
    static func parseUnsigned(_ text: String) -> UInt64? {
        var body = Substring(text)
        guard let first = body.first, first != "-", first != "+" else { return nil }
        let base = radix(of: &body)
        guard !body.isEmpty, !body.contains(where: { $0 == "+" || $0 == "-" }) else { return nil }
        return UInt64(body, radix: base)
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

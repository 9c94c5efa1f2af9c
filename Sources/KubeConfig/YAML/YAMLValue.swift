/// A value read from a YAML (or JSON) document, with the position it came from.
///
/// Scalars are already resolved the way kubectl resolves them (YAML 1.1 as implemented by go-yaml v2:
/// `yes`/`on` are booleans, `0x1F` and `0777` are integers, timestamps stay strings); mapping keys are
/// strings. ``json`` drops the positions.
public struct YAMLValue: Sendable, Hashable {
    /// The value itself.
    public enum Content: Sendable, Hashable {
        /// `null`, `~` or an empty value.
        case null
        /// A boolean.
        case bool(Bool)
        /// An integer.
        case integer(Int64)
        /// A positive integer above `Int64.max` (go-yaml v2 reads `0x8000000000000000` as a `uint64`).
        case unsignedInteger(UInt64)
        /// A floating-point number.
        case double(Double)
        /// A string.
        case string(String)
        /// A sequence.
        case array([YAMLValue])
        /// A mapping, in document order, keys unique.
        case object([Member])
    }

    /// One key-value pair of a mapping.
    public struct Member: Sendable, Hashable {
        /// The key.
        public var key: String
        /// Where the key stands.
        public var keyPosition: Position
        /// The value.
        public var value: YAMLValue
    }

    /// A 1-based line and column.
    public struct Position: Sendable, Hashable, CustomStringConvertible {
        /// The 1-based line.
        public var line: Int
        /// The 1-based column.
        public var column: Int
        /// Creates a position.
        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
        /// `line:column`.
        public var description: String { "\(line):\(column)" }
    }

    /// The value.
    public var content: Content
    /// Where the value starts.
    public var position: Position

    /// Creates a value.
    public init(_ content: Content, at position: Position) {
        self.content = content
        self.position = position
    }

    /// The value without positions.
    ///
    /// Built with an explicit stack rather than recursion, so a document nested as deep as the reader
    /// allows (10,000 levels) converts on any thread.
    public var json: JSONValue {
        switch content {
        case .array, .object: break
        default: return Self.scalarJSON(content)
        }
        // Each frame is an open collection: its source value, the next child to visit, what is built so far.
        struct Frame {
            let value: YAMLValue
            var next = 0
            var items: [JSONValue] = []
            var object = JSONObject()

            /// Takes the converted child at `next`.
            mutating func append(_ converted: JSONValue) {
                if case .object(let members) = value.content {
                    object[members[next].key] = converted
                } else {
                    items.append(converted)
                }
                next += 1
            }
        }
        var stack = [Frame(value: self)]
        while true {
            let top = stack.count - 1
            let child: YAMLValue?
            switch stack[top].value.content {
            case .array(let values):
                child = stack[top].next < values.count ? values[stack[top].next] : nil
            case .object(let members):
                child = stack[top].next < members.count ? members[stack[top].next].value : nil
            default:
                child = nil
            }
            if let child {
                switch child.content {
                case .array, .object:
                    stack.append(Frame(value: child))
                    continue
                default:
                    stack[top].append(Self.scalarJSON(child.content))
                }
                continue
            }
            let finished = stack.removeLast()
            let built: JSONValue = if case .array = finished.value.content { .array(finished.items) } else { .object(finished.object) }
            if stack.isEmpty { return built }
            stack[stack.count - 1].append(built)
        }
    }

    private static func scalarJSON(_ content: Content) -> JSONValue {
        switch content {
        case .null: .null
        case .bool(let value): .bool(value)
        case .integer(let value): .integer(value)
        case .unsignedInteger(let value): .unsignedInteger(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .array, .object: .null
        }
    }

    /// The member named `key`, for mappings.
    public func member(_ key: String) -> Member? {
        if case .object(let members) = content { return members.first { $0.key == key } }
        return nil
    }

    /// The name of the value's type, for error messages.
    public var typeName: String { json.typeName }
}

/// One document of a YAML stream.
public struct YAMLDocument: Sendable, Hashable {
    /// The 0-based index of the document in the stream.
    public var index: Int
    /// The line where the document starts (its `---` or first content).
    public var startLine: Int
    /// The root value; `nil` for an empty document.
    public var root: YAMLValue?
    /// What the reader accepted but flagged (duplicate keys under ``YAMLReader/Options/DuplicateKeys-swift.enum/lastWins``).
    public var warnings: [YAMLWarning]

    /// Creates a document.
    public init(index: Int, startLine: Int, root: YAMLValue?, warnings: [YAMLWarning] = []) {
        self.index = index
        self.startLine = startLine
        self.root = root
        self.warnings = warnings
    }
}

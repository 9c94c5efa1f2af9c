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
    public var json: JSONValue {
        switch content {
        case .null: .null
        case .bool(let value): .bool(value)
        case .integer(let value): .integer(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.json))
        case .object(let members): .object(JSONObject(members.map { ($0.key, $0.value.json) }))
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
}

import KubeConfig

/// `metav1.FieldsV1`: the set of fields a manager owns, in the server's JSON trie format (`{"f:spec":{...}}`).
///
/// Like client-go, KubeKit keeps it as raw JSON text and parses it only on demand (``value``): every object
/// carries several of these and almost no client reads them, so decoding them into trees would cost a
/// large share of the time spent decoding a list.
public struct FieldsV1: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The JSON text as received.
    public var json: String

    /// Wraps JSON text.
    public init(json: String) { self.json = json }

    /// Wraps a JSON value.
    public init(_ value: JSONValue) { json = value.jsonText }

    /// The parsed trie (`nil` if the text is not valid JSON). Parsed as JSON, not as YAML: a JSON text that
    /// YAML reads differently (a key and its colon on different lines) must not change the value.
    public var value: JSONValue? {
        var cursor = JSONCursor(Array(json.utf8))
        guard let value = try? cursor.readJSONValue(), (try? cursor.expectEnd()) != nil else { return nil }
        return value
    }

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        json = try JSONValue(from: decoder).jsonText
    }

    /// Encodes the parsed value (the raw text when it does not parse).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value {
            try value.encode(to: encoder)
        } else {
            try container.encode(json)
        }
    }

    /// Equal when the JSON values are equal (whitespace and key order do not matter).
    public static func == (lhs: FieldsV1, rhs: FieldsV1) -> Bool {
        lhs.json == rhs.json || (lhs.value != nil && lhs.value == rhs.value)
    }

    /// Hashes the parsed value, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }

    /// The JSON text.
    public var description: String { json }
}

import KubeConfig

/// A coding key for any JSON member name.
struct AnyCodingKey: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init(stringLiteral value: String) { stringValue = value }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The unknown members of one object, behind one optional reference: most objects have none, and an
/// inline `JSONObject` in every model would cost two words per nested value (about 10 % more memory for a
/// list of pods).
final class UnknownFieldsBox: Hashable, Sendable {
    let fields: JSONObject
    init(_ fields: JSONObject) { self.fields = fields }
    static func == (lhs: UnknownFieldsBox, rhs: UnknownFieldsBox) -> Bool { lhs.fields == rhs.fields }
    func hash(into hasher: inout Hasher) { hasher.combine(fields) }
}

/// Keeps the members a model does not know, so that decoding and encoding again loses nothing: a field
/// a newer API server added survives a read-modify-replace through an older model.
enum UnknownFields {
    static func decode(from container: KeyedDecodingContainer<AnyCodingKey>, known: Set<String>) throws -> JSONObject {
        var result = JSONObject()
        for key in container.allKeys where !known.contains(key.stringValue) {
            result[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        return result
    }

    static func encode(_ fields: JSONObject, to container: inout KeyedEncodingContainer<AnyCodingKey>) throws {
        for (key, value) in fields { try container.encode(value, forKey: AnyCodingKey(key)) }
    }
}

extension JSONCursor {
    /// Reads the value of an unknown key into `fields`.
    mutating func keepUnknown(_ key: Range<Int>, in fields: inout JSONObject) throws {
        fields[String(decoding: bytes[key], as: UTF8.self)] = try readJSONValue()
    }
}

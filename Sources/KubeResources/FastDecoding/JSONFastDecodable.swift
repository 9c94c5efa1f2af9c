import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// A type the fast decoder can read straight from JSON bytes. The generated models conform (see
/// Generator/main.swift); the hand-written wire types and the standard scalars conform below.
protocol JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws
}

/// A generated model: created empty, then filled in place, field by field.
protocol JSONFastFillable: JSONFastDecodable {
    /// The value with every field `nil` (the memberwise initializer's defaults cannot satisfy `init()`).
    static var empty: Self { get }
    mutating func fill(from cursor: inout JSONCursor) throws
}

extension JSONFastFillable {
    init(from cursor: inout JSONCursor) throws {
        self = .empty
        try fill(from: &cursor)
    }
}

extension JSONCursor {
    /// Fills `slot` in place (`nil` for `null`).
    mutating func fill<T: JSONFastFillable>(_ slot: inout T?) throws {
        if try consumeNull() {
            slot = nil
            return
        }
        slot = T.empty  // fresh, also when a key repeats (the last value wins, as with JSONDecoder)
        try slot!.fill(from: &self)
    }

    /// Fills an array of models in place, element by element (`nil` for `null`).
    mutating func fillArray<T: JSONFastFillable>(_ slot: inout [T]?) throws {
        if try consumeNull() {
            slot = nil
            return
        }
        slot = []
        try beginArray()
        while try nextElement() {
            slot!.append(T.empty)
            try slot![slot!.count - 1].fill(from: &self)
        }
    }

    /// The value, or `nil` for `null`.
    mutating func decode<T: JSONFastDecodable>(_ type: T.Type) throws -> T? {
        if try consumeNull() { return nil }
        return try T(from: &self)
    }
}

extension String: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws { self = try cursor.readString() }
}

extension Bool: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws { self = try cursor.readBool() }
}

extension Int64: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws { self = try cursor.readInt64() }
}

extension Int32: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        guard let value = Int32(exactly: try cursor.readInt64()) else { throw cursor.fail("integer out of range for Int32") }
        self = value
    }
}

extension Int: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws { self = Int(try cursor.readInt64()) }
}

extension Double: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws { self = try cursor.readDouble() }
}

extension Array: JSONFastDecodable where Element: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        self.init()
        try cursor.beginArray()
        while try cursor.nextElement() { append(try Element(from: &cursor)) }
    }
}

extension Dictionary: JSONFastDecodable where Key == String, Value: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        self.init()
        try cursor.beginObject()
        while let key = try cursor.nextKey() { self[key] = try Value(from: &cursor) }
    }
}

extension JSONValue: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws { self = try cursor.readJSONValue() }
}

/// `Time` and `MicroTime`: an RFC 3339 string on the wire.
protocol RFC3339Decodable: JSONFastDecodable {
    init(secondsSinceEpoch: Int64, nanoseconds: Int32)
}

extension RFC3339Decodable {
    init(from cursor: inout JSONCursor) throws {
        let text = try cursor.readString()
        guard let parsed = RFC3339Timestamp.parse(text) else { throw cursor.fail("not an RFC 3339 time") }
        self.init(secondsSinceEpoch: parsed.0, nanoseconds: parsed.1)
    }
}

extension Time: RFC3339Decodable {}
extension MicroTime: RFC3339Decodable {}

extension Quantity: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        if try cursor.peek() == UInt8(ascii: "\"") {
            self.init(try cursor.readString())
        } else {
            let value = try cursor.readJSONValue()
            switch value {
            case .integer(let number): self.init(String(number))
            case .double(let number): self.init(String(number))
            default: throw cursor.fail("expected a quantity")
            }
        }
    }
}

extension IntOrString: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        if try cursor.peek() == UInt8(ascii: "\"") {
            self = .string(try cursor.readString())
        } else {
            self = .int(Int(try cursor.readInt64()))
        }
    }
}

extension ResourceList: JSONFastDecodable where Resource: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        var items: [Resource] = []
        var metadata = MetaV1.ListMeta()
        try cursor.beginObject()
        while let key = try cursor.nextKey() {
            switch key {
            case "items": items = try cursor.decode([Resource].self) ?? []
            case "metadata": metadata = try cursor.decode(MetaV1.ListMeta.self) ?? MetaV1.ListMeta()
            default: try cursor.skipValue()
            }
        }
        self.init(items: items, metadata: metadata)
    }
}

extension KubeCoding {
    /// Decodes with the fast decoder when `T` has one, else (or when it fails) with `JSONDecoder`, whose
    /// errors name the field.
    static func fastDecode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], request: KubeRequest?) throws -> T {
        if let fast = T.self as? any JSONFastDecodable.Type {
            var cursor = JSONCursor(bytes)
            if let value = try? fast.init(from: &cursor) as? T, (try? cursor.expectEnd()) != nil {
                return value
            }
        }
        return try slowDecode(type, from: bytes, request: request)
    }
}

extension DynamicObject: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        self.init()
        try cursor.beginObject()
        while let key = try cursor.nextKey() {
            switch key {
            case "apiVersion": apiVersion = try cursor.decode(String.self)
            case "kind": kind = try cursor.decode(String.self)
            case "metadata": metadata = try cursor.decode(MetaV1.ObjectMeta.self)
            default: fields[key] = try cursor.readJSONValue()
            }
        }
    }
}

extension FieldsV1: JSONFastDecodable {
    /// Keeps the bytes of the value without parsing them into a tree.
    init(from cursor: inout JSONCursor) throws {
        _ = try cursor.peek()
        let start = cursor.index
        try cursor.skipValue()
        self.init(json: String(decoding: cursor.bytes[start..<cursor.index], as: UTF8.self))
    }
}

extension KindProbe: JSONFastDecodable {
    /// Reads `kind` and skips everything else without building it.
    init(from cursor: inout JSONCursor) throws {
        self.init()
        try cursor.beginObject()
        while let key = try cursor.nextKeyRange() {
            if cursor.key(key, is: "kind") {
                kind = try cursor.decode(String.self)
            } else {
                try cursor.skipValue()
            }
        }
    }
}

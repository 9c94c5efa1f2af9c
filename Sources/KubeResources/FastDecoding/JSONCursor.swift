import KubeConfig
import KubeErrors

/// A forward-only reader over JSON bytes, for the generated fast decoders.
///
/// Foundation's `JSONDecoder` builds a full intermediate tree and goes through `Decoder` containers for every
/// field; decoding a 25 MB PodList that way takes over a second. The generated `init(from: inout JSONCursor)`
/// initializers read the bytes once, match keys as they come, skip unknown fields without building them,
/// and make only the Swift values the model keeps. `Codable` stays the public contract: a failure here
/// falls back to `JSONDecoder`, whose error names the field.
struct JSONCursor {
    let bytes: [UInt8]
    var index: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        index = 0
    }

    struct Failure: Error {
        var offset: Int
        var problem: String
    }

    func fail(_ problem: String) -> Failure { Failure(offset: index, problem: problem) }

    // MARK: Structure

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next significant byte, not consumed.
    mutating func peek() throws -> UInt8 {
        // Compact JSON (what the API server writes) has no whitespace between tokens.
        if index < bytes.count, bytes[index] > 0x20 { return bytes[index] }
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input") }
        return bytes[index]
    }

    /// Consumes `null` if it comes next.
    mutating func consumeNull() throws -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try expectLiteral("null")
        return true
    }

    private mutating func expectLiteral(_ literal: String) throws {
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw fail("expected \(literal)") }
            index += 1
        }
    }

    /// Consumes `{`.
    mutating func beginObject() throws {
        guard try peek() == UInt8(ascii: "{") else { throw fail("expected an object") }
        index += 1
        expectingFirst = true
    }

    private var expectingFirst = false

    /// Moves past `,` (or the object's start) to the opening quote of the next key; `false` after the
    /// closing `}`.
    private mutating func advanceToKey() throws -> Bool {
        var byte = try peek()
        let first = expectingFirst
        expectingFirst = false
        if byte == UInt8(ascii: "}") {
            index += 1
            return false
        }
        if !first {
            guard byte == UInt8(ascii: ",") else { throw fail("expected , or }") }
            index += 1
            byte = try peek()
        }
        guard byte == UInt8(ascii: "\"") else { throw fail("expected a key") }
        return true
    }

    /// The next key of the current object (its `:` consumed), or `nil` after the closing `}`.
    ///
    /// `expectingFirst` is true only between ``beginObject()`` (or ``beginArray()``) and the first
    /// `nextKey` (or `nextElement`), so nested containers cannot confuse it.
    mutating func nextKey() throws -> String? {
        guard try advanceToKey() else { return nil }
        let key = try readStringBody()
        guard try peek() == UInt8(ascii: ":") else { throw fail("expected :") }
        index += 1
        return key
    }

    /// The byte range of the next key of the current object (its `:` consumed), or `nil` after the closing
    /// `}`. Generated decoders compare these bytes with their field names, so no `String` is made for a key.
    /// A key written with escapes cannot be compared this way: it throws, and the caller's fallback to
    /// `JSONDecoder` reads it.
    mutating func nextKeyRange() throws -> Range<Int>? {
        guard try advanceToKey() else { return nil }
        index += 1
        let start = index
        var hash = JSONCursor.hashSeed
        var ascii = true
        while index < bytes.count {
            let current = bytes[index]
            if current == UInt8(ascii: "\"") { break }
            if current == UInt8(ascii: "\\") { throw fail("escaped key") }
            if current < 0x20 { throw fail("unescaped control character in a key") }
            if current >= 0x80 { ascii = false }
            hash = (hash ^ UInt64(current)) &* JSONCursor.hashPrime
            index += 1
        }
        guard index < bytes.count else { throw fail("unterminated key") }
        guard ascii || Self.isValidUTF8(bytes, start..<index) else { throw fail("invalid UTF-8 in a key") }
        keyHash = hash
        let range = start..<index
        index += 1
        guard try peek() == UInt8(ascii: ":") else { throw fail("expected :") }
        index += 1
        return range
    }

    /// The FNV-1a hash of the key ``nextKeyRange()`` returned last. Generated decoders switch on it (the
    /// generator computes the same hash of each field name), then confirm the match with ``key(_:is:)``.
    var keyHash: UInt64 = 0
    static let hashSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    static let hashPrime: UInt64 = 0x0000_0100_0000_01b3

    /// Whether the key at `range` is `name` (ASCII field names).
    func key(_ range: Range<Int>, is name: String) -> Bool {
        guard range.count == name.utf8.count else { return false }
        var position = range.lowerBound
        for byte in name.utf8 {
            if bytes[position] != byte { return false }
            position += 1
        }
        return true
    }

    /// Consumes `[`.
    mutating func beginArray() throws {
        guard try peek() == UInt8(ascii: "[") else { throw fail("expected an array") }
        index += 1
        expectingFirst = true
    }

    /// Whether another element follows (its `,` consumed); consumes `]` at the end.
    mutating func nextElement() throws -> Bool {
        let byte = try peek()
        if byte == UInt8(ascii: "]") {
            index += 1
            expectingFirst = false
            return false
        }
        if expectingFirst {
            expectingFirst = false
            return true
        }
        guard byte == UInt8(ascii: ",") else { throw fail("expected , or ]") }
        index += 1
        return true
    }

    // MARK: Scalars

    mutating func readString() throws -> String {
        guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        return try readStringBody()
    }

    /// Reads a string whose opening quote is next.
    private mutating func readStringBody() throws -> String {
        index += 1
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                // JSONDecoder refuses invalid UTF-8; so does this reader, so the two never disagree.
                guard ascii || Self.isValidUTF8(bytes, start..<index) else { throw fail("invalid UTF-8 in a string") }
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            if byte < 0x20 { throw fail("unescaped control character in a string") }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw fail("unterminated string")
    }

    private mutating func readEscapedString(from start: Int) throws -> String {
        var output = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: output, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A surrogate pair: \uD83D\uDE00.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        index += 2
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    output.append(contentsOf: String(unicode).utf8)
                default:
                    throw fail("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw fail("unescaped control character in a string") }
                output.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    /// Skips a string whose opening quote is next, checking it as ``readString()`` would.
    private mutating func skipString() throws {
        index += 1
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                guard ascii || Self.isValidUTF8(bytes, start..<index) else { throw fail("invalid UTF-8 in a string") }
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    let scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        index += 2
                        guard (0xDC00..<0xE000).contains(try readHex4()) else { throw fail("invalid surrogate pair") }
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                default:
                    throw fail("invalid escape")
                }
            default:
                if byte < 0x20 { throw fail("unescaped control character in a string") }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    /// Whether `bytes[range]` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
    static func isValidUTF8(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let lead = bytes[position]
            if lead < 0x80 {
                position += 1
                continue
            }
            let (count, minimum, initial): (Int, UInt32, UInt32) = switch lead {
            case 0xC0...0xDF: (1, 0x80, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (2, 0x800, UInt32(lead & 0x0F))
            case 0xF0...0xF7: (3, 0x10000, UInt32(lead & 0x07))
            default: (0, 0, 0)
            }
            guard count > 0, position + count < end else { return false }
            var scalar = initial
            for offset in 1...count {
                let continuation = bytes[position + offset]
                guard continuation & 0xC0 == 0x80 else { return false }
                scalar = scalar << 6 | UInt32(continuation & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return false }
            position += count + 1
        }
        return true
    }

    private mutating func readHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32 = switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    mutating func readBool() throws -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return true
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return false
        default:
            throw fail("expected a boolean")
        }
    }

    /// The span of a number token, checked against JSON's grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func numberSpan() throws -> Range<Int> {
        _ = try peek()
        let start = index
        func isDigit(_ position: Int) -> Bool {
            position < bytes.count && bytes[position] >= UInt8(ascii: "0") && bytes[position] <= UInt8(ascii: "9")
        }
        func digits() -> Int {
            var count = 0
            while isDigit(index) {
                index += 1
                count += 1
            }
            return count
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            index = start
            throw fail("expected a number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail("expected digits after the decimal point") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("expected digits in the exponent") }
        }
        return start..<index
    }

    mutating func readInt64() throws -> Int64 {
        let span = try numberSpan()
        var position = span.lowerBound
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard position < span.upperBound else { throw fail("expected an integer") }
        var value: Int64 = 0
        while position < span.upperBound {
            let byte = bytes[position]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                // 1.0 or 1e3: accepted when the value is integral, as JSONDecoder does.
                guard let double = Double(String(decoding: bytes[span], as: UTF8.self)), double == double.rounded(),
                      let integer = Int64(exactly: double) else { throw fail("expected an integer") }
                return integer
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw fail("integer out of range") }
            value = sum
            position += 1
        }
        return negative ? -value : value
    }

    mutating func readDouble() throws -> Double {
        let span = try numberSpan()
        guard let value = Double(String(decoding: bytes[span], as: UTF8.self)), value.isFinite else { throw fail("expected a finite number") }
        return value
    }

    /// Skips one value of any type without building it, checking it as strictly as ``readJSONValue()``
    /// would (so skipped fields cannot make this reader accept what JSONDecoder refuses). Iterative, with the
    /// same depth limit.
    mutating func skipValue() throws {
        var open: [UInt8] = []
        while true {
            // A value starts here.
            switch try peek() {
            case UInt8(ascii: "\""):
                try skipString()
            case UInt8(ascii: "{"):
                guard open.count < Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth) levels") }
                index += 1
                if try peek() == UInt8(ascii: "}") {
                    index += 1
                } else {
                    open.append(UInt8(ascii: "{"))
                    try skipKey()
                    continue
                }
            case UInt8(ascii: "["):
                guard open.count < Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth) levels") }
                index += 1
                if try peek() == UInt8(ascii: "]") {
                    index += 1
                } else {
                    open.append(UInt8(ascii: "["))
                    continue
                }
            case UInt8(ascii: "t"): try expectLiteral("true")
            case UInt8(ascii: "f"): try expectLiteral("false")
            case UInt8(ascii: "n"): try expectLiteral("null")
            default: _ = try numberSpan()
            }
            // A value ended: close containers or move to the next member.
            while let container = open.last {
                let byte = try peek()
                if byte == UInt8(ascii: ",") {
                    index += 1
                    if container == UInt8(ascii: "{") { try skipKey() }
                    break
                }
                guard byte == (container == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw fail(container == UInt8(ascii: "{") ? "expected , or }" : "expected , or ]")
                }
                index += 1
                open.removeLast()
            }
            if open.isEmpty { return }
        }
    }

    /// Skips `"key":` inside an object.
    private mutating func skipKey() throws {
        guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
        try skipString()
        guard try peek() == UInt8(ascii: ":") else { throw fail("expected :") }
        index += 1
    }

    /// The deepest nesting ``readJSONValue()`` accepts: Foundation's `JSONDecoder` refuses deeper input too
    /// (so the fallback agrees), and it bounds the recursion on untrusted bytes.
    static let maximumDepth = 512
    private var depth = 0

    /// Reads any value as a ``JSONValue`` (for `RawExtension`, `FieldsV1` and dynamic fields).
    mutating func readJSONValue() throws -> JSONValue {
        let next = try peek()
        if next == UInt8(ascii: "{") || next == UInt8(ascii: "[") {
            guard depth < Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth) levels") }
            depth += 1
        }
        defer { if next == UInt8(ascii: "{") || next == UInt8(ascii: "[") { depth -= 1 } }
        switch next {
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "{"):
            try beginObject()
            var object = JSONObject()
            while let key = try nextKey() { object[key] = try readJSONValue() }
            return .object(object)
        case UInt8(ascii: "["):
            try beginArray()
            var values: [JSONValue] = []
            while try nextElement() { values.append(try readJSONValue()) }
            return .array(values)
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try readBool())
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            // One scan of the number: an integer unless it has a fraction or an exponent.
            let span = try numberSpan()
            let isInteger = !bytes[span].contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }
            let text = String(decoding: bytes[span], as: UTF8.self)
            if isInteger, let integer = Int64(text) { return .integer(integer) }
            if isInteger, let unsigned = UInt64(text) { return .unsignedInteger(unsigned) }
            guard let double = Double(text), double.isFinite else { throw fail("expected a finite number") }
            return .double(double)
        }
    }

    /// Fails unless only whitespace is left.
    mutating func expectEnd() throws {
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected bytes after the value") }
    }
}

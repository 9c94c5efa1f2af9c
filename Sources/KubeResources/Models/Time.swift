import KubeErrors

/// `metav1.Time`: an RFC 3339 timestamp with second precision, always written in UTC
/// (`2026-11-22T10:53:47Z`), as the API server writes it.
///
/// The value is kept as whole seconds plus nanoseconds since the Unix epoch, so it round-trips exactly.
public struct Time: Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSinceEpoch: Int64
    /// Nanoseconds past ``secondsSinceEpoch`` (kept when decoding, dropped when writing a `Time`).
    public var nanoseconds: Int32

    /// Creates a time.
    public init(secondsSinceEpoch: Int64, nanoseconds: Int32 = 0) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.nanoseconds = nanoseconds
    }

    /// Parses RFC 3339 (`Z` or an offset; fractional seconds allowed).
    public init?(rfc3339 text: String) {
        guard let parsed = RFC3339Timestamp.parse(text) else { return nil }
        (secondsSinceEpoch, nanoseconds) = parsed
    }

    /// Decodes an RFC 3339 string.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = RFC3339Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)"))
        }
        (secondsSinceEpoch, nanoseconds) = parsed
    }

    /// Encodes as `YYYY-MM-DDTHH:MM:SSZ`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var description: String { RFC3339Timestamp.format(secondsSinceEpoch, fractionDigits: 0, nanoseconds: 0) }

    /// Orders by instant.
    public static func < (lhs: Time, rhs: Time) -> Bool {
        (lhs.secondsSinceEpoch, lhs.nanoseconds) < (rhs.secondsSinceEpoch, rhs.nanoseconds)
    }
}

/// `metav1.MicroTime`: an RFC 3339 timestamp with microsecond precision, written in UTC
/// (`2026-11-22T10:53:47.123456Z`), used by events.k8s.io `eventTime` and leases.
public struct MicroTime: Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSinceEpoch: Int64
    /// Nanoseconds past ``secondsSinceEpoch`` (written to microsecond precision).
    public var nanoseconds: Int32

    /// Creates a time.
    public init(secondsSinceEpoch: Int64, nanoseconds: Int32 = 0) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.nanoseconds = nanoseconds
    }

    /// Parses RFC 3339 (`Z` or an offset; fractional seconds allowed).
    public init?(rfc3339 text: String) {
        guard let parsed = RFC3339Timestamp.parse(text) else { return nil }
        (secondsSinceEpoch, nanoseconds) = parsed
    }

    /// Decodes an RFC 3339 string.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = RFC3339Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)"))
        }
        (secondsSinceEpoch, nanoseconds) = parsed
    }

    /// Encodes as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public var description: String { RFC3339Timestamp.format(secondsSinceEpoch, fractionDigits: 6, nanoseconds: nanoseconds) }

    /// Orders by instant.
    public static func < (lhs: MicroTime, rhs: MicroTime) -> Bool {
        (lhs.secondsSinceEpoch, lhs.nanoseconds) < (rhs.secondsSinceEpoch, rhs.nanoseconds)
    }
}

/// RFC 3339 parsing and formatting on integers (no Foundation formatter: exact and fast).
enum RFC3339Timestamp {
    static func parse(_ text: String) -> (Int64, Int32)? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 116,
              bytes[13] == 58, bytes[16] == 58,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var nanoseconds = 0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                if digits < 9 { nanoseconds = nanoseconds * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 where digits < 9 { nanoseconds *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case 90, 122:  // Z z
            index += 1
        case 43, 45:  // + -
            guard let hours = number(index + 1, 2), bytes.count > index + 3, bytes[index + 3] == 58,
                  let minutes = number(index + 4, 2) else { return nil }
            offset = (hours * 60 + minutes) * 60 * (bytes[index] == 45 ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = Int64(daysFromCivil(year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        return (seconds, Int32(nanoseconds))
    }

    static func format(_ seconds: Int64, fractionDigits: Int, nanoseconds: Int32) -> String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fractionDigits > 0 {
            var fraction = Int(nanoseconds)
            for _ in fractionDigits..<9 { fraction /= 10 }
            text += "." + pad(fraction, fractionDigits)
        }
        return text + "Z"
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

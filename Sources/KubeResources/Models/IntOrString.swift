/// `intstr.IntOrString`: a field that holds a number or a string (`targetPort: 8080` or `targetPort: http`).
///
/// The JSON type is kept exactly: `"80"` stays a string, `80` stays a number.
public enum IntOrString: Codable, Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, CustomStringConvertible {
    /// A number.
    case int(Int)
    /// A string (a name, or a percentage such as `25%`).
    case string(String)

    /// Creates a number.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// Creates a string.
    public init(stringLiteral value: String) { self = .string(value) }

    /// Decodes a JSON number or string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// Encodes as the JSON type it holds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        }
    }

    /// The value as text.
    public var description: String {
        switch self {
        case .int(let number): String(number)
        case .string(let text): text
        }
    }

    /// The value scaled against `total` (`25%` of 8 → 2, rounding up as Kubernetes does for maxSurge), or the
    /// number itself; `nil` for a string that is not a percentage.
    public func scaled(total: Int, roundUp: Bool = true) -> Int? {
        switch self {
        case .int(let number): return number
        case .string(let text):
            guard text.hasSuffix("%"), let percent = Int(text.dropLast()) else { return nil }
            let product = percent * total
            return roundUp ? (product + 99) / 100 : product / 100
        }
    }
}

/// `resource.Quantity`: a resource amount such as `500m`, `1.5`, `128Mi` or `2e3`, kept as the exact string
/// the API uses, with helpers to read its value.
public struct Quantity: Codable, Hashable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The canonical string, e.g. `128Mi`.
    public var string: String

    /// Creates a quantity from its string.
    public init(_ string: String) { self.string = string }
    /// Creates a quantity from a string literal.
    public init(stringLiteral value: String) { string = value }
    /// Creates a quantity from an integer literal.
    public init(integerLiteral value: Int) { string = String(value) }

    /// Decodes a JSON string (or a number, as YAML manifests often write `cpu: 1`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            string = text
        } else if let number = try? container.decode(Int64.self) {
            string = String(number)
        } else {
            string = String(try container.decode(Double.self))
        }
    }

    /// Encodes the string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }

    /// The string.
    public var description: String { string }

    private static let binarySuffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
        ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976),
    ]
    private static let decimalSuffixes: [(String, Double)] = [
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ]

    /// The amount as a number (`500m` → 0.5, `1Ki` → 1024, `2e3` → 2000), or `nil` if the string is not a
    /// valid quantity.
    public var value: Double? {
        let text = string.split(separator: " ", omittingEmptySubsequences: true).joined()
        for (suffix, factor) in Self.binarySuffixes where text.hasSuffix(suffix) {
            return Self.number(String(text.dropLast(2))).map { $0 * factor }
        }
        for (suffix, factor) in Self.decimalSuffixes where text.hasSuffix(suffix) {
            return Self.number(String(text.dropLast(1))).map { $0 * factor }
        }
        return Self.number(text)
    }

    /// The amount in thousandths, rounded up (CPU in millicores: `0.25` → 250, `1` → 1000).
    public var milliValue: Int64? {
        value.map { amount in
            // `1.4 * 1000` is 1400.0000000000002 in binary floating point: what is within a rounding error of a
            // whole number is that number, only a true fraction rounds up.
            let milli = amount * 1000
            let nearest = milli.rounded()
            return Int64(abs(milli - nearest) <= abs(milli) * 1e-12 ? nearest : milli.rounded(.up))
        }
    }

    private static func number(_ text: String) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) else { return nil }
        return Double(text)
    }
}


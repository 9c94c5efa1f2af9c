/// Writes floating-point numbers exactly as Go does, so that what KubeKit sends and the keys it makes from
/// numbers are byte for byte what kubectl sends and makes.
package enum GoFloat {
    /// Which of Go's formatters to imitate.
    package enum Style {
        /// `encoding/json`: shortest digits, `%f` for 1e-6 ≤ |x| < 1e21, `%e` (with `e-7`, not `e-07`) otherwise.
        case json
        /// `strconv.FormatFloat(x, 'g', -1, 32)`, which sigs.k8s.io/yaml uses for float mapping keys.
        case shortestG32
    }

    /// The number as Go writes it. Infinity and NaN (which JSON cannot hold) come out as Go's `+Inf`,
    /// `-Inf`, `NaN` in `.shortestG32` (sigs.k8s.io/yaml then writes `.inf`, `-.inf`, `.nan`) and `null` in `.json`.
    package static func format(_ value: Double, style: Style) -> String {
        guard value.isFinite else {
            switch style {
            case .json: return "null"
            case .shortestG32: return value.isNaN ? ".nan" : (value < 0 ? "-.inf" : ".inf")
            }
        }
        let negative = value.sign == .minus
        var output = negative ? "-" : ""
        switch style {
        case .json:
            let (digits, point) = shortestDigits(abs(value).description)
            let magnitude = abs(value)
            if magnitude != 0, magnitude < 1e-6 || magnitude >= 1e21 {
                var text = exponentForm(digits, point)
                // encoding/json turns e-07 into e-7.
                let bytes = Array(text.utf8)
                let count = bytes.count
                if count >= 4, bytes[count - 4] == UInt8(ascii: "e"), bytes[count - 3] == UInt8(ascii: "-"), bytes[count - 2] == UInt8(ascii: "0") {
                    text = String(decoding: bytes[..<(count - 2)] + [bytes[count - 1]], as: UTF8.self)
                }
                output += text
            } else {
                output += fixedForm(digits, point)
            }
        case .shortestG32:
            let single = Float(value)
            guard single.isFinite else { return single < 0 ? "-.inf" : ".inf" }
            let (digits, point) = shortestDigits(abs(single).description)
            let exponent = point - 1
            output += (exponent < -4 || exponent >= 6) && !digits.isEmpty ? exponentForm(digits, point) : fixedForm(digits, point)
        }
        return output
    }

    /// The shortest round-trip digits of a non-negative number's Swift description (`1.5e-07`, `100.0`), as
    /// Go's decimal: value = 0.d₁d₂… × 10^point. Zero has no digits.
    static func shortestDigits(_ description: String) -> (digits: [UInt8], point: Int) {
        let parts = description.split(separator: "e", maxSplits: 1)
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = Array(mantissa[0].utf8)
        let fraction = mantissa.count > 1 ? Array(mantissa[1].utf8) : []
        var digits = integerPart + fraction
        var point = integerPart.count + exponent
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { point = 0 }
        return (digits, point)
    }

    /// Go's `%e` with all digits: `1.5e+07`, `1e-05`, `0e+00`.
    private static func exponentForm(_ digits: [UInt8], _ point: Int) -> String {
        var bytes: [UInt8] = [digits.first ?? UInt8(ascii: "0")]
        if digits.count > 1 {
            bytes.append(UInt8(ascii: "."))
            bytes += digits[1...]
        }
        let exponent = digits.isEmpty ? 0 : point - 1
        bytes.append(UInt8(ascii: "e"))
        bytes.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let magnitude = String(abs(exponent))
        if magnitude.count < 2 { bytes.append(UInt8(ascii: "0")) }
        bytes += Array(magnitude.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Go's `%f` with just enough decimals: `100000000000000000000`, `0.000001`, `1.5`.
    private static func fixedForm(_ digits: [UInt8], _ point: Int) -> String {
        var bytes: [UInt8] = []
        if point > 0 {
            for index in 0..<point { bytes.append(index < digits.count ? digits[index] : UInt8(ascii: "0")) }
        } else {
            bytes.append(UInt8(ascii: "0"))
        }
        let decimals = max(digits.count - point, 0)
        if decimals > 0 {
            bytes.append(UInt8(ascii: "."))
            for index in 0..<decimals {
                let position = point + index
                bytes.append(position >= 0 && position < digits.count ? digits[position] : UInt8(ascii: "0"))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

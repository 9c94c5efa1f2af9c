/// A `Warning` header the API server attached to a response (deprecations, unknown fields...).
public struct KubeWarning: Sendable, Hashable, CustomStringConvertible {
    /// The 3-digit warn code; the API server uses 299.
    public var code: Int
    /// The agent, usually `-`.
    public var agent: String
    /// The warning text.
    public var text: String

    /// Creates a warning.
    public init(code: Int = 299, agent: String = "-", text: String) {
        self.code = code
        self.agent = agent
        self.text = text
    }

    /// `Warning: <text>`, as kubectl prints it.
    public var description: String { "Warning: \(text)" }

    /// Parses every `Warning` header value (RFC 7234 §5.5: `code agent "text" ["date"]`, comma-separated),
    /// keeping what client-go keeps: codes 100–299, a non-empty agent, non-empty text without control
    /// characters. Only code 299 is surfaced by the API server; others are returned too.
    public static func parse(_ values: [String]) -> [KubeWarning] {
        var warnings: [KubeWarning] = []
        for value in values {
            var scanner = Substring(value)
            while !scanner.isEmpty {
                scanner = scanner.drop { $0 == " " || $0 == "," }
                guard let codeEnd = scanner.firstIndex(of: " "), let code = Int(scanner[..<codeEnd]),
                      (100...299).contains(code), scanner.distance(from: scanner.startIndex, to: codeEnd) == 3 else { break }
                scanner = scanner[codeEnd...].drop { $0 == " " }
                guard let agentEnd = scanner.firstIndex(of: " ") else { break }
                let agent = String(scanner[..<agentEnd])
                scanner = scanner[agentEnd...].drop { $0 == " " }
                guard scanner.first == "\"" else { break }
                scanner = scanner.dropFirst()
                var text = ""
                var escaped = false
                var closed = false
                while let character = scanner.first {
                    scanner = scanner.dropFirst()
                    if escaped { text.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { closed = true; break }
                    text.append(character)
                }
                guard closed else { break }
                // An optional quoted date follows; skip it.
                let rest = scanner.drop { $0 == " " }
                if rest.first == "\"", let end = rest.dropFirst().firstIndex(of: "\"") {
                    scanner = rest[rest.index(after: end)...]
                }
                if !agent.isEmpty, !text.isEmpty, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    warnings.append(KubeWarning(code: code, agent: agent, text: text))
                }
            }
        }
        return warnings
    }
}

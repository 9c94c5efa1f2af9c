import KubeConfig
import KubeTransport

/// What ``RecordingTransport`` removes before an exchange is stored.
///
/// By default: the `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie` headers; the values
/// of `data` and `stringData` in Secrets (in objects, lists and watch events); and every JSON field whose
/// name is a credential (`token`, `password`, `client-key-data`, `clientKeyData`, `client-certificate-data`,
/// `clientCertificateData`, `refresh-token`, `id-token`).
public struct Redaction: Sendable {
    /// Header names dropped from requests and responses (case-insensitive).
    public var headers: Set<String>
    /// JSON field names whose string values are replaced by ``placeholder``.
    public var fields: Set<String>
    /// Whether Secret `data`/`stringData` values are replaced.
    public var secretData: Bool
    /// The replacement text (base64 of `REDACTED` inside Secret `data`, so the object stays valid).
    public var placeholder = "REDACTED"

    /// Creates a redaction.
    public init(headers: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"],
                fields: Set<String> = ["token", "password", "client-key-data", "clientKeyData", "client-certificate-data",
                                       "clientCertificateData", "refresh-token", "id-token"],
                secretData: Bool = true) {
        self.headers = headers
        self.fields = fields
        self.secretData = secretData
    }

    /// The default redaction.
    public static let `default` = Redaction()

    /// The headers with redacted ones removed.
    public func redact(headers: HTTPHeaders) -> [String: String] {
        var result: [String: String] = [:]
        for field in headers where !self.headers.contains(field.name.lowercased()) {
            result[field.name] = result[field.name].map { "\($0), \(field.value)" } ?? field.value
        }
        return result
    }

    /// The body with secrets replaced; JSON documents and newline-delimited JSON (watch streams) are
    /// understood, anything else is kept as it is. An unchanged document keeps its exact bytes.
    public func redact(body: String) -> String {
        guard body.contains("{") else { return body }
        if let value = parse(body) {
            let (redacted, changed) = redact(value)
            return changed ? redacted.jsonText : body
        }
        // Newline-delimited JSON: redact line by line.
        var changedAny = false
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard !line.isEmpty, let value = parse(String(line)) else { return String(line) }
            let (redacted, changed) = redact(value)
            changedAny = changedAny || changed
            return changed ? redacted.jsonText : String(line)
        }
        return changedAny ? lines.joined(separator: "\n") : body
    }

    private func parse(_ text: String) -> JSONValue? {
        guard let documents = try? YAMLReader.documents(in: text), documents.count == 1 else { return nil }
        return documents.first?.root?.json
    }

    private func redact(_ value: JSONValue) -> (JSONValue, Bool) {
        switch value {
        case .array(let items):
            var changed = false
            let result = items.map { item -> JSONValue in
                let (redacted, itemChanged) = redact(item)
                changed = changed || itemChanged
                return redacted
            }
            return (.array(result), changed)
        case .object(var object):
            var changed = false
            let isSecret = object["kind"]?.stringValue == "Secret"
            for (key, member) in object {
                if fields.contains(key), case .string = member {
                    object[key] = .string(placeholder)
                    changed = true
                } else if secretData, isSecret, key == "data" || key == "stringData", case .object(var entries) = member {
                    let replacement = key == "data" ? "UkVEQUNURUQ=" : placeholder
                    for (entry, _) in entries { entries[entry] = .string(replacement) }
                    object[key] = .object(entries)
                    changed = changed || !entries.isEmpty
                } else {
                    let (redacted, memberChanged) = redact(member)
                    if memberChanged {
                        object[key] = redacted
                        changed = true
                    }
                }
            }
            return (.object(object), changed)
        default:
            return (value, false)
        }
    }
}

/// A value that must never be printed: a token, a password, key or certificate bytes.
///
/// `description`, `debugDescription`, string interpolation, `dump` and `Mirror` all show only
/// `<redacted>` (plus the size for collections), so a `Sensitive` field can sit in a struct that is logged or
/// printed without leaking. Read the real value through ``value`` at the one place that needs it.
public struct Sensitive<Value: Sendable & Hashable>: Sendable, Hashable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The secret itself.
    public var value: Value

    /// Wraps a secret.
    public init(_ value: Value) { self.value = value }

    /// `<redacted>`, or `<redacted N bytes>` for collections.
    public var description: String {
        if let collection = value as? any Collection {
            return "<redacted \(collection.count) \(value is String ? "characters" : "bytes")>"
        }
        return "<redacted>"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror with no children, so `dump` and reflection-based printers see nothing.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

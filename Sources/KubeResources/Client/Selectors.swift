import KubeErrors

/// A label selector (`labelSelector=`), built from typed requirements and written in the API's string form.
///
/// ```swift
/// let selector = LabelSelector.equals("app", "web").notIn("tier", ["cache"]).exists("release")
/// // app=web,tier notin (cache),release
/// ```
///
/// Keys and values are checked against the API's syntax before a request is sent; a bad one throws
/// ``KubeError/Code/invalidArgument`` naming the requirement.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible, ExpressibleByDictionaryLiteral {
    /// One requirement; all requirements must hold.
    public enum Requirement: Sendable, Hashable, CustomStringConvertible {
        /// `key=value`.
        case equals(String, String)
        /// `key!=value` (also matches objects without the key).
        case notEquals(String, String)
        /// `key in (v1,v2)`.
        case `in`(String, [String])
        /// `key notin (v1,v2)` (also matches objects without the key).
        case notIn(String, [String])
        /// `key` (the label exists).
        case exists(String)
        /// `!key` (the label does not exist).
        case doesNotExist(String)

        /// The key.
        public var key: String {
            switch self {
            case .equals(let key, _), .notEquals(let key, _), .in(let key, _), .notIn(let key, _), .exists(let key), .doesNotExist(let key): key
            }
        }

        /// The requirement in the API's syntax.
        public var description: String {
            switch self {
            case .equals(let key, let value): "\(key)=\(value)"
            case .notEquals(let key, let value): "\(key)!=\(value)"
            case .in(let key, let values): "\(key) in (\(values.joined(separator: ",")))"
            case .notIn(let key, let values): "\(key) notin (\(values.joined(separator: ",")))"
            case .exists(let key): key
            case .doesNotExist(let key): "!\(key)"
            }
        }
    }

    /// The requirements, in the order they were added.
    public var requirements: [Requirement]
    private var raw: String?

    /// A selector with `requirements` (none: everything matches).
    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// `["app": "web"]`: equality requirements, sorted by key as client-go writes them.
    public init(dictionaryLiteral elements: (String, String)...) {
        requirements = elements.sorted { $0.0 < $1.0 }.map { .equals($0.0, $0.1) }
    }

    /// A selector passed through as written (for selectors read from user input or a CLI flag);
    /// the server validates it.
    public init(raw: String) {
        requirements = []
        self.raw = raw
    }

    /// Converts a `metav1.LabelSelector` (a Deployment's `spec.selector`) as client-go's
    /// `LabelSelectorAsSelector` does: `matchLabels` then `matchExpressions`, sorted by key.
    /// - Throws: ``KubeError/Code/invalidArgument`` for an unknown operator or a missing value list.
    public init(_ selector: MetaV1.LabelSelector) throws {
        var requirements: [Requirement] = (selector.matchLabels ?? [:]).map { .equals($0.key, $0.value) }
        for (index, expression) in (selector.matchExpressions ?? []).enumerated() {
            let key = expression.key ?? ""
            let values = expression.values ?? []
            switch expression.operator ?? "" {
            case "In": requirements.append(.in(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            case let other:
                throw KubeError(code: .invalidArgument, message: "\"\(other)\" is not a valid label selector operator",
                                location: .init(field: "matchExpressions[\(index)].operator"),
                                hint: "Valid operators: In, NotIn, Exists, DoesNotExist.")
            }
            if ["In", "NotIn"].contains(expression.operator ?? ""), values.isEmpty {
                throw KubeError(code: .invalidArgument, message: "operator \(expression.operator ?? "") needs at least one value",
                                location: .init(field: "matchExpressions[\(index)].values"))
            }
        }
        // Stable sort by key, as client-go's internalSelector does.
        self.requirements = requirements.enumerated().sorted {
            $0.element.key != $1.element.key ? $0.element.key < $1.element.key : $0.offset < $1.offset
        }.map(\.element)
    }

    /// A selector requiring `key=value`.
    public static func equals(_ key: String, _ value: String) -> LabelSelector { LabelSelector([.equals(key, value)]) }
    /// A selector requiring `key!=value`.
    public static func notEquals(_ key: String, _ value: String) -> LabelSelector { LabelSelector([.notEquals(key, value)]) }
    /// A selector requiring `key in (values)`.
    public static func `in`(_ key: String, _ values: [String]) -> LabelSelector { LabelSelector([.in(key, values)]) }
    /// A selector requiring `key notin (values)`.
    public static func notIn(_ key: String, _ values: [String]) -> LabelSelector { LabelSelector([.notIn(key, values)]) }
    /// A selector requiring the label `key`.
    public static func exists(_ key: String) -> LabelSelector { LabelSelector([.exists(key)]) }
    /// A selector requiring the label `key` to be absent.
    public static func doesNotExist(_ key: String) -> LabelSelector { LabelSelector([.doesNotExist(key)]) }

    /// Adds `key=value`.
    public func equals(_ key: String, _ value: String) -> LabelSelector { adding(.equals(key, value)) }
    /// Adds `key!=value`.
    public func notEquals(_ key: String, _ value: String) -> LabelSelector { adding(.notEquals(key, value)) }
    /// Adds `key in (values)`.
    public func `in`(_ key: String, _ values: [String]) -> LabelSelector { adding(.in(key, values)) }
    /// Adds `key notin (values)`.
    public func notIn(_ key: String, _ values: [String]) -> LabelSelector { adding(.notIn(key, values)) }
    /// Adds "the label `key` exists".
    public func exists(_ key: String) -> LabelSelector { adding(.exists(key)) }
    /// Adds "the label `key` does not exist".
    public func doesNotExist(_ key: String) -> LabelSelector { adding(.doesNotExist(key)) }

    private func adding(_ requirement: Requirement) -> LabelSelector {
        var copy = self
        copy.requirements.append(requirement)
        return copy
    }

    /// `true` when the selector matches everything.
    public var isEmpty: Bool { requirements.isEmpty && (raw ?? "").isEmpty }

    /// The selector in the API's syntax, e.g. `app=web,tier in (a,b)`: a raw selector first, then the
    /// requirements added to it.
    public var description: String {
        let parts = (raw.map { [$0] } ?? []).filter { !$0.isEmpty } + requirements.map(\.description)
        return parts.joined(separator: ",")
    }

    /// Whether `labels` satisfy every requirement (client-side filtering, as the server would).
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .in(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    /// Checks keys and values against the API's label syntax.
    /// - Throws: ``KubeError/Code/invalidArgument`` naming the first bad requirement.
    public func validate() throws {
        for requirement in requirements {
            if let problem = Self.keyProblem(requirement.key) {
                throw KubeError(code: .invalidArgument, message: "invalid label selector \"\(description)\": key \"\(requirement.key)\" \(problem)")
            }
            let values: [String] = switch requirement {
            case .equals(_, let value), .notEquals(_, let value): [value]
            case .in(_, let values), .notIn(_, let values): values
            case .exists, .doesNotExist: []
            }
            switch requirement {
            case .in, .notIn:
                if values.isEmpty {
                    let operation = if case .in = requirement { "in" } else { "notin" }
                    throw KubeError(code: .invalidArgument, message: "invalid label selector \"\(description)\": \"\(operation)\" needs at least one value")
                }
            default: break
            }
            for value in values where !value.isEmpty {
                if let problem = Self.nameProblem(value) {
                    throw KubeError(code: .invalidArgument, message: "invalid label selector \"\(description)\": value \"\(value)\" \(problem)")
                }
            }
        }
    }

    /// Why `key` is not a valid label key (`[prefix/]name`), or `nil`.
    static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return nameProblem(key)
        case 2:
            let prefix = parts[0]
            if prefix.isEmpty || prefix.utf8.count > 253
                || !prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNSLabel) {
                return "has an invalid prefix (a lower-case DNS subdomain of at most 253 characters)"
            }
            return nameProblem(String(parts[1]))
        default:
            return "may contain at most one \"/\""
        }
    }

    /// Why `name` is not a valid label name or value, or `nil`.
    static func nameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "must not be empty" }
        if bytes.count > 63 { return "must be no more than 63 characters" }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlphanumeric(bytes[0]), isAlphanumeric(bytes[bytes.count - 1]),
              bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else {
            return "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }

    private static func isDNSLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        return isLowerAlphanumeric(bytes[0]) && isLowerAlphanumeric(bytes[bytes.count - 1])
            && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}

/// A field selector (`fieldSelector=`): equality and inequality on the fields a resource supports
/// (`metadata.name`, `metadata.namespace`, and per resource e.g. `status.phase`, `spec.nodeName`,
/// `involvedObject.name`).
///
/// ```swift
/// let running = FieldSelector.equals("status.phase", "Running").notEquals("spec.nodeName", "")
/// ```
/// Values are escaped as the API requires (`\`, `,` and `=` get a backslash).
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// One requirement.
    public enum Requirement: Sendable, Hashable, CustomStringConvertible {
        /// `field=value`.
        case equals(String, String)
        /// `field!=value`.
        case notEquals(String, String)

        /// The requirement in the API's syntax, with the value escaped.
        public var description: String {
            switch self {
            case .equals(let field, let value): "\(field)=\(FieldSelector.escape(value))"
            case .notEquals(let field, let value): "\(field)!=\(FieldSelector.escape(value))"
            }
        }
    }

    /// The requirements, in order.
    public var requirements: [Requirement]

    /// A selector with `requirements`.
    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// A selector requiring `field=value`.
    public static func equals(_ field: String, _ value: String) -> FieldSelector { FieldSelector([.equals(field, value)]) }
    /// A selector requiring `field!=value`.
    public static func notEquals(_ field: String, _ value: String) -> FieldSelector { FieldSelector([.notEquals(field, value)]) }

    /// Adds `field=value`.
    public func equals(_ field: String, _ value: String) -> FieldSelector {
        FieldSelector(requirements + [.equals(field, value)])
    }

    /// Adds `field!=value`.
    public func notEquals(_ field: String, _ value: String) -> FieldSelector {
        FieldSelector(requirements + [.notEquals(field, value)])
    }

    /// `true` when the selector matches everything.
    public var isEmpty: Bool { requirements.isEmpty }

    /// The selector in the API's syntax.
    public var description: String { requirements.map(\.description).joined(separator: ",") }

    static func escape(_ value: String) -> String {
        var output = ""
        for character in value {
            if character == "\\" || character == "," || character == "=" { output.append("\\") }
            output.append(character)
        }
        return output
    }
}

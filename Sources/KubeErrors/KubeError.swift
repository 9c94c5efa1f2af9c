/// The one error type every KubeKit module throws.
///
/// A `KubeError` carries a machine-readable ``code``, a complete human-readable ``message`` and, depending on
/// where it came from, the decoded API ``status`` (for failures reported by the API server), the HTTP status
/// code, the ``request`` it belongs to, the ``location`` in a configuration file, a ``hint`` the user can act on
/// and the ``underlying`` cause.
///
/// ```swift
/// do {
///     _ = try await pods.get("web-1")
/// } catch let error as KubeError where error.isNotFound {
///     print(error)   // pods "web-1" not found in namespace "demo"
/// }
/// ```
///
/// `description` is meant to be shown to people as it is. It never contains tokens, passwords, private keys or
/// certificate bytes: every initializer in KubeKit builds messages from names, paths and server text only.
public struct KubeError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. Compare with the static members, e.g. `error.code == .contextNotFound`.
    public var code: Code
    /// The complete message, without the location prefix and without the hint.
    public var message: String
    /// The `metav1.Status` the API server sent (or one synthesized from a non-Status error body).
    public var status: KubeStatus?
    /// The HTTP status code of the response, for failures that had one.
    public var httpStatusCode: Int?
    /// The request this failure belongs to, for API and transport failures.
    public var request: RequestContext?
    /// Where in a configuration file the problem is, for configuration failures.
    public var location: SourceLocation?
    /// Advice the user can act on: valid choices, an install hint, what was tried.
    public var hint: String?
    /// The underlying cause, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error. Prefer the factory functions of each module; this initializer is public so that
    /// applications and test doubles can produce the same errors.
    public init(
        code: Code,
        message: String,
        status: KubeStatus? = nil,
        httpStatusCode: Int? = nil,
        request: RequestContext? = nil,
        location: SourceLocation? = nil,
        hint: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.httpStatusCode = httpStatusCode
        self.request = request
        self.location = location
        self.hint = hint
        self.underlying = underlying
    }

    /// The message with its location prefix (`file:line:column: field: `) and the hint on the lines below.
    public var description: String {
        var text = ""
        if let location, !location.isEmpty {
            text += location.description + ": "
        }
        text += message
        if let hint, !hint.isEmpty {
            text += "\n" + hint
        }
        return text
    }

    /// The description plus the code and the chain of underlying errors, for logs and bug reports.
    public var debugDescription: String {
        var text = "KubeError(\(code)): \(description)"
        if let underlying {
            text += "\n  caused by: \(String(describing: underlying))"
        }
        return text
    }
}

extension KubeError {
    /// Where in a configuration file (or other text input) an error was found.
    ///
    /// Every part is optional: a missing file has only a path, a YAML syntax error has a line and column,
    /// a semantic error in a kubeconfig also names the field path (e.g. `users[0].user.client-key-data`).
    public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
        /// The file path, or `nil` for text that did not come from a file.
        public var file: String?
        /// The 1-based line.
        public var line: Int?
        /// The 1-based column.
        public var column: Int?
        /// The field path inside the document, e.g. `clusters[1].cluster.server`.
        public var field: String?

        /// Creates a location.
        public init(file: String? = nil, line: Int? = nil, column: Int? = nil, field: String? = nil) {
            self.file = file
            self.line = line
            self.column = column
            self.field = field
        }

        /// `true` when no part is set.
        public var isEmpty: Bool { file == nil && line == nil && column == nil && field == nil }

        /// `file:line:column: field`, leaving out what is unknown.
        public var description: String {
            var position = file ?? (line != nil ? "<input>" : "")
            if let line {
                position += ":\(line)"
                if let column { position += ":\(column)" }
            }
            switch (position.isEmpty, field) {
            case (true, let field?): return field
            case (false, let field?): return position + ": " + field
            default: return position
            }
        }
    }
}

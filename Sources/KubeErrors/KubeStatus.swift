/// The Kubernetes `metav1.Status` object: what the API server returns for failures (and some successes).
///
/// Decoding is lenient: every field is optional, unknown reasons and cause types are kept as strings.
public struct KubeStatus: Codable, Sendable, Hashable {
    /// `Status`.
    public var kind: String?
    /// `v1`.
    public var apiVersion: String?
    /// List metadata; `continue` is set on the 410 "inconsistent continue" error.
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    /// Human-readable text from the server.
    public var message: String?
    /// Machine-readable reason; empty or `nil` means unknown.
    public var reason: Reason?
    /// Extended data about the failure.
    public var details: Details?
    /// The suggested HTTP status code (0 or `nil` when unset).
    public var code: Int?

    /// Creates a status.
    public init(
        kind: String? = "Status",
        apiVersion: String? = "v1",
        metadata: ListMeta? = nil,
        status: String? = "Failure",
        message: String? = nil,
        reason: Reason? = nil,
        details: Details? = nil,
        code: Int? = nil
    ) {
        self.kind = kind
        self.apiVersion = apiVersion
        self.metadata = metadata
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    /// `true` unless `status` is `Success`.
    public var isFailure: Bool { status != "Success" }

    /// `metav1.ListMeta` as it appears inside a Status.
    public struct ListMeta: Codable, Sendable, Hashable {
        /// The resource version of the list.
        public var resourceVersion: String?
        /// A continue token (set on the 410 inconsistent-continue error).
        public var `continue`: String?
        /// The number of items not yet returned.
        public var remainingItemCount: Int64?
        /// Deprecated self link.
        public var selfLink: String?

        /// Creates list metadata.
        public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int64? = nil, selfLink: String? = nil) {
            self.resourceVersion = resourceVersion
            self.continue = `continue`
            self.remainingItemCount = remainingItemCount
            self.selfLink = selfLink
        }
    }

    /// `metav1.StatusDetails`.
    public struct Details: Codable, Sendable, Hashable {
        /// The name of the object concerned.
        public var name: String?
        /// The API group of the object.
        public var group: String?
        /// The kind, or often the resource name (`pods`) for generic errors.
        public var kind: String?
        /// The UID of the object.
        public var uid: String?
        /// Field-level causes (for `Invalid`, `Conflict` from apply, ...).
        public var causes: [Cause]?
        /// Seconds the client should wait before retrying.
        public var retryAfterSeconds: Int?

        /// Creates details.
        public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil, causes: [Cause]? = nil, retryAfterSeconds: Int? = nil) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// `metav1.StatusCause`. Note the JSON key of the cause type is `reason`.
    public struct Cause: Codable, Sendable, Hashable {
        /// The cause type, e.g. `FieldValueInvalid`.
        public var reason: String?
        /// Human-readable text.
        public var message: String?
        /// The field path, e.g. `spec.containers[0].image`.
        public var field: String?

        /// Creates a cause.
        public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    /// A `metav1.StatusReason`. Unknown values decode and are kept verbatim.
    public struct Reason: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
        /// The reason string as sent by the server.
        public var rawValue: String
        /// Creates a reason from its string.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Creates a reason from a string literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// Decodes a reason from a JSON string.
        public init(from decoder: any Decoder) throws {
            self.rawValue = try decoder.singleValueContainer().decode(String.self)
        }
        /// Encodes the reason as a JSON string.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        /// The reason string.
        public var description: String { rawValue }

        /// `Unauthorized`.
        public static let unauthorized: Reason = "Unauthorized"
        /// `Forbidden`.
        public static let forbidden: Reason = "Forbidden"
        /// `NotFound`.
        public static let notFound: Reason = "NotFound"
        /// `AlreadyExists`.
        public static let alreadyExists: Reason = "AlreadyExists"
        /// `Conflict`.
        public static let conflict: Reason = "Conflict"
        /// `Gone`.
        public static let gone: Reason = "Gone"
        /// `Invalid`.
        public static let invalid: Reason = "Invalid"
        /// `ServerTimeout`.
        public static let serverTimeout: Reason = "ServerTimeout"
        /// `StorageReadError`.
        public static let storageReadError: Reason = "StorageReadError"
        /// `Timeout`.
        public static let timeout: Reason = "Timeout"
        /// `TooManyRequests`.
        public static let tooManyRequests: Reason = "TooManyRequests"
        /// `BadRequest`.
        public static let badRequest: Reason = "BadRequest"
        /// `MethodNotAllowed`.
        public static let methodNotAllowed: Reason = "MethodNotAllowed"
        /// `NotAcceptable`.
        public static let notAcceptable: Reason = "NotAcceptable"
        /// `RequestEntityTooLarge`.
        public static let requestEntityTooLarge: Reason = "RequestEntityTooLarge"
        /// `UnsupportedMediaType`.
        public static let unsupportedMediaType: Reason = "UnsupportedMediaType"
        /// `InternalError`.
        public static let internalError: Reason = "InternalError"
        /// `Expired`.
        public static let expired: Reason = "Expired"
        /// `ServiceUnavailable`.
        public static let serviceUnavailable: Reason = "ServiceUnavailable"

        /// The reasons client-go knows; used for the "reason unknown, fall back to the HTTP code" rule.
        static let known: Set<Reason> = [
            .unauthorized, .forbidden, .notFound, .alreadyExists, .conflict, .gone, .invalid, .serverTimeout,
            .storageReadError, .timeout, .tooManyRequests, .badRequest, .methodNotAllowed, .notAcceptable,
            .requestEntityTooLarge, .unsupportedMediaType, .internalError, .expired, .serviceUnavailable,
        ]
    }
}

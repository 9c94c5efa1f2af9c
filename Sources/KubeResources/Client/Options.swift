import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// Which state a read may be served from (`resourceVersion` and `resourceVersionMatch`).
///
/// Resource versions are opaque: compare them for equality only.
public enum ReadConsistency: Sendable, Hashable {
    /// The most recent state (a quorum read; no `resourceVersion`).
    case mostRecent
    /// Any state, possibly stale, from the API server's cache (`resourceVersion=0`): cheapest.
    case any
    /// State at least as new as the given version (`resourceVersionMatch=NotOlderThan`).
    case notOlderThan(String)
    /// State at exactly the given version (`resourceVersionMatch=Exact`; 410 Gone once compacted).
    case exact(String)

    func apply(to request: inout KubeRequest, forGet: Bool) {
        switch self {
        case .mostRecent: break
        case .any: request.addQuery("resourceVersion", "0")
        case .notOlderThan(let version):
            request.addQuery("resourceVersion", version)
            // A GET with a resourceVersion means "not older than"; the match parameter is for lists.
            if !forGet { request.addQuery("resourceVersionMatch", "NotOlderThan") }
        case .exact(let version):
            request.addQuery("resourceVersion", version)
            request.addQuery("resourceVersionMatch", "Exact")
        }
    }
}

/// Options of a list call.
public struct ListOptions: Sendable, Hashable {
    /// Only objects whose labels match.
    public var labelSelector: LabelSelector?
    /// Only objects whose fields match.
    public var fieldSelector: FieldSelector?
    /// The most items per page (the server may return fewer, and then a ``ResourceList/continueToken``).
    public var limit: Int?
    /// The token from the previous page (``ResourceList/continueToken``).
    public var continueToken: String?
    /// Which state to read; ignored on pages after the first (the token pins the snapshot).
    public var consistency: ReadConsistency
    /// Asks the server to end the call after this many seconds.
    public var timeoutSeconds: Int?

    /// Creates options.
    public init(labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil, limit: Int? = nil,
                continueToken: String? = nil, consistency: ReadConsistency = .mostRecent, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.consistency = consistency
        self.timeoutSeconds = timeoutSeconds
    }

    func apply(to request: inout KubeRequest) throws {
        if let labelSelector, !labelSelector.isEmpty {
            try labelSelector.validate()
            request.addQuery("labelSelector", labelSelector.description)
        }
        if let fieldSelector, !fieldSelector.isEmpty { request.addQuery("fieldSelector", fieldSelector.description) }
        if let limit {
            guard limit > 0 else { throw KubeError(code: .invalidArgument, message: "limit must be positive, not \(limit)") }
            request.addQuery("limit", String(limit))
        }
        if let continueToken {
            // The token carries the snapshot: resourceVersion and resourceVersionMatch must not be sent with it.
            request.addQuery("continue", continueToken)
        } else {
            consistency.apply(to: &request, forGet: false)
        }
        if let timeoutSeconds { request.addQuery("timeoutSeconds", String(timeoutSeconds)) }
    }
}

/// Options of a watch.
public struct WatchOptions: Sendable, Hashable {
    /// Only objects whose labels match.
    public var labelSelector: LabelSelector?
    /// Only objects whose fields match (`metadata.name=web` watches one object).
    public var fieldSelector: FieldSelector?
    /// Where to start: `nil` sends the current state as synthetic `ADDED` events first; a version starts
    /// right after it (for example a list's ``ResourceList/resourceVersion``).
    public var resourceVersion: String?
    /// Asks the server to end each watch request after this many seconds (default 290, below the
    /// server's 5-minute minimum; the resilient ``ResourceClient/watch(_:)`` then resumes).
    public var timeoutSeconds: Int?
    /// Streams the initial state as `ADDED` events ending with a bookmark ("watch-list",
    /// `sendInitialEvents=true&resourceVersionMatch=NotOlderThan`).
    public var sendInitialEvents: Bool

    /// Creates options.
    public init(labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil, resourceVersion: String? = nil,
                timeoutSeconds: Int? = 290, sendInitialEvents: Bool = false) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.timeoutSeconds = timeoutSeconds
        self.sendInitialEvents = sendInitialEvents
    }

    func apply(to request: inout KubeRequest) throws {
        request.addQuery("watch", "true")
        request.addQuery("allowWatchBookmarks", "true")
        if let labelSelector, !labelSelector.isEmpty {
            try labelSelector.validate()
            request.addQuery("labelSelector", labelSelector.description)
        }
        if let fieldSelector, !fieldSelector.isEmpty { request.addQuery("fieldSelector", fieldSelector.description) }
        if let resourceVersion { request.addQuery("resourceVersion", resourceVersion) }
        if sendInitialEvents {
            request.addQuery("sendInitialEvents", "true")
            request.addQuery("resourceVersionMatch", "NotOlderThan")
        }
        if let timeoutSeconds { request.addQuery("timeoutSeconds", String(timeoutSeconds)) }
    }
}

/// How unknown or duplicate fields in a write are treated (`fieldValidation=`).
public enum FieldValidation: String, Sendable, Hashable {
    /// Dropped silently.
    case ignore = "Ignore"
    /// Dropped, with a `Warning` header (the server's default).
    case warn = "Warn"
    /// Rejected with 422 Invalid.
    case strict = "Strict"
}

/// Options of create, replace and patch.
public struct WriteOptions: Sendable, Hashable {
    /// Validate and admit without persisting (`dryRun=All`).
    public var dryRun: Bool
    /// The field manager recorded in `managedFields`.
    public var fieldManager: String?
    /// How unknown fields are treated.
    public var fieldValidation: FieldValidation?

    /// Creates options.
    public init(dryRun: Bool = false, fieldManager: String? = nil, fieldValidation: FieldValidation? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.fieldValidation = fieldValidation
    }

    func apply(to request: inout KubeRequest) throws {
        if dryRun { request.addQuery("dryRun", "All") }
        if let fieldManager {
            try ApplyOptions.validate(fieldManager: fieldManager)
            request.addQuery("fieldManager", fieldManager)
        }
        if let fieldValidation { request.addQuery("fieldValidation", fieldValidation.rawValue) }
    }
}

/// Options of server-side apply.
public struct ApplyOptions: Sendable, Hashable {
    /// The field manager that owns the applied fields (the client's ``KubeClient/fieldManager`` when `nil`).
    public var fieldManager: String?
    /// Take ownership of fields other managers own instead of failing with a conflict (`force=true`).
    public var force: Bool
    /// Validate and admit without persisting (`dryRun=All`).
    public var dryRun: Bool
    /// How unknown and duplicate fields are treated: ``FieldValidation/strict`` by default, as
    /// `kubectl apply --server-side` sends, so a misspelt field fails instead of being dropped; `nil` leaves
    /// it to the server (which warns).
    public var fieldValidation: FieldValidation?

    /// Creates options.
    public init(fieldManager: String? = nil, force: Bool = false, dryRun: Bool = false, fieldValidation: FieldValidation? = .strict) {
        self.fieldManager = fieldManager
        self.force = force
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
    }

    func apply(to request: inout KubeRequest, defaultManager: String) throws {
        let manager = fieldManager ?? defaultManager
        try Self.validate(fieldManager: manager)
        request.addQuery("fieldManager", manager)
        if force { request.addQuery("force", "true") }
        if dryRun { request.addQuery("dryRun", "All") }
        if let fieldValidation { request.addQuery("fieldValidation", fieldValidation.rawValue) }
    }

    static func validate(fieldManager: String) throws {
        guard !fieldManager.isEmpty, fieldManager.utf8.count <= 128,
              fieldManager.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control }) else {
            throw KubeError(code: .invalidArgument, message: "invalid field manager \"\(fieldManager)\"",
                            hint: "A field manager is 1 to 128 printable characters.")
        }
    }
}

/// What happens to an object's dependents when it is deleted.
public enum PropagationPolicy: String, Sendable, Hashable {
    /// Delete the object now, dependents in the background (the default for most kinds).
    case background = "Background"
    /// Delete dependents first; the object stays (with a `foregroundDeletion` finalizer) until they are gone.
    case foreground = "Foreground"
    /// Keep the dependents, removing their owner reference.
    case orphan = "Orphan"
}

/// Options of delete and delete-collection, sent as a `DeleteOptions` body.
public struct DeleteOptions: Sendable, Hashable {
    /// Seconds the object gets to terminate (`0` deletes immediately; `nil` uses the object's default).
    public var gracePeriodSeconds: Int64?
    /// What happens to dependents.
    public var propagationPolicy: PropagationPolicy?
    /// Delete only if the object still has this UID (409 Conflict otherwise).
    public var preconditionUID: String?
    /// Delete only if the object still has this resource version (409 Conflict otherwise).
    public var preconditionResourceVersion: String?
    /// Validate without deleting (`dryRun: ["All"]`).
    public var dryRun: Bool

    /// Creates options.
    public init(gracePeriodSeconds: Int64? = nil, propagationPolicy: PropagationPolicy? = nil, preconditionUID: String? = nil,
                preconditionResourceVersion: String? = nil, dryRun: Bool = false) {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.dryRun = dryRun
    }

    /// `true` when no option is set (then no body is sent).
    public var isEmpty: Bool { self == DeleteOptions() }

    /// The options as the API's `meta/v1` `DeleteOptions`.
    public var model: MetaV1.DeleteOptions {
        let preconditions = (preconditionUID != nil || preconditionResourceVersion != nil)
            ? MetaV1.Preconditions(resourceVersion: preconditionResourceVersion, uid: preconditionUID) : nil
        return MetaV1.DeleteOptions(
            apiVersion: "v1", dryRun: dryRun ? ["All"] : nil, gracePeriodSeconds: gracePeriodSeconds, kind: "DeleteOptions",
            preconditions: preconditions, propagationPolicy: propagationPolicy?.rawValue)
    }
}

/// A patch and its content type.
///
/// ```swift
/// try await deployments.patch("web", .merge(["spec": ["replicas": 3]]))
/// try await deployments.patch("web", .json([.replace("/spec/replicas", 3)]))
/// ```
public struct Patch: Sendable, Hashable {
    /// `application/json-patch+json`, `application/merge-patch+json` or `application/strategic-merge-patch+json`.
    public var contentType: String
    /// The patch document.
    public var body: [UInt8]

    /// A patch with an explicit content type and body.
    public init(contentType: String, body: [UInt8]) {
        self.contentType = contentType
        self.body = body
    }

    /// A JSON merge patch (RFC 7386): objects merge, `null` deletes, lists are replaced.
    public static func merge(_ document: JSONValue) -> Patch {
        Patch(contentType: "application/merge-patch+json", body: Array(document.jsonText.utf8))
    }

    /// A JSON merge patch from any encodable value (`nil` fields are left out, so they do not delete).
    public static func merge(encoding value: some Encodable) throws -> Patch {
        Patch(contentType: "application/merge-patch+json", body: try KubeCoding.encode(value))
    }

    /// A strategic merge patch (built-in kinds only): lists merge by their key (containers by name...).
    public static func strategicMerge(_ document: JSONValue) -> Patch {
        Patch(contentType: "application/strategic-merge-patch+json", body: Array(document.jsonText.utf8))
    }

    /// A JSON patch (RFC 6902): a list of operations.
    public static func json(_ operations: [JSONPatchOperation]) -> Patch {
        Patch(contentType: "application/json-patch+json", body: Array(JSONValue.array(operations.map(\.json)).jsonText.utf8))
    }
}

/// One JSON patch (RFC 6902) operation.
public struct JSONPatchOperation: Sendable, Hashable {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    public var op: String
    /// A JSON pointer, e.g. `/spec/replicas` (escape `/` in keys as `~1`: ``escape(_:)``).
    public var path: String
    /// The value, for add, replace and test.
    public var value: JSONValue?
    /// The source pointer, for move and copy.
    public var from: String?

    /// `add`.
    public static func add(_ path: String, _ value: JSONValue) -> JSONPatchOperation { .init(op: "add", path: path, value: value) }
    /// `remove`.
    public static func remove(_ path: String) -> JSONPatchOperation { .init(op: "remove", path: path) }
    /// `replace`.
    public static func replace(_ path: String, _ value: JSONValue) -> JSONPatchOperation { .init(op: "replace", path: path, value: value) }
    /// `move`.
    public static func move(from: String, to path: String) -> JSONPatchOperation { .init(op: "move", path: path, from: from) }
    /// `copy`.
    public static func copy(from: String, to path: String) -> JSONPatchOperation { .init(op: "copy", path: path, from: from) }
    /// `test`: the patch fails unless the value at `path` equals `value`.
    public static func test(_ path: String, _ value: JSONValue) -> JSONPatchOperation { .init(op: "test", path: path, value: value) }

    /// Escapes a key for a JSON pointer (`~` → `~0`, `/` → `~1`), e.g. for annotation keys.
    public static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    var json: JSONValue {
        var object: JSONObject = ["op": .string(op), "path": .string(path)]
        if let from { object["from"] = .string(from) }
        if let value { object["value"] = value }
        return .object(object)
    }
}

import KubeConfig
import KubeErrors
import KubeTransport

/// A change to a watched collection.
public enum WatchEvent<Resource: Sendable>: Sendable {
    /// The object was created (or, at the start of a watch without a resource version, already existed).
    case added(Resource)
    /// The object changed.
    case modified(Resource)
    /// The object was deleted; this is its last state.
    case deleted(Resource)
    /// A progress marker: the object carries only `metadata.resourceVersion` (and, ending the initial
    /// events of a watch-list, the annotation `k8s.io/initial-events-end: "true"`).
    case bookmark(Resource)
    /// Only from the resilient ``ResourceClient/watch(_:)``: the watch lost its place (410 Gone), so the
    /// collection was listed again. This is the complete current state: replace what you hold.
    case relisted([Resource])

    /// The event's object (`nil` for ``relisted(_:)``).
    public var object: Resource? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object), .bookmark(let object): object
        case .relisted: nil
        }
    }

    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` (as on the wire), or `RELISTED`.
    public var type: String {
        switch self {
        case .added: "ADDED"
        case .modified: "MODIFIED"
        case .deleted: "DELETED"
        case .bookmark: "BOOKMARK"
        case .relisted: "RELISTED"
        }
    }
}

/// The events of one watch request, decoded line by line as they arrive.
///
/// The sequence ends when the server closes the stream (its `timeoutSeconds`); an `ERROR` event throws
/// a ``KubeError`` with the event's `Status` (410 Gone for an expired resource version: `isGoneOrExpired`).
public struct WatchEventStream<Resource: KubeObject>: AsyncSequence, Sendable {
    /// An event.
    public typealias Element = WatchEvent<Resource>

    let response: KubeResponse
    let request: KubeRequest

    /// Iterates the events.
    public func makeAsyncIterator() -> Iterator {
        Iterator(lines: response.body.lines.makeAsyncIterator(), request: request)
    }

    /// Stops the stream and aborts the transfer.
    public func cancel() { response.body.cancel() }

    /// Decodes events.
    public struct Iterator: AsyncIteratorProtocol {
        var lines: KubeResponseLines.Iterator
        let request: KubeRequest

        /// The next event, `nil` when the server ended the stream.
        public mutating func next() async throws -> WatchEvent<Resource>? {
            while let line = try await lines.next() {
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { continue }
                return try WatchEventDecoding.decode(line, as: Resource.self, request: request)
            }
            return nil
        }
    }
}

enum WatchEventDecoding {
    struct Envelope<Object: Decodable>: Decodable {
        var type: String
        var object: Object
    }

    private struct TypeProbe: Decodable {
        var type: String
    }

    /// The event type without decoding the line: the API server writes `{"type":"…",` first.
    static func peekType(_ line: [UInt8]) -> String? {
        let prefix = Array(#"{"type":""#.utf8)
        guard line.count > prefix.count, line.starts(with: prefix) else { return nil }
        guard let end = line[prefix.count...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: line[prefix.count..<end], as: UTF8.self)
    }

    static func decode<Resource: Decodable & Sendable>(_ line: [UInt8], as: Resource.Type, request: KubeRequest) throws -> WatchEvent<Resource> {
        let type = try peekType(line) ?? KubeCoding.decode(TypeProbe.self, from: line, request: request).type
        if type == "ERROR" {
            let status = try KubeCoding.decode(Envelope<KubeStatus>.self, from: line, request: request).object
            throw KubeError(status: status, httpStatusCode: status.code,
                            request: .init(method: request.method.rawValue, path: request.path))
        }
        let object = try KubeCoding.decode(Envelope<Resource>.self, from: line, request: request).object
        switch type {
        case "ADDED": return .added(object)
        case "MODIFIED": return .modified(object)
        case "DELETED": return .deleted(object)
        case "BOOKMARK": return .bookmark(object)
        default:
            throw KubeError(code: .decoding, message: "unknown watch event type \"\(type)\"",
                            request: .init(method: request.method.rawValue, path: request.path))
        }
    }
}

extension ResourceClient {
    /// Opens one watch request (`GET .../{plural}?watch=true`) and returns its events once the server
    /// accepted it. The stream ends when the server closes it; nothing is resumed. Most callers want the
    /// resilient ``watch(_:)``.
    public func watchStream(_ options: WatchOptions = WatchOptions()) async throws -> WatchEventStream<Resource> {
        try client.authorize("watch", needs: .read, on: resourceName)
        var request = KubeRequest(.get, path: try collectionPath(), kind: .stream)
        try options.apply(to: &request)
        let response = try await client.transport.send(request)
        return WatchEventStream(response: response, request: request)
    }

    /// Watches the collection without end, as client-go's reflector does: when a stream ends or the
    /// connection drops it re-watches from the last resource version seen (bookmarks included); when that
    /// version is gone (410) it lists again — delivering ``WatchEvent/relisted(_:)`` — and watches from the
    /// list. Transient failures back off from 0.8 s to 30 s. Bookmarks advance the position but are not
    /// delivered. Unauthorized, forbidden and other permanent errors end the sequence by throwing.
    ///
    /// Without ``WatchOptions/resourceVersion`` the first request streams the current state as `ADDED`
    /// events; if that stream ends before any event or bookmark gave a version to resume from, the next
    /// request streams it again. Pass a list's ``ResourceList/resourceVersion`` to avoid that. Stop watching
    /// by cancelling the task or breaking out of the loop.
    public func watch(_ options: WatchOptions = WatchOptions()) -> ResourceWatch<Resource> {
        ResourceWatch(resources: self, options: options)
    }
}

/// The resilient watch of ``ResourceClient/watch(_:)``.
///
/// It ends only when the task is cancelled, when the consumer stops iterating, or on 401 Unauthorized and
/// 403 Forbidden (the transport has already tried refreshing the credentials once). Before the first
/// successful request, errors that another attempt cannot fix (a 404 for an unknown resource, a 400 for a
/// bad selector) end it too; after that, every failure — of a watch, of a re-list, of decoding a line —
/// goes through the same backoff and the watch carries on. Under a test transport whose script is over
/// (``KubeError/Code/endOfRecording``, from KubeTesting) it finishes normally.
public struct ResourceWatch<Resource: KubeObject>: AsyncSequence, Sendable {
    /// An event.
    public typealias Element = WatchEvent<Resource>

    let resources: ResourceClient<Resource>
    let options: WatchOptions
    /// The pause between re-watches after a stream ended normally (client-go's RetryWatcher: 1 s).
    var restartDelay: Duration = .seconds(1)
    /// The first back-off after a failure; doubles up to ``maximumBackoff``.
    var initialBackoff: Duration = .milliseconds(800)
    var maximumBackoff: Duration = .seconds(30)
    /// What the pauses sleep on; tests inject one.
    var clock: any Clock<Duration> = ContinuousClock()

    /// Starts watching when first asked for an event.
    public func makeAsyncIterator() -> Iterator { Iterator(watch: self) }

    /// The same watch with other pauses, slept on `clock` (tests use short pauses or a clock that records).
    public func pacing(restartDelay: Duration, initialBackoff: Duration, maximumBackoff: Duration,
                       clock: any Clock<Duration> = ContinuousClock()) -> ResourceWatch {
        var copy = self
        copy.restartDelay = restartDelay
        copy.initialBackoff = initialBackoff
        copy.maximumBackoff = maximumBackoff
        copy.clock = clock
        return copy
    }

    /// Follows the collection.
    public struct Iterator: AsyncIteratorProtocol {
        let watch: ResourceWatch
        var stream: WatchEventStream<Resource>.Iterator?
        /// The resource version to resume from.
        public private(set) var resourceVersion: String?
        var needsRelist = false
        var startedOnce = false
        /// Whether a request has succeeded: from then on only 401/403 end the watch.
        var established = false
        /// A test transport said its script is over (``KubeError/Code/endOfRecording``).
        var finished = false
        var backoff: Duration

        init(watch: ResourceWatch) {
            self.watch = watch
            resourceVersion = watch.options.resourceVersion
            backoff = watch.initialBackoff
        }

        /// The next event; waits (and reconnects) as long as it takes.
        public mutating func next() async throws -> WatchEvent<Resource>? {
            while !finished {
                try Task.checkCancellation()
                do {
                    if needsRelist {
                        let (items, version) = try await relist()
                        needsRelist = false
                        established = true
                        backoff = watch.initialBackoff
                        resourceVersion = version
                        return .relisted(items)
                    }
                    if stream == nil {
                        if startedOnce { try await watch.clock.sleep(for: watch.restartDelay) }
                        startedOnce = true
                        var options = watch.options
                        options.resourceVersion = resourceVersion
                        // The initial-events mode only makes sense for the first request.
                        if resourceVersion != nil { options.sendInitialEvents = false }
                        stream = try await watch.resources.watchStream(options).makeAsyncIterator()
                        established = true
                    }
                    guard let event = try await stream?.next() else {
                        stream = nil  // a normal end: re-watch from resourceVersion
                        continue
                    }
                    backoff = watch.initialBackoff
                    if let version = event.object?.metadata?.resourceVersion, !version.isEmpty { resourceVersion = version }
                    if case .bookmark = event { continue }
                    return event
                } catch let error as KubeError where error.code == .endOfRecording {
                    // A recorded or scripted test: no more responses, so the watch ends as a finite stream.
                    stream = nil
                    finished = true
                } catch let error as KubeError {
                    stream = nil
                    try await handle(error)
                }
            }
            return nil
        }

        private mutating func handle(_ error: KubeError) async throws {
            if error.isGoneOrExpired || error.status?.details?.causes?.contains(where: { $0.reason == "ResourceVersionTooLarge" }) == true {
                needsRelist = true
                return
            }
            if error.code == .cancelled || error.code == .unauthorized || error.isUnauthorized || error.isForbidden { throw error }
            let transient = error.code == .transport || error.code == .timeout || error.isTooManyRequests
                || (error.code == .api && (error.httpStatusCode ?? 0) >= 500)
            guard transient || established else { throw error }
            let retryAfter = error.status?.details?.retryAfterSeconds.map { Duration.seconds($0) }
            try await watch.clock.sleep(for: Swift.max(retryAfter ?? .zero, backoff))
            backoff = Swift.min(backoff * 2, watch.maximumBackoff)
        }

        private func relist() async throws -> ([Resource], String?) {
            let options = ListOptions(labelSelector: watch.options.labelSelector, fieldSelector: watch.options.fieldSelector)
            var pages = watch.resources.listAll(options).makeAsyncIterator()
            var items: [Resource] = []
            while let item = try await pages.next() { items.append(item) }
            return (items, pages.resourceVersion)
        }
    }
}

extension WatchEventDecoding.Envelope: JSONFastDecodable where Object: JSONFastDecodable {
    init(from cursor: inout JSONCursor) throws {
        var type: String?
        var object: Object?
        try cursor.beginObject()
        while let key = try cursor.nextKey() {
            switch key {
            case "type": type = try cursor.decode(String.self)
            case "object": object = try cursor.decode(Object.self)
            default: try cursor.skipValue()
            }
        }
        guard let type, let object else { throw cursor.fail("a watch event needs type and object") }
        self.init(type: type, object: object)
    }
}

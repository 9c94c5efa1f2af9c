import KubeErrors

/// A response whose status and headers have arrived; the body streams.
public struct KubeResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The response headers.
    public var headers: HTTPHeaders
    /// The body, consumed whole (``KubeResponseBody/collect(upTo:)``) or as chunks or lines.
    public var body: KubeResponseBody
    /// The `Warning` headers, parsed.
    public var warnings: [KubeWarning]
    /// The protocol that carried the response (`HTTP/2`, `HTTP/1.1`), when known.
    public var httpVersion: String?

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = [:], body: KubeResponseBody, httpVersion: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.warnings = KubeWarning.parse(headers.values(for: "Warning"))
        self.httpVersion = httpVersion
    }
}

/// The body of a response: an async sequence of byte chunks with back-pressure.
///
/// A body is consumed once. When the consumer falls behind, the transport stops reading from the network
/// (libcurl's pause) instead of buffering without bound; dropping the body or cancelling the task that
/// reads it aborts the transfer.
public struct KubeResponseBody: AsyncSequence, Sendable {
    /// A chunk of bytes.
    public typealias Element = [UInt8]

    let stream: BodyStream
    private let handle: ConsumerHandle

    init(stream: BodyStream) {
        self.stream = stream
        self.handle = ConsumerHandle(stream: stream)
    }

    /// A body that is already complete.
    public static func bytes(_ bytes: [UInt8]) -> KubeResponseBody {
        let stream = BodyStream()
        if !bytes.isEmpty { _ = stream.yield(bytes) }
        stream.finish()
        return KubeResponseBody(stream: stream)
    }

    /// A body fed by a producer (for custom transports and tests).
    /// - Returns: the body and the writer that feeds it.
    public static func makeStream(highWatermark: Int = BodyStream.defaultHighWatermark,
                                  lowWatermark: Int = BodyStream.defaultLowWatermark) -> (KubeResponseBody, BodyWriter) {
        let stream = BodyStream(highWatermark: highWatermark, lowWatermark: lowWatermark)
        return (KubeResponseBody(stream: stream), BodyWriter(stream: stream))
    }

    /// Reads the whole body.
    /// - Throws: ``KubeError/Code/responseTooLarge`` past `limit` bytes, or the transfer's error.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var result: [UInt8] = []
        for try await chunk in self {
            if result.count + chunk.count > limit {
                stream.cancel()
                throw KubeError(code: .responseTooLarge,
                                message: "the response body is larger than the limit of \(limit) bytes",
                                hint: "Raise the transport's maximumResponseSize, or page through the list with limit/continue.")
            }
            if result.isEmpty { result = chunk } else { result.append(contentsOf: chunk) }
        }
        return result
    }

    /// The body split into lines (without the `\n`; a final line without `\n` is included).
    public var lines: KubeResponseLines { KubeResponseLines(body: self) }

    /// Makes the iterator.
    public func makeAsyncIterator() -> Iterator { Iterator(body: self) }

    /// Iterates chunks.
    public struct Iterator: AsyncIteratorProtocol {
        let body: KubeResponseBody
        /// The next chunk, or `nil` at the end.
        public mutating func next() async throws -> [UInt8]? { try await body.stream.next() }
    }

    /// Cancels the transfer; further reads end with `CancellationError`.
    public func cancel() { stream.cancel() }
}

/// Feeds a ``KubeResponseBody`` (see ``KubeResponseBody/makeStream(highWatermark:lowWatermark:)``).
public struct BodyWriter: Sendable {
    let stream: BodyStream
    /// Appends bytes. Returns `false` when the consumer is behind: the bytes were NOT taken, and the
    /// producer should pause and write them again after the resume handler runs.
    @discardableResult public func write(_ bytes: [UInt8]) -> Bool { stream.yield(bytes) }
    /// Ends the body, successfully or with an error.
    public func finish(throwing error: (any Error)? = nil) { stream.finish(throwing: error) }
    /// Called (on the consumer's thread) when a paused producer may resume.
    public func onResume(_ handler: @escaping @Sendable () -> Void) { stream.setResumeHandler(handler) }
    /// Called when the consumer cancels or drops the body.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) { stream.setCancelHandler(handler) }
}

/// The lines of a body.
public struct KubeResponseLines: AsyncSequence, Sendable {
    /// One line, without its `\n`.
    public typealias Element = [UInt8]
    let body: KubeResponseBody

    /// Makes the iterator.
    public func makeAsyncIterator() -> Iterator { Iterator(chunks: body.makeAsyncIterator()) }

    /// Iterates lines.
    public struct Iterator: AsyncIteratorProtocol {
        var chunks: KubeResponseBody.Iterator
        var buffer: [UInt8] = []
        /// Where the next line starts.
        var start = 0
        /// How far the buffer has been searched for a newline (each byte is looked at once).
        var scanned = 0
        var finished = false

        init(chunks: KubeResponseBody.Iterator) { self.chunks = chunks }

        /// The next line, or `nil` at the end.
        public mutating func next() async throws -> [UInt8]? {
            while true {
                if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(buffer[start..<newline])
                    start = newline + 1
                    scanned = start
                    return line
                }
                scanned = buffer.count
                if finished {
                    guard start < buffer.count else { return nil }
                    let line = Array(buffer[start...])
                    start = buffer.count
                    scanned = start
                    return line
                }
                // Drop consumed bytes only when they are most of the buffer, so a chunk holding many
                // lines is not shifted once per line.
                if start > 0, start >= buffer.count / 2 {
                    buffer.removeFirst(start)
                    scanned -= start
                    start = 0
                }
                if let chunk = try await chunks.next() {
                    if start == buffer.count {
                        buffer = chunk
                        start = 0
                        scanned = 0
                    } else {
                        buffer.append(contentsOf: chunk)
                    }
                } else {
                    finished = true
                }
            }
        }
    }
}

/// Aborts the transfer when the last copy of a body is dropped without being read to the end.
final class ConsumerHandle: Sendable {
    let stream: BodyStream
    init(stream: BodyStream) { self.stream = stream }
    deinit { stream.consumerGone() }
}

import KubeErrors

/// Bytes from a remote stream (a command's stdout or stderr, a forwarded port), in the order they came.
///
/// Iterate it (`for try await chunk in session.stdout`) or read it whole with ``collect(upTo:)``. It holds at
/// most about a megabyte that nobody has read: beyond that the session stops reading from the server, which
/// slows the remote side down instead of growing memory. Read every stream you asked for (or use
/// ``ExecSession/collect(upTo:)``), or a full one stalls the others.
public struct RemoteByteStream: AsyncSequence, Sendable {
    /// A chunk of bytes, as it arrived.
    public typealias Element = [UInt8]
    let buffer: StreamBuffer

    /// Iterates the chunks.
    public func makeAsyncIterator() -> Iterator { Iterator(buffer: buffer) }

    /// The next chunk, or `nil` at the end.
    public struct Iterator: AsyncIteratorProtocol {
        let buffer: StreamBuffer
        /// The next chunk, or `nil` at the end; throws the error that ended the stream.
        public mutating func next() async throws -> [UInt8]? { try await buffer.next() }
    }

    /// Reads everything to the end.
    /// - Parameter limit: The most bytes to accept; more throws ``KubeError/Code/responseTooLarge``.
    public func collect(upTo limit: Int = 64 << 20) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            guard bytes.count + chunk.count <= limit else {
                throw KubeError(code: .responseTooLarge, message: "the remote stream sent more than \(limit) bytes")
            }
            bytes += chunk
        }
        return bytes
    }
}

/// A bounded queue of chunks between the task reading the WebSocket and the consumer.
final class StreamBuffer: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bytes = 0
        var finished = false
        var failure: (any Error)?
        var reader: CheckedContinuation<[UInt8]?, any Error>?
        var writer: CheckedContinuation<Void, Never>?
    }

    private let state = Locked(State())
    let limit: Int

    init(limit: Int = 1 << 20) { self.limit = limit }

    /// A buffer that is already at its end (a stream that was not requested).
    static func finished() -> StreamBuffer {
        let buffer = StreamBuffer()
        buffer.finish()
        return buffer
    }

    /// Adds a chunk; waits while the buffer is over its limit (back-pressure to the socket).
    func append(_ chunk: [UInt8]) async {
        guard !chunk.isEmpty else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (reader, mustWait) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, Bool) in
                guard !state.finished else { return (nil, false) }
                if let reader = state.reader {
                    state.reader = nil
                    return (reader, false)
                }
                state.chunks.append(chunk)
                state.bytes += chunk.count
                if state.bytes > limit {
                    state.writer = continuation
                    return (nil, true)
                }
                return (nil, false)
            }
            reader?.resume(returning: chunk)
            if !mustWait { continuation.resume() }
        }
    }

    /// Ends the stream (with `error`, or normally); a waiting writer is let go.
    func finish(throwing error: (any Error)? = nil) {
        let (reader, writer) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, CheckedContinuation<Void, Never>?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            state.failure = error
            defer { state.reader = nil; state.writer = nil }
            return (state.chunks.count > state.head ? nil : state.reader, state.writer)
        }
        if let reader {
            if let error { reader.resume(throwing: error) } else { reader.resume(returning: nil) }
        }
        writer?.resume()
    }

    /// The next chunk; `nil` at the end. Cancelling the waiting task throws `CancellationError` (the buffer
    /// stays usable).
    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let (result, writer) = state.withLock { state -> (Result<[UInt8]?, any Error>?, CheckedContinuation<Void, Never>?) in
                    if state.head < state.chunks.count {
                        let chunk = state.chunks[state.head]
                        state.head += 1
                        if state.head == state.chunks.count { state.chunks.removeAll(keepingCapacity: true); state.head = 0 }
                        state.bytes -= chunk.count
                        var writer: CheckedContinuation<Void, Never>?
                        if state.bytes <= limit / 2 { writer = state.writer; state.writer = nil }
                        return (.success(chunk), writer)
                    }
                    if state.finished { return (state.failure.map { .failure($0) } ?? .success(nil), nil) }
                    if Task.isCancelled { return (.failure(CancellationError()), nil) }
                    state.reader = continuation
                    return (nil, nil)
                }
                writer?.resume()
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let reader = state.withLock { state in
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume(throwing: CancellationError())
        }
    }
}

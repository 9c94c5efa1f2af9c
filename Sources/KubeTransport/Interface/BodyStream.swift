import KubeErrors

/// The buffer between a producer (the libcurl thread) and one async consumer, with back-pressure.
///
/// The producer ``yield(_:)``s chunks; once more than `highWatermark` bytes wait, `yield` returns `false`
/// and the producer pauses. When the consumer has drained the buffer to `lowWatermark`, the resume handler
/// runs and the producer continues. Memory therefore stays bounded whatever the stream's length.
public final class BodyStream: Sendable {
    /// Default: pause the network once 4 MiB wait unread.
    public static let defaultHighWatermark = 4 << 20
    /// Default: resume once the backlog is down to 1 MiB.
    public static let defaultLowWatermark = 1 << 20

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var buffered = 0
        var peakBuffered = 0
        var finished = false
        var failure: (any Error)?
        var paused = false
        var cancelled = false
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var onResume: (@Sendable () -> Void)?
        var onCancel: (@Sendable () -> Void)?
    }

    private let state = Locked(State())
    let highWatermark: Int
    let lowWatermark: Int

    init(highWatermark: Int = BodyStream.defaultHighWatermark, lowWatermark: Int = BodyStream.defaultLowWatermark) {
        self.highWatermark = highWatermark
        self.lowWatermark = min(lowWatermark, highWatermark)
    }

    /// The most bytes that were buffered at once (for tests and diagnostics).
    var peakBufferedBytes: Int { state.withLock { $0.peakBuffered } }

    func setResumeHandler(_ handler: @escaping @Sendable () -> Void) { state.withLock { $0.onResume = handler } }
    func setCancelHandler(_ handler: @escaping @Sendable () -> Void) { state.withLock { $0.onCancel = handler } }

    /// Adds a chunk, or refuses it when the buffer is full: then it returns `false`, the chunk is NOT
    /// kept, and the producer must pause and offer it again once the resume handler has run.
    func yield(_ chunk: [UInt8]) -> Bool {
        let waiter: CheckedContinuation<[UInt8]?, any Error>?
        let keepGoing: Bool
        (waiter, keepGoing) = state.withLock { state in
            guard !state.finished, !state.cancelled else { return (nil, true) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            // Full: refuse the chunk. The producer pauses and offers the same bytes again after resuming
            // (libcurl re-delivers the data of a write callback that returned CURL_WRITEFUNC_PAUSE).
            if state.buffered >= highWatermark {
                state.paused = true
                return (nil, false)
            }
            state.chunks.append(chunk)
            state.buffered += chunk.count
            state.peakBuffered = max(state.peakBuffered, state.buffered)
            return (nil, true)
        }
        waiter?.resume(returning: chunk)
        return keepGoing
    }

    /// Ends the stream.
    func finish(throwing error: (any Error)? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = error
            state.onResume = nil
            state.onCancel = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// The next chunk; waits when none is buffered.
    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                enum Action { case chunk([UInt8], resume: (@Sendable () -> Void)?), end, fail(any Error), wait }
                let action: Action = state.withLock { state in
                    if state.head < state.chunks.count {
                        let chunk = state.chunks[state.head]
                        state.head += 1
                        state.buffered -= chunk.count
                        if state.head == state.chunks.count {
                            state.chunks.removeAll(keepingCapacity: true)
                            state.head = 0
                        } else if state.head > 64 {
                            state.chunks.removeFirst(state.head)
                            state.head = 0
                        }
                        var resume: (@Sendable () -> Void)?
                        if state.paused, state.buffered <= lowWatermark {
                            state.paused = false
                            resume = state.onResume
                        }
                        return .chunk(chunk, resume: resume)
                    }
                    if state.cancelled { return .fail(CancellationError()) }
                    if state.finished { return state.failure.map { .fail($0) } ?? .end }
                    state.waiter = continuation
                    return .wait
                }
                switch action {
                case .chunk(let chunk, let resume):
                    resume?()
                    continuation.resume(returning: chunk)
                case .end: continuation.resume(returning: nil)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// Stops the stream from the consumer side and aborts the producer.
    func cancel() {
        let (waiter, onCancel) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, (@Sendable () -> Void)?) in
            guard !state.cancelled else { return (nil, nil) }
            state.cancelled = true
            state.chunks.removeAll()
            state.head = 0
            state.buffered = 0
            let handler = state.finished ? nil : state.onCancel
            state.onCancel = nil
            state.onResume = nil
            defer { state.waiter = nil }
            return (state.waiter, handler)
        }
        waiter?.resume(throwing: CancellationError())
        onCancel?()
    }

    /// The consumer dropped the body: abort the transfer unless it already ended.
    func consumerGone() {
        let handler = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.finished, !state.cancelled else { return nil }
            state.cancelled = true
            state.chunks.removeAll()
            defer { state.onCancel = nil }
            return state.onCancel
        }
        handler?()
    }
}

import Foundation
import KubeErrors
#if canImport(Glibc)
import Glibc
#endif

/// What one non-blocking read or write did.
enum SocketIO {
    case transferred(Int)
    case wouldBlock
    case endOfStream
    case failed(String)
}

/// A socket the loop reads and writes without blocking: a libcurl connect-only connection (TLS inside
/// libcurl) or a plain local TCP socket. Used only on the loop's thread once registered.
protocol SocketEndpoint: AnyObject {
    /// The descriptor to poll.
    var descriptor: Int32 { get }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> SocketIO
    func write(_ buffer: UnsafeRawBufferPointer) -> SocketIO
    /// Half-closes the sending side (TCP FIN) where the endpoint can; the peer then reads end of stream.
    func shutdownWrite()
    /// Releases the socket (and the libcurl handle, TLS state).
    func close()
}

/// The async side of a registered socket: reads and writes with back-pressure in both directions.
///
/// Reading: the loop stops reading once ``highWatermark`` bytes wait unread, so a slow consumer slows the
/// peer through TCP instead of growing memory. Writing: `write` returns once the bytes are queued, but waits
/// first while more than ``highWatermark`` bytes are queued and not yet sent.
final class SocketStream: Sendable {
    struct State {
        var inbound: [[UInt8]] = []
        var inboundHead = 0
        var inboundBytes = 0
        var peakInboundBytes = 0
        var readWaiter: CheckedContinuation<[UInt8]?, any Error>?
        /// The peer finished sending (`nil` error) or the stream failed.
        var ended = false
        var failure: KubeError?
        var outbound: [[UInt8]] = []
        var outboundHead = 0
        var outboundBytes = 0
        var writeWaiters: [CheckedContinuation<Void, any Error>] = []
        var finishWriting = false
        var closeRequested = false
        /// The loop stopped reading because the consumer is behind.
        var readPaused = false
        var lastRead = ContinuousClock.now
    }

    let state = Locked(State())
    let highWatermark: Int
    let lowWatermark: Int
    fileprivate let loop: SocketLoop

    fileprivate init(loop: SocketLoop, highWatermark: Int) {
        self.loop = loop
        self.highWatermark = highWatermark
        self.lowWatermark = highWatermark / 4
    }

    /// The next bytes received, or `nil` once the peer finished sending.
    func read() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let (immediate, wake) = state.withLock { state -> (Result<[UInt8]?, any Error>?, Bool) in
                    if let chunk = Self.take(&state, lowWatermark: lowWatermark) { return (.success(chunk.bytes), chunk.wake) }
                    if let failure = state.failure { return (.failure(failure), false) }
                    if state.ended { return (.success(nil), false) }
                    if Task.isCancelled { return (.failure(CancellationError()), false) }
                    precondition(state.readWaiter == nil, "SocketStream.read() called concurrently")
                    state.readWaiter = continuation
                    return (nil, false)
                }
                if wake { loop.wake() }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.readWaiter = nil }
                return state.readWaiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    static func take(_ state: inout State, lowWatermark: Int) -> (bytes: [UInt8], wake: Bool)? {
        guard state.inboundHead < state.inbound.count else { return nil }
        let chunk = state.inbound[state.inboundHead]
        state.inboundHead += 1
        if state.inboundHead == state.inbound.count {
            state.inbound.removeAll(keepingCapacity: true)
            state.inboundHead = 0
        }
        state.inboundBytes -= chunk.count
        let wake = state.readPaused && state.inboundBytes <= lowWatermark
        if wake { state.readPaused = false }
        return (chunk, wake)
    }

    /// Queues `bytes` for sending; waits while too much is queued already.
    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result = state.withLock { state -> Result<Void, any Error>? in
                if let failure = state.failure { return .failure(failure) }
                if state.closeRequested || state.finishWriting {
                    return .failure(KubeError(code: .transport, message: "the connection is closed for writing"))
                }
                state.outbound.append(bytes)
                state.outboundBytes += bytes.count
                if state.outboundBytes > highWatermark {
                    state.writeWaiters.append(continuation)
                    return nil
                }
                return .success(())
            }
            loop.wake()
            if let result { continuation.resume(with: result) }
        }
    }

    /// Sends what is queued, then half-closes (where the endpoint can).
    func finishWriting() {
        state.withLock { $0.finishWriting = true }
        loop.wake()
    }

    /// Closes the socket now; queued bytes are dropped, a waiting reader gets end of stream.
    func close() {
        state.withLock { $0.closeRequested = true }
        loop.wake()
    }

    /// Fails the stream with `error` (a reader and writers get it) and closes the socket.
    func fail(_ error: KubeError) {
        let (reader, writers) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, [CheckedContinuation<Void, any Error>]) in
            if state.failure == nil, !state.ended { state.failure = error }
            state.closeRequested = true
            defer { state.readWaiter = nil; state.writeWaiters = [] }
            return (state.readWaiter, state.writeWaiters)
        }
        reader?.resume(throwing: error)
        for writer in writers { writer.resume(throwing: error) }
        loop.wake()
    }

    /// How long nothing has been read while the loop was willing to read (zero while paused by back-pressure).
    var idleTime: Duration {
        state.withLock { state in state.readPaused ? .zero : ContinuousClock.now - state.lastRead }
    }

    /// The most bytes that waited unread at once (for tests of back-pressure).
    var peakInboundBytes: Int { state.withLock { $0.peakInboundBytes } }
}

/// One thread polling every registered socket: upgraded connections (exec, attach, port-forward) and the
/// local sockets of port-forwarding. Started on first use; idle, it sleeps in `poll` on a wake pipe.
final class SocketLoop: @unchecked Sendable {
    // @unchecked: `entries` and the endpoints are touched only on the loop thread; other threads use
    // `pending` (under its lock) and the wake pipe, whose writes are thread-safe.
    static let shared = SocketLoop()

    private let wakePipe = WakePipe()
    private let pending = Locked<[Entry]>([])
    private var entries: [Entry] = []
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    private final class Entry {
        let endpoint: any SocketEndpoint
        let stream: SocketStream
        var current: [UInt8] = []
        var currentOffset = 0
        /// The last read stopped before the socket said "would block" (TLS may hold decrypted bytes that poll
        /// cannot see): read again without waiting for readiness.
        var mayHaveMore = false
        var shutDownWrite = false
        init(endpoint: any SocketEndpoint, stream: SocketStream) {
            self.endpoint = endpoint
            self.stream = stream
        }
    }

    private init() {
        let thread = Thread { [self] in run() }
        thread.name = "KubeKit.SocketLoop"
        thread.start()
    }

    /// Hands `endpoint` to the loop; from now on only the loop touches it.
    func register(_ endpoint: any SocketEndpoint, highWatermark: Int = 1 << 20) -> SocketStream {
        let stream = SocketStream(loop: self, highWatermark: highWatermark)
        pending.withLock { $0.append(Entry(endpoint: endpoint, stream: stream)) }
        wake()
        return stream
    }

    func wake() {
        wakePipe.signal()
    }

    private func run() {
        var descriptors: [pollfd] = []
        while true {
            entries += pending.withLock { list in defer { list.removeAll() }; return list }
            var immediate = false
            descriptors.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0))
            var index = 0
            while index < entries.count {
                let entry = entries[index]
                let (wantsRead, wantsWrite, close) = entry.stream.state.withLock { state in
                    let unsent = !entry.current.isEmpty || !state.outbound.isEmpty
                    // Both directions are done: the peer finished and everything was sent.
                    let done = state.ended && state.finishWriting && entry.shutDownWrite && !unsent
                    return (!state.ended && state.failure == nil && state.inboundBytes < entry.stream.highWatermark,
                            unsent || (state.finishWriting && !entry.shutDownWrite),
                            state.closeRequested || done)
                }
                if close {
                    finish(entry, error: nil)
                    entries.remove(at: index)
                    continue
                }
                if wantsRead && entry.mayHaveMore { immediate = true }
                var events: Int16 = 0
                if wantsRead { events |= Int16(POLLIN) }
                if wantsWrite { events |= Int16(POLLOUT) }
                // Nothing to wait for (the peer finished, nothing to send): leave the descriptor out, or its
                // POLLHUP would wake the loop forever.
                descriptors.append(pollfd(fd: events == 0 ? -1 : entry.endpoint.descriptor, events: events, revents: 0))
                index += 1
            }
            _ = poll(&descriptors, nfds_t(descriptors.count), immediate ? 0 : -1)
            if descriptors[0].revents != 0 {
                wakePipe.drain()
            }
            var removed: Set<ObjectIdentifier> = []
            for (offset, entry) in entries.enumerated() {
                let events = descriptors[offset + 1]
                var error: KubeError?
                if events.events & Int16(POLLOUT) != 0, events.revents != 0 {
                    error = flush(entry)
                }
                let readable = events.events & Int16(POLLIN) != 0 && (events.revents != 0 || entry.mayHaveMore)
                if error == nil, readable {
                    error = receive(entry)
                }
                if let error {
                    finish(entry, error: error)
                    removed.insert(ObjectIdentifier(entry))
                }
            }
            if !removed.isEmpty { entries.removeAll { removed.contains(ObjectIdentifier($0)) } }
        }
    }

    /// Reads what is available (up to the high watermark) and hands it to the stream.
    private func receive(_ entry: Entry) -> KubeError? {
        var chunks: [[UInt8]] = []
        var total = 0
        let room = entry.stream.state.withLock { entry.stream.highWatermark - $0.inboundBytes }
        var ended = false
        var failure: KubeError?
        entry.mayHaveMore = false
        // Fill the read buffer across several reads (TLS hands over one 16 KiB record per read) and hand it
        // over as one chunk: a few large chunks cost far fewer wake-ups than many small ones.
        var filled = 0
        reading: while total < room {
            let space = min(buffer.count - filled, room - total)
            let result = buffer.withUnsafeMutableBytes { raw in
                entry.endpoint.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<(filled + space)]))
            }
            switch result {
            case .transferred(let count):
                filled += count
                total += count
                if filled == buffer.count {
                    chunks.append(Array(buffer[0..<filled]))
                    filled = 0
                }
            case .wouldBlock:
                break reading
            case .endOfStream:
                ended = true
                break reading
            case .failed(let text):
                failure = KubeError(code: .transport, message: "the connection failed while reading: \(text)")
                break reading
            }
        }
        if filled > 0 { chunks.append(Array(buffer[0..<filled])) }
        if total >= room, !ended, failure == nil { entry.mayHaveMore = true }
        let handover = entry.stream.state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>, [UInt8]?)? in
            if total > 0 { state.lastRead = .now }
            state.inbound += chunks
            state.inboundBytes += total
            state.peakInboundBytes = max(state.peakInboundBytes, state.inboundBytes)
            if state.inboundBytes >= entry.stream.highWatermark { state.readPaused = true }
            if ended { state.ended = true }
            guard let waiter = state.readWaiter else { return nil }
            // A waiting reader gets the first chunk (this is the loop thread: no wake-up needed), or the end.
            let chunk = SocketStream.take(&state, lowWatermark: entry.stream.lowWatermark)?.bytes
            guard chunk != nil || state.ended || failure != nil else { return nil }
            state.readWaiter = nil
            return (waiter, chunk)
        }
        if let (waiter, chunk) = handover {
            if let chunk { waiter.resume(returning: chunk) } else if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
        }
        return failure
    }

    /// Writes queued bytes until the socket would block.
    private func flush(_ entry: Entry) -> KubeError? {
        while true {
            if entry.current.isEmpty || entry.currentOffset == entry.current.count {
                let next = entry.stream.state.withLock { state -> [UInt8]? in
                    guard state.outboundHead < state.outbound.count else { return nil }
                    // A head index, not removeFirst: that would move every queued frame for each one sent.
                    let chunk = state.outbound[state.outboundHead]
                    state.outboundHead += 1
                    if state.outboundHead == state.outbound.count { state.outbound.removeAll(keepingCapacity: true); state.outboundHead = 0 }
                    return chunk
                }
                guard let next else {
                    entry.current = []
                    entry.currentOffset = 0
                    let finishing = entry.stream.state.withLock { $0.finishWriting }
                    if finishing, !entry.shutDownWrite {
                        entry.shutDownWrite = true
                        entry.endpoint.shutdownWrite()
                    }
                    return nil
                }
                entry.current = next
                entry.currentOffset = 0
            }
            let result = entry.current.withUnsafeBytes { raw in
                entry.endpoint.write(UnsafeRawBufferPointer(rebasing: raw[entry.currentOffset...]))
            }
            switch result {
            case .transferred(let count):
                entry.currentOffset += count
                let waiters = entry.stream.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
                    state.outboundBytes -= count
                    guard state.outboundBytes <= entry.stream.lowWatermark else { return [] }
                    defer { state.writeWaiters = [] }
                    return state.writeWaiters
                }
                for waiter in waiters { waiter.resume() }
            case .wouldBlock:
                return nil
            case .endOfStream:
                return KubeError(code: .transport, message: "the connection was closed by the peer while sending")
            case .failed(let text):
                return KubeError(code: .transport, message: "the connection failed while sending: \(text)")
            }
        }
    }

    /// Closes the endpoint and tells the stream's waiters.
    private func finish(_ entry: Entry, error: KubeError?) {
        entry.endpoint.close()
        let (reader, writers) = entry.stream.state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, [CheckedContinuation<Void, any Error>]) in
            if let error, state.failure == nil, !state.closeRequested { state.failure = error }
            state.ended = true
            state.closeRequested = true
            state.outbound = []
            state.outboundHead = 0
            defer { state.readWaiter = nil; state.writeWaiters = [] }
            return (state.readWaiter, state.writeWaiters)
        }
        let closed = KubeError(code: .transport, message: "the connection is closed")
        if let reader {
            if let error { reader.resume(throwing: error) } else { reader.resume(returning: nil) }
        }
        for writer in writers { writer.resume(throwing: error ?? closed) }
    }
}

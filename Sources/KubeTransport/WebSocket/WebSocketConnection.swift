import Foundation
import KubeErrors

/// A client WebSocket over a socket of the socket loop (RFC 6455): masking, fragmentation, ping/pong and the
/// closing handshake. Messages go out with back-pressure (``send(_:)`` waits while too much is queued) and
/// come in with back-pressure (the loop stops reading while a megabyte waits unread).
///
/// It pings the server every ``Options/pingInterval`` and fails with ``KubeError/Code/timeout`` once nothing at
/// all (data or pong) has arrived for ``Options/idleTimeout`` while the reader kept up, so a dead peer ends the
/// session instead of hanging it.
final class WebSocketConnection: KubeUpgradedConnection {
    struct Options: Sendable {
        var pingInterval: Duration = .seconds(15)
        var idleTimeout: Duration = .seconds(61)
        var maximumMessageSize = 64 << 20
    }

    let selectedProtocol: String?
    private let stream: SocketStream
    private let reader: Reader
    private let closing = Locked((sent: false, pinger: nil as Task<Void, Never>?))

    init(stream: SocketStream, leftover: [UInt8], selectedProtocol: String?, options: Options) {
        self.stream = stream
        self.selectedProtocol = selectedProtocol
        var decoder = WebSocketFrameDecoder(maximumFrameSize: options.maximumMessageSize)
        decoder.append(leftover)
        self.reader = Reader(stream: stream, decoder: decoder, maximumMessageSize: options.maximumMessageSize)
        let pinger = Task { [stream] in
            let ping = WebSocketFrame(fin: true, opcode: .ping, payload: Array("kubekit".utf8))
            while !Task.isCancelled {
                do { try await Task.sleep(for: options.pingInterval) } catch { return }
                if stream.idleTime > options.idleTimeout {
                    stream.fail(KubeError(code: .timeout, message: "the WebSocket connection is dead: nothing arrived from the server "
                        + "(not even a pong) for \(CurlTransport.format(options.idleTimeout))"))
                    return
                }
                do { try await stream.write(ping.encoded(mask: .random(in: .min ... .max))) } catch { return }
            }
        }
        closing.withLock { $0.pinger = pinger }
    }

    deinit {
        closing.withLock { $0.pinger }?.cancel()
        stream.close()
    }

    func send(_ message: KubeUpgradedMessage) async throws {
        let frame: WebSocketFrame
        switch message {
        case .binary(let bytes): frame = WebSocketFrame(fin: true, opcode: .binary, payload: bytes)
        case .text(let text): frame = WebSocketFrame(fin: true, opcode: .text, payload: Array(text.utf8))
        }
        if closing.withLock({ $0.sent }) {
            throw KubeError(code: .transport, message: "the WebSocket connection is closed")
        }
        try await stream.write(frame.encoded(mask: .random(in: .min ... .max)))
    }

    func receive() async throws -> KubeUpgradedMessage? {
        try await reader.next { [self] control in
            switch control {
            case .pong(let payload):
                try? await stream.write(WebSocketFrame(fin: true, opcode: .pong, payload: payload).encoded(mask: .random(in: .min ... .max)))
            case .closeReply(let payload):
                await sendClose(payload: payload)
            }
        }
    }

    /// Sends a close frame (1000, normal closure); the socket closes when the server answers or, at the
    /// latest, two seconds later.
    func close() async {
        await sendClose(payload: [0x03, 0xE8])
        let stream = self.stream
        Task {
            try? await Task.sleep(for: .seconds(2))
            stream.close()
        }
    }

    private func sendClose(payload: [UInt8]) async {
        let (first, pinger) = closing.withLock { state -> (Bool, Task<Void, Never>?) in
            defer { state.sent = true }
            return (!state.sent, state.pinger)
        }
        pinger?.cancel()
        guard first else { return }
        try? await stream.write(WebSocketFrame(fin: true, opcode: .close, payload: payload).encoded(mask: .random(in: .min ... .max)))
        stream.finishWriting()
    }

    /// The most bytes that waited unread at once (back-pressure tests).
    var peakBufferedBytes: Int { stream.peakInboundBytes }

    enum Control {
        case pong([UInt8])
        case closeReply([UInt8])
    }

    /// The receiving half: decoder state, reassembly of fragmented messages.
    private actor Reader {
        let stream: SocketStream
        var decoder: WebSocketFrameDecoder
        let maximumMessageSize: Int
        var fragments: [UInt8] = []
        var fragmentOpcode: WebSocketFrame.Opcode?
        var finished = false

        init(stream: SocketStream, decoder: WebSocketFrameDecoder, maximumMessageSize: Int) {
            self.stream = stream
            self.decoder = decoder
            self.maximumMessageSize = maximumMessageSize
        }

        func next(control: @Sendable (Control) async -> Void) async throws -> KubeUpgradedMessage? {
            while !finished {
                guard let frame = try decoder.next() else {
                    guard let bytes = try await stream.read() else {
                        // RFC 6455 §7.1.5: closing the TCP connection without a close frame is an abnormal
                        // closure (1006): the session did not end, it was cut off.
                        finished = true
                        throw KubeError(code: .transport, message: "the connection to the server was lost: it closed without a WebSocket close frame")
                    }
                    decoder.append(bytes)
                    continue
                }
                switch frame.opcode {
                case .ping:
                    await control(.pong(frame.payload))
                case .pong:
                    break
                case .close:
                    finished = true
                    let code = frame.payload.count >= 2 ? Int(frame.payload[0]) << 8 | Int(frame.payload[1]) : 1005
                    await control(.closeReply(frame.payload.count >= 2 ? Array(frame.payload[0..<2]) : []))
                    if [1000, 1001, 1005].contains(code) { return nil }
                    let reason = frame.payload.count > 2 ? String(decoding: frame.payload[2...], as: UTF8.self) : ""
                    throw KubeError(code: .transport, message: "the server closed the WebSocket with code \(code)"
                        + (reason.isEmpty ? "" : ": \(reason)"))
                case .text, .binary:
                    guard fragmentOpcode == nil else {
                        throw WebSocketFrameDecoder.protocolError("a new message started before the fragmented one ended")
                    }
                    if frame.fin { return Self.message(frame.opcode, frame.payload) }
                    fragmentOpcode = frame.opcode
                    fragments = frame.payload
                case .continuation:
                    guard let opcode = fragmentOpcode else {
                        throw WebSocketFrameDecoder.protocolError("a continuation frame arrived outside a fragmented message")
                    }
                    fragments += frame.payload
                    guard fragments.count <= maximumMessageSize else {
                        throw KubeError(code: .responseTooLarge,
                                        message: "the server sent a WebSocket message of more than \(maximumMessageSize) bytes")
                    }
                    if frame.fin {
                        fragmentOpcode = nil
                        defer { fragments = [] }
                        return Self.message(opcode, fragments)
                    }
                }
            }
            return nil
        }

        static func message(_ opcode: WebSocketFrame.Opcode, _ payload: [UInt8]) -> KubeUpgradedMessage {
            opcode == .text ? .text(String(decoding: payload, as: UTF8.self)) : .binary(payload)
        }
    }
}

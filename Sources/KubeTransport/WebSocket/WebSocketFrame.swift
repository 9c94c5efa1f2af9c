import KubeErrors

/// One WebSocket frame (RFC 6455 §5.2).
struct WebSocketFrame: Sendable, Hashable {
    enum Opcode: UInt8, Sendable {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA

        var isControl: Bool { rawValue & 0x8 != 0 }
    }

    var fin: Bool
    var opcode: Opcode
    var payload: [UInt8]

    /// The frame as a client sends it: masked with `mask` (RFC 6455 §5.3 requires every client frame masked).
    func encoded(mask: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.count + 14)
        bytes.append((fin ? 0x80 : 0) | opcode.rawValue)
        let count = payload.count
        if count < 126 {
            bytes.append(0x80 | UInt8(count))
        } else if count <= 0xFFFF {
            bytes.append(0x80 | 126)
            bytes.append(UInt8(count >> 8)); bytes.append(UInt8(truncatingIfNeeded: count))
        } else {
            bytes.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: UInt64(count) >> UInt64(shift))) }
        }
        let maskBytes = [UInt8(truncatingIfNeeded: mask >> 24), UInt8(truncatingIfNeeded: mask >> 16),
                         UInt8(truncatingIfNeeded: mask >> 8), UInt8(truncatingIfNeeded: mask)]
        bytes.append(contentsOf: maskBytes)
        let start = bytes.count
        bytes.append(contentsOf: payload)
        Self.applyMask(maskBytes, to: &bytes, from: start)
        return bytes
    }

    /// XORs `bytes[start...]` with the 4-byte mask, eight bytes at a time.
    static func applyMask(_ mask: [UInt8], to bytes: inout [UInt8], from start: Int) {
        let count = bytes.count - start
        guard count > 0 else { return }
        var wide: UInt64 = 0
        for i in 0..<8 { wide |= UInt64(mask[i % 4]) << UInt64(i * 8) }
        bytes.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress! + start
            var offset = 0
            while offset + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                base.storeBytes(of: word ^ wide, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < count {
                base.storeBytes(of: base.load(fromByteOffset: offset, as: UInt8.self) ^ mask[offset % 4], toByteOffset: offset, as: UInt8.self)
                offset += 1
            }
        }
    }
}

/// Reads frames from the bytes a server sends, however they were split, and checks what RFC 6455 requires of
/// them: no mask from a server, no reserved bits, known opcodes, control frames short and unfragmented.
struct WebSocketFrameDecoder: Sendable {
    /// The largest payload accepted in one frame.
    var maximumFrameSize: Int
    private var buffer: [UInt8] = []
    private var offset = 0

    init(maximumFrameSize: Int) { self.maximumFrameSize = maximumFrameSize }


    mutating func append(_ bytes: [UInt8]) {
        if offset == buffer.count {
            buffer = bytes
            offset = 0
        } else {
            if offset > 65_536, offset * 2 > buffer.count {
                buffer.removeFirst(offset)
                offset = 0
            }
            buffer.append(contentsOf: bytes)
        }
    }

    /// The next complete frame, or `nil` when more bytes are needed.
    mutating func next() throws(KubeError) -> WebSocketFrame? {
        let available = buffer.count - offset
        guard available >= 2 else { return nil }
        let first = buffer[offset], second = buffer[offset + 1]
        guard first & 0x70 == 0 else { throw Self.protocolError("a frame has reserved bits set (no extension was negotiated)") }
        guard let opcode = WebSocketFrame.Opcode(rawValue: first & 0x0F) else {
            throw Self.protocolError("a frame has the unknown opcode \(first & 0x0F)")
        }
        guard second & 0x80 == 0 else { throw Self.protocolError("the server masked a frame (RFC 6455 §5.1 forbids it)") }
        let fin = first & 0x80 != 0
        var length = UInt64(second & 0x7F)
        var header = 2
        if length == 126 {
            guard available >= 4 else { return nil }
            length = UInt64(buffer[offset + 2]) << 8 | UInt64(buffer[offset + 3])
            header = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            length = 0
            for i in 0..<8 { length = length << 8 | UInt64(buffer[offset + 2 + i]) }
            header = 10
        }
        if opcode.isControl {
            guard fin else { throw Self.protocolError("a control frame (\(opcode)) is fragmented") }
            guard length <= 125 else { throw Self.protocolError("a control frame (\(opcode)) carries \(length) bytes (at most 125 allowed)") }
        }
        guard length <= UInt64(maximumFrameSize) else {
            throw KubeError(code: .responseTooLarge,
                            message: "the server sent a WebSocket frame of \(length) bytes, more than the limit of \(maximumFrameSize)")
        }
        let total = header + Int(length)
        guard available >= total else { return nil }
        let payload = Array(buffer[(offset + header)..<(offset + total)])
        offset += total
        if offset == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            offset = 0
        }
        return WebSocketFrame(fin: fin, opcode: opcode, payload: payload)
    }

    static func protocolError(_ text: String) -> KubeError {
        KubeError(code: .transport, message: "WebSocket protocol error: \(text)")
    }
}

/// Entry points for the fuzz targets of `Scripts/fuzz.sh` (not API: the SPI keeps them out of sight).
@_spi(Fuzzing)
public enum TransportFuzzingEntryPoints {
    /// Feeds `bytes` to the WebSocket frame decoder in two pieces (split at the first byte's value), and
    /// parses them as an upgrade answer and as a chunked body.
    public static func webSocket(_ bytes: [UInt8]) {
        var decoder = WebSocketFrameDecoder(maximumFrameSize: 1 << 20)
        let split = min(bytes.count, Int(bytes.first ?? 0))
        decoder.append(Array(bytes[..<split]))
        while let frame = try? decoder.next() { _ = frame.payload.count }
        decoder.append(Array(bytes[split...]))
        while let frame = try? decoder.next() { _ = frame.encoded(mask: 0x1234_5678) }
        if let response = try? WebSocketHandshake.parseResponse(bytes) {
            _ = try? WebSocketHandshake(key: "dGhlIHNhbXBsZSBub25jZQ==").validate(response, offered: ["v5.channel.k8s.io"])
        }
        _ = WebSocketHandshake.dechunk(bytes)
    }
}

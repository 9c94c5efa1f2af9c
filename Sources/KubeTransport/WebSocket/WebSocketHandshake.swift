import Foundation
import KubeErrors

/// The HTTP/1.1 Upgrade exchange that opens a WebSocket (RFC 6455 §4).
struct WebSocketHandshake: Sendable {
    /// `Sec-WebSocket-Key`: base64 of 16 random bytes.
    let key: String

    init(key: String = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()) {
        self.key = key
    }

    /// The `Sec-WebSocket-Accept` a server must answer for ``key``.
    var expectedAccept: String {
        Data(SHA1.hash(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    /// The request bytes: `GET target HTTP/1.1`, `Host`, the upgrade headers, the offered protocols in one
    /// header (kube-apiserver reads only one), then `headers` (credentials, User-Agent...).
    func request(target: String, host: String, protocols: [String], headers: [String]) -> [UInt8] {
        var lines = ["GET \(target) HTTP/1.1", "Host: \(host)", "Connection: Upgrade", "Upgrade: websocket",
                     "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: \(key)"]
        if !protocols.isEmpty { lines.append("Sec-WebSocket-Protocol: \(protocols.joined(separator: ", "))") }
        lines += headers
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    /// A parsed response head.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        /// How many bytes the head took (what follows belongs to the body or the WebSocket).
        var length: Int
    }

    /// Parses the head once `bytes` hold all of it; `nil` while it is incomplete.
    static func parseResponse(_ bytes: [UInt8]) throws(KubeError) -> Response? {
        guard let end = headEnd(bytes) else {
            if bytes.count > 64 * 1024 {
                throw KubeError(code: .transport, message: "the server's answer to the WebSocket upgrade has a head longer than 64 KiB")
            }
            return nil
        }
        let text = String(decoding: bytes[..<end], as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw KubeError(code: .transport, message: "the server answered the WebSocket upgrade with \"\(statusLine.prefix(80))\", not an HTTP/1.1 status line")
        }
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(status: status, headers: headers, length: end + 4)
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// Checks a 101 answer (RFC 6455 §4.1): the upgrade headers, the accept key, and a protocol from the offer.
    func validate(_ response: Response, offered: [String]) throws(KubeError) -> String? {
        func fail(_ text: String) -> KubeError { KubeError(code: .transport, message: "the WebSocket upgrade failed: \(text)") }
        guard response.headers["Upgrade"]?.lowercased() == "websocket" else { throw fail("the server did not answer \"Upgrade: websocket\"") }
        guard response.headers["Connection"]?.lowercased().split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "upgrade" }) == true else {
            throw fail("the server did not answer \"Connection: Upgrade\"")
        }
        guard response.headers["Sec-WebSocket-Accept"] == expectedAccept else { throw fail("Sec-WebSocket-Accept does not match the key sent") }
        let chosen = response.headers["Sec-WebSocket-Protocol"]?.trimmingCharacters(in: .whitespaces)
        if let chosen, !chosen.isEmpty {
            guard offered.contains(chosen) else { throw fail("the server chose the subprotocol \"\(chosen)\", which was not offered (\(offered.joined(separator: ", ")))") }
            return chosen
        }
        return nil
    }

    /// Decodes a chunked body (`Transfer-Encoding: chunked`) as far as it goes; `complete` once the last chunk arrived.
    static func dechunk(_ bytes: [UInt8]) -> (body: [UInt8], complete: Bool) {
        var body: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            let digits = sizeText.trimmingCharacters(in: .whitespaces)
            // Hex digits only: Int(_:radix:) would also take a sign ("-a", found by the fuzzer).
            guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit), let size = Int(digits, radix: 16) else { break }
            if size == 0 { return (body, true) }
            let start = lineEnd + 2
            guard size <= bytes.count - start else {
                body += bytes[start...]
                break
            }
            body += bytes[start..<(start + size)]
            index = start + size + 2
        }
        return (body, false)
    }
}

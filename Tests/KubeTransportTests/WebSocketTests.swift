import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeRetry
import KubeStreamTestServer
import KubeTesting
@testable import KubeTransport

@Suite("WebSocket framing and handshake")
struct WebSocketFramingTests {
    @Test("the accept key is RFC 6455's worked example")
    func acceptKey() {
        #expect(WebSocketHandshake(key: "dGhlIHNhbXBsZSBub25jZQ==").expectedAccept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(SHA1.hash(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined() == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test("client frames are masked; lengths use 7, 16 and 64 bits")
    func encoding() {
        let small = WebSocketFrame(fin: true, opcode: .binary, payload: [1, 2, 3]).encoded(mask: 0x0102_0304)
        let expectedSmall: [UInt8] = [0x82, 0x83, 1, 2, 3, 4, 0, 0, 0]
        #expect(small == expectedSmall)
        let medium = WebSocketFrame(fin: true, opcode: .binary, payload: [UInt8](repeating: 7, count: 300)).encoded(mask: 0)
        let expectedMedium: [UInt8] = [0x82, 0xFE, 0x01, 0x2C]
        #expect(Array(medium[0..<4]) == expectedMedium)
        let large = WebSocketFrame(fin: false, opcode: .text, payload: [UInt8](repeating: 7, count: 70_000)).encoded(mask: 0)
        let expectedLarge: [UInt8] = [0x01, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]
        #expect(Array(large[0..<10]) == expectedLarge)
        // Unmasking the masked bytes gives the payload back, across the 8-byte fast path and the tail.
        let payload = (0..<1001).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var bytes = WebSocketFrame(fin: true, opcode: .binary, payload: payload).encoded(mask: 0xDEAD_BEEF)
        WebSocketFrame.applyMask(Array(bytes[4..<8]), to: &bytes, from: 8)
        #expect(Array(bytes[8...]) == payload)
    }

    @Test("the decoder reassembles frames split anywhere")
    func decodingSplit() throws {
        let frames: [[UInt8]] = [[0x82, 0x03, 1, 2, 3], [0x89, 0x00], [0x01, 0x02, 0x68, 0x65], [0x80, 0x01, 0x79]]
        let stream = frames.flatMap { $0 }
        for split in 1..<stream.count {
            var decoder = WebSocketFrameDecoder(maximumFrameSize: 1024)
            var decoded: [WebSocketFrame] = []
            decoder.append(Array(stream[..<split]))
            while let frame = try decoder.next() { decoded.append(frame) }
            decoder.append(Array(stream[split...]))
            while let frame = try decoder.next() { decoded.append(frame) }
            #expect(decoded.map(\.opcode) == [.binary, .ping, .text, .continuation])
            #expect(decoded[0].payload == [1, 2, 3])
            #expect(decoded[3].fin && !decoded[2].fin)
        }
    }

    @Test("protocol violations and oversized frames are errors that say which")
    func decodingErrors() {
        func error(_ bytes: [UInt8], limit: Int = 1024) -> String? {
            var decoder = WebSocketFrameDecoder(maximumFrameSize: limit)
            decoder.append(bytes)
            do { _ = try decoder.next(); return nil } catch { return error.message }
        }
        #expect(error([0x82, 0x81, 0, 0, 0, 0, 1]) == "WebSocket protocol error: the server masked a frame (RFC 6455 §5.1 forbids it)")
        #expect(error([0xC2, 0x00]) == "WebSocket protocol error: a frame has reserved bits set (no extension was negotiated)")
        #expect(error([0x83, 0x00]) == "WebSocket protocol error: a frame has the unknown opcode 3")
        #expect(error([0x09, 0x00]) == "WebSocket protocol error: a control frame (ping) is fragmented")
        #expect(error([0x82, 0x7F, 0, 0, 0, 0, 0x10, 0, 0, 0]) == "the server sent a WebSocket frame of 268435456 bytes, more than the limit of 1024")
    }

    @Test("the handshake answer is parsed and checked")
    func handshakeResponse() throws {
        let handshake = WebSocketHandshake(key: "dGhlIHNhbXBsZSBub25jZQ==")
        let text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n\u{82}"
        #expect(try WebSocketHandshake.parseResponse(Array(text.utf8).dropLast(3).map { $0 }) == nil)
        let response = try #require(try WebSocketHandshake.parseResponse(Array(text.utf8)))
        #expect(response.status == 101 && response.length == text.utf8.count - 2)
        #expect(try handshake.validate(response, offered: ["v5.channel.k8s.io", "v4.channel.k8s.io"]) == "v4.channel.k8s.io")
        #expect(throws: KubeError.self) { try handshake.validate(response, offered: ["v5.channel.k8s.io"]) }
        #expect(WebSocketHandshake.dechunk(Array("4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n".utf8)) == (Array("abcdef".utf8), true))
        // Found by the fuzzer: a signed or enormous chunk size is not a size.
        #expect(WebSocketHandshake.dechunk(Array("-a;;c\nc\r\n".utf8)) == ([], false))
        #expect(WebSocketHandshake.dechunk(Array("7fffffffffffffff\r\nab".utf8)) == (Array("ab".utf8), false))
    }
}

@Suite("WebSocket upgrade on libcurl", .timeLimit(.minutes(2)))
struct WebSocketUpgradeTests {
    func client(_ server: StreamTestServer, token: String = "test-token", credentials: (any CredentialProvider)? = nil) -> ClientConfiguration {
        ClientConfiguration(
            server: URL(string: "https://127.0.0.1:\(server.port)")!,
            certificateAuthority: StreamTestServer.resource("ca.pem"),
            authentication: [.token],
            credentials: credentials ?? StaticCredentialProvider(Credentials(authorization: .bearer(Sensitive(token)))))
    }

    static let offer = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    func drain(_ connection: any KubeUpgradedConnection) async throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        while let message = try await connection.receive() {
            if case .binary(let bytes) = message { messages.append(bytes) }
        }
        return messages
    }

    @Test("exec over TLS: one protocol header, credentials, channel messages, then the close")
    func execEcho() async throws {
        let server = try StreamTestServer(token: "test-token")
        defer { server.stop() }
        let transport = CurlTransport(client(server), configuration: .testing())
        defer { transport.shutdownNow() }
        let request = KubeRequest(path: "/api/v1/namespaces/default/pods/web/exec",
                                  query: [("command", "echo"), ("command", "hello world"), ("stdout", "true")])
        let connection = try await transport.upgrade(request, protocols: Self.offer)
        #expect(connection.selectedProtocol == "v5.channel.k8s.io")
        let messages = try await drain(connection)
        let expected: [[UInt8]] = [[1] + Array("hello world\n".utf8), [3] + Array(#"{"metadata":{},"status":"Success"}"#.utf8)]
        #expect(messages == expected)
        let sent = try #require(server.requests.first)
        #expect(sent.uri == "/api/v1/namespaces/default/pods/web/exec?command=echo&command=hello+world&stdout=true")
        #expect(sent.headers.filter { $0.0 == "Sec-WebSocket-Protocol" }.map(\.1) == ["v5.channel.k8s.io, v4.channel.k8s.io"])
        #expect(sent.header("Authorization") == "Bearer test-token")
        #expect(sent.header("User-Agent")?.hasPrefix("KubeKit/") == true)
        await connection.close()
    }

    @Test("a server without v5 gets v4")
    func fallsBackToV4() async throws {
        let server = try StreamTestServer(protocols: ["v4.channel.k8s.io"])
        defer { server.stop() }
        let transport = CurlTransport(client(server), configuration: .testing())
        defer { transport.shutdownNow() }
        let connection = try await transport.upgrade(KubeRequest(path: "/api/v1/namespaces/default/pods/web/exec", query: [("command", "exit"), ("command", "0")]),
                                                     protocols: Self.offer)
        #expect(connection.selectedProtocol == "v4.channel.k8s.io")
        _ = try await drain(connection)
    }

    @Test("a refused upgrade throws the server's Status")
    func refusedUpgrade() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let transport = CurlTransport(client(server), configuration: .testing())
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) {
            try await transport.upgrade(KubeRequest(path: "/api/v1/namespaces/default/pods/nope/exec", query: [("command", "ls")]), protocols: Self.offer)
        }
        #expect(error?.isNotFound == true)
        #expect(error?.message == #"pods "nope" not found in namespace "default""#)
        #expect(error?.request?.path == "/api/v1/namespaces/default/pods/nope/exec")
    }

    @Test("a 401 refreshes the credentials and upgrades again once")
    func unauthorizedRefreshes() async throws {
        let server = try StreamTestServer(token: "fresh")
        defer { server.stop() }
        let provider = SequenceCredentialProvider(["stale", "fresh"])
        let transport = CurlTransport(client(server, credentials: provider), configuration: .testing())
        defer { transport.shutdownNow() }
        let connection = try await transport.upgrade(KubeRequest(path: "/api/v1/namespaces/default/pods/web/exec", query: [("command", "exit"), ("command", "0")]),
                                                     protocols: Self.offer)
        _ = try await drain(connection)
        #expect(await provider.refreshes == 1)
        #expect(server.requests.map { $0.header("Authorization") } == ["Bearer stale", "Bearer fresh"])
    }

    @Test("a closed port fails after the policy's connection attempts, naming the address")
    func connectionRefused() async throws {
        let clock = RecordingClock()
        var configuration = ClientConfiguration(server: URL(string: "https://127.0.0.1:1")!)
        configuration.clusterName = "dev"
        // The policy's 2 s window is real time: widen it so a slow (sanitized, loaded) run makes every attempt.
        var retry = RetryPolicy.default
        retry.connectionRetryWindow = .seconds(120)
        let transport = CurlTransport(configuration, configuration: .testing(clock, retry: retry))
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) {
            try await transport.upgrade(KubeRequest(path: "/api/v1/namespaces/default/pods/web/exec"), protocols: Self.offer)
        }
        #expect(error?.message.hasPrefix("the connection to the server 127.0.0.1:1 was refused or failed") == true)
        #expect(clock.sleeps.count == 2)
        #expect(error?.message.contains("(after 3 attempts in ") == true)
    }

    @Test("large output arrives intact while the reader is slow, with bounded buffering")
    func backPressure() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let transport = CurlTransport(client(server), configuration: .testing())
        defer { transport.shutdownNow() }
        let size = 24 << 20
        let connection = try await transport.upgrade(KubeRequest(path: "/api/v1/namespaces/default/pods/web/exec",
                                                                 query: [("command", "generate"), ("command", "\(size)")]), protocols: Self.offer)
        var received = 0
        var messages = 0
        while let message = try await connection.receive() {
            guard case .binary(let bytes) = message else { continue }
            if bytes.first == 1 { received += bytes.count - 1 }
            messages += 1
            if messages % 64 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(received == size)
        let peak = try #require(connection as? WebSocketConnection).peakBufferedBytes
        #expect(peak <= (1 << 20) + 256 * 1024, "buffered \(peak) bytes")
    }
}

@Suite("WebSocket time limits", .timeLimit(.minutes(2)))
struct WebSocketTimeLimitTests {
    @Test("a peer that stops answering (no data, no pongs) fails the connection instead of hanging it")
    func deadPeer() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        var configuration = CurlTransport.Configuration.testing()
        configuration.webSocketPingInterval = .milliseconds(50)
        configuration.webSocketIdleTimeout = .milliseconds(300)
        let transport = CurlTransport(WebSocketUpgradeTests().client(server), configuration: configuration)
        defer { transport.shutdownNow() }
        let connection = try await transport.upgrade(KubeRequest(path: "/api/v1/namespaces/default/pods/web/exec", query: [("command", "silent")]),
                                                     protocols: WebSocketUpgradeTests.offer)
        let error = await #expect(throws: KubeError.self) { _ = try await connection.receive() }
        #expect(error?.code == .timeout)
        #expect(error?.message == "the WebSocket connection is dead: nothing arrived from the server (not even a pong) for 300 ms")
    }

    @Test("a server that accepts but never answers the upgrade fails within the call's budget")
    func silentServer() async throws {
        let listener = try LocalListener(port: 0) { connection in
            // Hold the connection open, read nothing, answer nothing.
            Task { _ = try? await connection.read(); _ = connection }
        }
        defer { listener.close() }
        var configuration = CurlTransport.Configuration.testing()
        configuration.requestTimeout = .milliseconds(300)
        let transport = CurlTransport(ClientConfiguration(server: URL(string: "http://127.0.0.1:\(listener.port)")!), configuration: configuration)
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) {
            try await transport.upgrade(KubeRequest(path: "/api/v1/namespaces/default/pods/web/exec"), protocols: WebSocketUpgradeTests.offer)
        }
        #expect(error?.code == .timeout)
        #expect(error?.message == "no answer to the WebSocket upgrade within 300 ms")
    }
}

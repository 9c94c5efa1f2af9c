import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// A real HTTPS (or HTTP) server on 127.0.0.1 for the transport's tests: TLS with the test CA, optional
/// client-certificate verification, HTTP/2 and HTTP/1.1 via ALPN, and scripted responses.
final class LoopbackServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]
        var httpVersion: String
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    enum Part: Sendable {
        case data([UInt8])
        /// Writes `count` chunks of `size` bytes, each a run of one repeated byte ending in "\n".
        case lines(count: Int, size: Int)
        case pause(milliseconds: Int64)
        /// Closes the connection without finishing the response.
        case reset
    }

    struct Response: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var parts: [Part] = []

        static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")] + headers, parts: [.data(Array(text.utf8))])
        }
    }

    enum TLS: Sendable {
        case none
        case server(certificate: String = "server", requireClientCertificate: Bool = false)
    }

    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")
    static func resource(_ name: String) -> [UInt8] {
        [UInt8]((try? Data(contentsOf: resources.appendingPathComponent(name))) ?? Data())
    }

    private final class Record: Sendable {
        let requests = Mutex<[Request]>([])
        let connections = Mutex(0)
        let children = Mutex<[any Channel]>([])
        /// Connections open now, and the most open at once.
        let open = Mutex((now: 0, peak: 0))
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: any Channel
    private let record = Record()
    let port: Int

    /// Starts a server; `handler` answers each request.
    init(tls: TLS = .server(), http2: Bool = true, handler: @escaping @Sendable (Request) -> Response) throws {
        var context: NIOSSLContext?
        if case .server(let certificate, let requireClient) = tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Self.resource("\(certificate).pem")).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Self.resource("\(certificate).key"), format: .pem)))
            configuration.applicationProtocols = http2 ? ["h2", "http/1.1"] : ["http/1.1"]
            // An idle libcurl connection does not answer close_notify; do not wait 5 s for it at stop().
            configuration.shutdownTimeout = .milliseconds(50)
            if requireClient {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Self.resource("client-ca.pem")))
            }
            context = try NIOSSLContext(configuration: configuration)
        }
        let sslContext = context
        let record = self.record
        let recorder: @Sendable (Request) -> Response = { request in
            record.requests.withLock { $0.append(request) }
            return handler(request)
        }
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                record.connections.withLock { $0 += 1 }
                record.children.withLock { $0.append(channel) }
                record.open.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
                channel.closeFuture.whenComplete { _ in record.open.withLock { $0.now -= 1 } }
                do {
                    guard let sslContext else {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(HTTPHandler(respond: recorder, version: "HTTP/1.1"))
                        return channel.eventLoop.makeSucceededVoidFuture()
                    }
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                // NIO's flood protection allows 200 control frames per 30 s and answers more with GOAWAY
                // ENHANCE_YOUR_CALM; libcurl sends a WINDOW_UPDATE per stream, so a burst of hundreds of
                // requests trips it. kube-apiserver (Go) has no such limit: neither has this test server.
                var connection = NIOHTTP2Handler.ConnectionConfiguration()
                connection.controlFrameRateLimit.maximumCount = 1_000_000
                connection.maximumConnectionGlitches = 1_000_000
                var stream = NIOHTTP2Handler.StreamConfiguration()
                stream.streamResetFrameRateLimit.maximumCount = 1_000_000
                stream.streamErrorRateLimit.maximumCount = 1_000_000
                return channel.configureCommonHTTPServerPipeline(connectionConfiguration: connection, streamConfiguration: stream) { streamChannel in
                    let isHTTP2 = streamChannel.parent != nil
                    do {
                        try streamChannel.pipeline.syncOperations.addHandler(
                            HTTPHandler(respond: recorder, version: isHTTP2 ? "HTTP/2" : "HTTP/1.1"))
                        return streamChannel.eventLoop.makeSucceededVoidFuture()
                    } catch {
                        return streamChannel.eventLoop.makeFailedFuture(error)
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    /// Every request received so far.
    var requests: [Request] { record.requests.withLock { $0 } }
    /// The most TCP connections that were open at the same time.
    var peakOpenConnections: Int { record.open.withLock { $0.peak } }
    /// How many TCP connections were accepted.
    var connectionCount: Int { record.connections.withLock { $0 } }

    private let stopped = Mutex(false)

    /// Stops the server (once; later calls do nothing — waiting on a stopped event loop never returns).
    func stop() {
        guard stopped.withLock({ done in defer { done = true }; return !done }) else { return }
        try? channel.close().wait()
        // Close the clients' connections first: with a process-wide libcurl engine they stay open after a
        // test's transport is done, and a graceful shutdown would wait for them (5 s per server).
        for child in record.children.withLock({ $0 }) { try? child.close().wait() }
        try? group.syncShutdownGracefully()
    }

    deinit { stop() }
}

/// Collects one request, asks the handler, writes the scripted response.
private final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let respond: @Sendable (LoopbackServer.Request) -> LoopbackServer.Response
    let version: String
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var isHTTP2 = false

    init(respond: @escaping @Sendable (LoopbackServer.Request) -> LoopbackServer.Response, version: String) {
        self.respond = respond
        self.version = version
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            isHTTP2 = head.version.major == 2
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = LoopbackServer.Request(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: body, httpVersion: head.version.major == 2 ? "HTTP/2" : "HTTP/1.1")
            let response = respond(request)
            var headers = HTTPHeaders(response.headers)
            if version == "HTTP/1.1" { headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked") }
            let responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            context.writeAndFlush(wrapOutboundOut(.head(responseHead)), promise: nil)
            write(response.parts[...], context: NIOLoopBound(context, eventLoop: context.eventLoop))
        }
    }

    private func write(_ parts: ArraySlice<LoopbackServer.Part>, context bound: NIOLoopBound<ChannelHandlerContext>) {
        let context = bound.value
        guard let part = parts.first else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let rest = parts.dropFirst()
        switch part {
        case .data(let bytes):
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            write(rest, context: bound)
        case .lines(let count, let size):
            for index in 0..<count {
                var chunk = [UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size)
                chunk[size - 1] = UInt8(ascii: "\n")
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: chunk)))), promise: nil)
                if index % 16 == 15 { context.flush() }
            }
            context.flush()
            write(rest, context: bound)
        case .pause(let milliseconds):
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) {
                handler.value.write(rest, context: bound)
            }
        case .reset:
            // Close the whole TCP connection (for HTTP/2 the stream's parent), like a crashed server would.
            (isHTTP2 ? context.channel.parent ?? context.channel : context.channel).close(promise: nil)
        }
    }
}

import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// An in-process kube-apiserver stand-in for exec, attach and port-forward over WebSocket, for KubeKit's
/// tests and `kubekit-bench`: TLS (the test CA of KubeTransportTests/Resources) or plain HTTP, HTTP/1.1
/// upgrade, the `v5`/`v4.channel.k8s.io` framing, the error channel's Status, the port prefix of
/// port-forward.
///
/// Containers are simulated. `exec` understands these commands:
/// - `echo WORDS...`: the words on stdout; `exit N`: exit code N; `fail TEXT N`: TEXT on stderr, exit N
/// - `cat`: stdin back on stdout until stdin closes; `generate BYTES` (or `head -c BYTES /dev/zero`): BYTES
///   bytes on stdout, written as fast as the client reads (back-pressure through TCP)
/// - `size`: waits for a resize message and prints `WIDTHxHEIGHT`
/// - `close-early`: some stdout, then the connection drops without a status
/// - `missing`: the runtime's "executable file not found" failure (InternalError)
/// - `silent`: nothing at all, not even pongs (a dead peer)
/// - `tar ...`, `test ...`: run the real programs of this machine (for cp tests), stdin and stdout streamed
/// `attach` behaves like `cat`. Port-forward: every port echoes, except 9 (connection refused on the error channel).
public final class StreamTestServer: Sendable {
    /// A received upgrade request.
    public struct Request: Sendable {
        public var uri: String
        public var headers: [(String, String)]
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The directory of the test TLS material.
    public static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("KubeTransportTests/Resources")
    public static func resource(_ name: String) -> [UInt8] {
        [UInt8]((try? Data(contentsOf: resources.appendingPathComponent(name))) ?? Data())
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: any Channel
    private let log = NIOLockedValueBox<[Request]>([])
    private let stopped = NIOLockedValueBox(false)
    /// The port bound on 127.0.0.1.
    public let port: Int

    /// Starts a server.
    /// - Parameters:
    ///   - tls: HTTPS with the test certificate (`https://127.0.0.1:port`, CA `ca.pem`), or plain HTTP.
    ///   - protocols: The subprotocols it supports, in no particular order (the client's order decides).
    ///   - pods: Pods that exist; others answer 404 like kube-apiserver.
    ///   - token: The bearer token required (`nil`: none).
    ///   - answer: Answers plain GETs by request URI (path and query) before `documents` is asked, for
    ///     lists the caller filters by their selectors.
    ///   - documents: Answers for plain GETs by path (content type and body), so kubectl can run its
    ///     discovery and pod lookup before it execs (the benchmark compares against `kubectl exec`).
    public init(tls: Bool = true, protocols: [String] = ["v5.channel.k8s.io", "v4.channel.k8s.io"],
                pods: Set<String> = ["web"], token: String? = nil,
                documents: [String: (contentType: String, body: String)] = [:],
                answer: (@Sendable (_ uri: String) -> (contentType: String, body: String)?)? = nil) throws {
        var sslContext: NIOSSLContext?
        if tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Self.resource("server.pem")).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Self.resource("server.key"), format: .pem)))
            configuration.applicationProtocols = ["http/1.1"]
            configuration.shutdownTimeout = .milliseconds(50)
            sslContext = try NIOSSLContext(configuration: configuration)
        }
        let context = sslContext
        let log = self.log
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 24,
                    shouldUpgrade: { channel, head in
                        log.withLockedValue { $0.append(Request(uri: head.uri, headers: head.headers.map { ($0.name, $0.value) })) }
                        guard let route = Route(head.uri), pods.contains(route.pod),
                              token.map({ head.headers["Authorization"].first == "Bearer \($0)" }) ?? true else {
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                        let offered = head.headers["Sec-WebSocket-Protocol"].flatMap { $0.split(separator: ",") }
                            .map { $0.trimmingCharacters(in: .whitespaces) }
                        var headers = HTTPHeaders()
                        if let chosen = offered.first(where: { protocols.contains($0) }) {
                            headers.add(name: "Sec-WebSocket-Protocol", value: chosen)
                        } else if !offered.isEmpty {
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                        return channel.eventLoop.makeSucceededFuture(headers)
                    },
                    upgradePipelineHandler: { channel, head in
                        let route = Route(head.uri)!
                        let offered = head.headers["Sec-WebSocket-Protocol"].flatMap { $0.split(separator: ",") }
                            .map { $0.trimmingCharacters(in: .whitespaces) }
                        let version = offered.first(where: { protocols.contains($0) }) ?? ""
                        do {
                            if route.subresource == "portforward" {
                                try channel.pipeline.syncOperations.addHandler(PortForwardHandler(ports: route.ports, pod: route.pod))
                            } else {
                                try channel.pipeline.syncOperations.addHandler(ExecHandler(route: route, v5: version == "v5.channel.k8s.io"))
                            }
                            return channel.eventLoop.makeSucceededVoidFuture()
                        } catch {
                            return channel.eventLoop.makeFailedFuture(error)
                        }
                    })
                do {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    let refusal = RefusalHandler(pods: pods, token: token, protocols: protocols, documents: documents, answer: answer)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            // Upgraded: WebSocket frames must not reach the HTTP refusal handler.
                            context.pipeline.syncOperations.removeHandler(name: "refusal", promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(refusal, name: "refusal")
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    /// Every upgrade request received so far.
    public var requests: [Request] { log.withLockedValue { $0 } }

    /// Stops the server (once).
    public func stop() {
        guard stopped.withLockedValue({ done in defer { done = true }; return !done }) else { return }
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    deinit { stop() }
}

/// `/api/v1/namespaces/{ns}/pods/{pod}/{exec|attach|portforward}?...`
struct Route {
    var namespace: String
    var pod: String
    var subresource: String
    var query: [(String, String)]

    init?(_ uri: String) {
        guard let components = URLComponents(string: uri) else { return nil }
        let parts = components.path.split(separator: "/").map(String.init)
        guard parts.count == 7, parts[0] == "api", parts[1] == "v1", parts[2] == "namespaces", parts[4] == "pods",
              ["exec", "attach", "portforward"].contains(parts[6]) else { return nil }
        namespace = parts[3]
        pod = parts[5]
        subresource = parts[6]
        // As Go's url.ParseQuery: "+" is a space.
        query = (components.percentEncodedQuery ?? "").split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            return (pair[0], pair.count > 1 ? pair[1] : "")
        }
    }

    var command: [String] { query.filter { $0.0 == "command" }.map(\.1) }
    func flag(_ name: String) -> Bool { query.contains { $0.0 == name && $0.1 == "true" } }
    var ports: [Int] { query.filter { $0.0 == "ports" }.flatMap { $0.1.split(separator: ",") }.compactMap { Int($0) } }
}

/// Answers requests that were not upgraded the way kube-apiserver does.
private final class RefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let pods: Set<String>
    let token: String?
    let protocols: [String]
    let documents: [String: (contentType: String, body: String)]
    let answer: (@Sendable (String) -> (contentType: String, body: String)?)?
    private var head: HTTPRequestHead?

    init(pods: Set<String>, token: String?, protocols: [String], documents: [String: (contentType: String, body: String)],
         answer: (@Sendable (String) -> (contentType: String, body: String)?)?) {
        self.answer = answer
        self.pods = pods
        self.token = token
        self.protocols = protocols
        self.documents = documents
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            var (status, body): (Int, String)
            var contentType = "application/json"
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            if head.method == .GET, head.headers["Upgrade"].isEmpty, let document = answer?(head.uri) ?? documents[path] {
                (status, body) = (200, document.body)
                contentType = document.contentType
            } else if let token, head.headers["Authorization"].first != "Bearer \(token)" {
                (status, body) = (401, #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#)
            } else if let route = Route(head.uri), !pods.contains(route.pod) {
                (status, body) = (404, #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"\#(route.pod)\" not found","reason":"NotFound","details":{"name":"\#(route.pod)","kind":"pods"},"code":404}"#)
            } else {
                (status, body) = (400, #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Upgrade request required","reason":"BadRequest","code":400}"#)
            }
            var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.utf8.count)")])
            if status != 200 { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let channel = context.channel
            let keepOpen = status == 200
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepOpen { channel.close(promise: nil) } }
        }
    }
}

/// Shared WebSocket plumbing: binary messages with a channel byte, pings, the close handshake.
class ChannelProtocolHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    var context: ChannelHandlerContext?
    var closed = false
    /// A dead peer stops answering pings.
    var answersPings = true

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        started()
    }

    func started() {}
    func received(channel: UInt8, payload: [UInt8]) {}
    func clientClosed() {}

    @discardableResult
    func send(channel: UInt8, _ bytes: [UInt8]) -> EventLoopFuture<Void> {
        guard let context else { preconditionFailure("send before the handler was added") }
        guard !closed else { return context.eventLoop.makeSucceededVoidFuture() }
        var buffer = context.channel.allocator.buffer(capacity: bytes.count + 1)
        buffer.writeInteger(channel)
        buffer.writeBytes(bytes)
        return context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)))
    }

    /// The close frame, then the TCP close.
    func closeWebSocket() {
        guard let context, !closed else { return }
        closed = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            var payload = frame.unmaskedData
            guard let channel = payload.readInteger(as: UInt8.self) else { return }
            received(channel: channel, payload: payload.readBytes(length: payload.readableBytes) ?? [])
        case .ping where answersPings:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            clientClosed()
            closeWebSocket()
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        clientClosed()
    }

    /// Back-pressure for echoes: stop reading from the client while our replies cannot be written.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }
}

/// exec and attach.
private final class ExecHandler: ChannelProtocolHandler, @unchecked Sendable {
    // @unchecked: used on its channel's event loop only; the tar process hops back onto it.
    let route: Route
    let v5: Bool
    private var stdinHandler: (([UInt8]?) -> Void)?
    private var resizeHandler: ((String) -> Void)?
    private var process: Process?
    private var stdinPipe: Pipe?

    init(route: Route, v5: Bool) {
        self.route = route
        self.v5 = v5
    }

    private func succeed() {
        send(channel: 3, Array(#"{"metadata":{},"status":"Success"}"#.utf8))
        closeWebSocket()
    }

    private func exit(_ code: Int) {
        guard code != 0 else { return succeed() }
        send(channel: 3, Array(#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [\#(route.command.joined(separator: " "))], exit code \#(code)","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"\#(code)"}]}}"#.utf8))
        closeWebSocket()
    }

    override func started() {
        let command = route.subresource == "attach" ? ["cat"] : route.command
        let stdout: UInt8 = 1
        switch command.first {
        case "echo":
            send(channel: stdout, Array((command.dropFirst().joined(separator: " ") + "\n").utf8))
            succeed()
        case "exit":
            exit(Int(command.dropFirst().first ?? "1") ?? 1)
        case "fail":
            send(channel: route.flag("tty") ? stdout : 2, Array((command.dropFirst().first ?? "").utf8))
            exit(Int(command.dropFirst(2).first ?? "1") ?? 1)
        case "cat":
            stdinHandler = { [weak self] bytes in
                guard let self else { return }
                if let bytes { self.send(channel: stdout, bytes) } else { self.succeed() }
            }
        case "size":
            resizeHandler = { [weak self] json in
                guard let self, let data = json.data(using: .utf8),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int] else { return }
                self.send(channel: stdout, Array("\(object["Width"] ?? -1)x\(object["Height"] ?? -1)\n".utf8))
                self.succeed()
            }
        case "generate":
            generate(remaining: Int(command.dropFirst().first ?? "0") ?? 0)
        case "head" where command.count == 4 && command[1] == "-c" && command[3] == "/dev/zero":
            generate(remaining: Int(command[2]) ?? 0, byte: 0)
        case "silent":
            // A peer that is gone without closing: no output, no pongs.
            answersPings = false
        case "close-early":
            send(channel: stdout, Array("partial".utf8)).whenComplete { [weak self] _ in
                self?.closed = true
                self?.context?.close(promise: nil)
            }
        case "missing":
            send(channel: 3, Array(#"{"metadata":{},"status":"Failure","message":"error executing command in container: failed to exec in container: exec: \"missing\": executable file not found in $PATH","reason":"InternalError","details":{"causes":[{"message":"error executing command in container: exec: \"missing\": executable file not found in $PATH"}]},"code":500}"#.utf8))
            closeWebSocket()
        case "tar", "test":
            runProcess(command[0] == "tar" ? "/bin/tar" : "/usr/bin/test", Array(command.dropFirst()))
        default:
            send(channel: 2, Array("unknown command \(command)\n".utf8))
            exit(127)
        }
    }

    private func generate(remaining: Int, byte: UInt8 = UInt8(ascii: "x")) {
        guard remaining > 0 else { return succeed() }
        let size = min(remaining, 32 * 1024)
        let chunk = [UInt8](repeating: byte, count: size)
        // The next chunk once this one is written: as fast as the client reads.
        // (Through execute: a write that completes at once must not recurse a thousand frames deep.)
        let eventLoop = context!.eventLoop
        send(channel: 1, chunk).whenSuccess { [self] in eventLoop.execute { self.generate(remaining: remaining - size, byte: byte) } }
    }

    private func runProcess(_ path: String, _ arguments: [String]) {
        guard let context else { return }
        let eventLoop = context.eventLoop
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        // The status goes out once stdout and stderr reached end of file and the process was reaped
        // (terminationHandler: waitUntilExit spins a run loop, which hangs on a dispatch thread).
        let pending = NIOLockedValueBox(3)
        let finish: @Sendable () -> Void = { [self] in
            guard pending.withLockedValue({ $0 -= 1; return $0 }) == 0 else { return }
            let status = Int(process.terminationStatus)
            eventLoop.execute { self.exit(status) }
        }
        process.terminationHandler = { _ in finish() }
        for (pipe, channel) in [(output, UInt8(1)), (errors, UInt8(2))] {
            let handle = pipe.fileHandleForReading
            // A thread per pipe with blocking reads (readabilityHandler misses end of file at times).
            Thread { [self] in
                let semaphore = DispatchSemaphore(value: 0)
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    // Wait until written: back-pressure towards the process.
                    eventLoop.execute { self.send(channel: channel, Array(data)).whenComplete { _ in semaphore.signal() } }
                    semaphore.wait()
                }
                finish()
            }.start()
        }
        let writer = DispatchQueue(label: "tar-stdin")
        stdinHandler = { bytes in
            let handle = input.fileHandleForWriting
            writer.async {
                if let bytes { try? handle.write(contentsOf: Data(bytes)) } else { try? handle.close() }
            }
        }
        do { try process.run() } catch {
            send(channel: 2, Array("tar: \(error)".utf8))
            exit(127)
            return
        }
        if !route.flag("stdin") { writer.async { try? input.fileHandleForWriting.close() } }
        self.process = process
    }

    override func received(channel: UInt8, payload: [UInt8]) {
        switch channel {
        case 0: if !payload.isEmpty { stdinHandler?(payload) }
        case 4: resizeHandler?(String(decoding: payload, as: UTF8.self))
        case 255 where v5 && payload == [0]: stdinHandler?(nil)
        default: break
        }
    }

    override func clientClosed() {
        // v4 has no stdin close: the client closing the WebSocket is the only end.
        if !v5 { stdinHandler?(nil) }
        stdinHandler = nil
    }
}

/// port-forward: the port prefixes, then an echo per port (port 9: connection refused).
private final class PortForwardHandler: ChannelProtocolHandler, @unchecked Sendable {
    // @unchecked: used on its channel's event loop only.
    let ports: [Int]
    let pod: String

    init(ports: [Int], pod: String) {
        self.ports = ports
        self.pod = pod
    }

    override func started() {
        for (index, port) in ports.enumerated() {
            let prefix = [UInt8(port & 0xFF), UInt8(port >> 8)]
            send(channel: UInt8(2 * index), prefix)
            send(channel: UInt8(2 * index + 1), prefix)
        }
    }

    override func received(channel: UInt8, payload: [UInt8]) {
        let index = Int(channel) / 2
        guard channel % 2 == 0, index < ports.count else { return }
        if ports[index] == 9 {
            send(channel: channel + 1, Array("error forwarding port 9 to pod \(pod), uid 0f8a1c6e: failed to connect to localhost:9 inside namespace: connection refused".utf8))
            closeWebSocket()
            return
        }
        send(channel: channel, payload)
    }
}

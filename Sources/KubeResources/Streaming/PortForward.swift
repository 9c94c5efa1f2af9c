import Foundation
import KubeErrors
import KubeTransport
import Logging

/// One WebSocket to pod port-forwarding (`GET .../pods/{name}/portforward?ports=...`, `v4.channel.k8s.io`):
/// one TCP connection inside the pod per requested port.
///
/// ```swift
/// let session = try await client.pods().portForward("web-0", ports: [8080])
/// let stream = try session.stream(forPort: 8080)
/// try await stream.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
/// for try await chunk in stream.output { ... }
/// ```
///
/// For a local listener that serves many connections (what `kubectl port-forward` does), use
/// ``ResourceClient/forward(_:ports:address:)``.
public final class PortForwardSession: Sendable {
    /// The remote ports, in the order requested.
    public let ports: [Int]
    private let connection: any KubeUpgradedConnection
    private let buffers: [StreamBuffer]
    private let reader = Locked<Task<Void, Never>?>(nil)
    let label: String

    init(connection: any KubeUpgradedConnection, ports: [Int], label: String) {
        self.connection = connection
        self.ports = ports
        self.label = label
        let buffers = ports.map { _ in StreamBuffer() }
        self.buffers = buffers
        let task = Task { [connection] in
            // Channel 2i carries port i's data, 2i+1 its errors; the first message on each is the port number
            // (2 bytes, little-endian), which must match.
            var prefixSeen = Set<Int>()
            var errors = [String](repeating: "", count: ports.count)
            var failure: KubeError?
            do {
                while let message = try await connection.receive() {
                    guard case .binary(let bytes) = message, let first = bytes.first else {
                        throw KubeError(code: .transport, message: "\(label): the server sent a text message on a binary channel protocol")
                    }
                    let channel = Int(first)
                    let index = channel / 2
                    guard index < ports.count else { continue }
                    let payload = Array(bytes.dropFirst())
                    if !prefixSeen.contains(channel) {
                        prefixSeen.insert(channel)
                        guard payload.count == 2 else {
                            throw KubeError(code: .transport, message: "\(label): received initial frame with invalid size \(payload.count) on channel \(channel)")
                        }
                        let port = Int(payload[0]) | Int(payload[1]) << 8
                        guard port == ports[index] else {
                            throw KubeError(code: .transport, message: "\(label): invalid port mapping in initial frame: channel \(channel) is for port \(port), expected \(ports[index])")
                        }
                        continue
                    }
                    if channel % 2 == 0 {
                        await buffers[index].append(payload)
                    } else {
                        errors[index] += String(decoding: payload, as: UTF8.self)
                    }
                }
            } catch let error as KubeError {
                failure = error
            } catch {
                failure = KubeError(code: .cancelled, message: "\(label) was cancelled")
            }
            for (index, buffer) in buffers.enumerated() {
                if !errors[index].isEmpty {
                    buffer.finish(throwing: KubeError(code: .transport, message: errors[index],
                                                      hint: "The pod refused the connection to port \(ports[index]); check that something listens on it."))
                } else {
                    buffer.finish(throwing: failure)
                }
            }
            await connection.close()
        }
        reader.withLock { $0 = task }
    }

    deinit { reader.withLock { $0 }?.cancel() }

    /// The stream of `port` (one of ``ports``).
    public func stream(forPort port: Int) throws -> PortForwardStream {
        guard let index = ports.firstIndex(of: port) else {
            throw KubeError(code: .invalidArgument, message: "\(label): port \(port) was not forwarded (forwarded: \(ports.map(String.init).joined(separator: ", ")))")
        }
        return PortForwardStream(session: self, channel: UInt8(2 * index), output: RemoteByteStream(buffer: buffers[index]))
    }

    func send(_ bytes: [UInt8], channel: UInt8) async throws {
        try await connection.send(bytes, onChannel: channel)
    }

    /// Closes the WebSocket (every port's connection in the pod).
    public func close() async {
        reader.withLock { $0 }?.cancel()
        await connection.close()
    }
}

/// One forwarded port of a ``PortForwardSession``: bytes to the pod with ``write(_:)``, bytes from it in
/// ``output``. An error the pod reports (nothing listening, say) ends ``output`` with a ``KubeError``
/// carrying the server's text.
public struct PortForwardStream: Sendable {
    let session: PortForwardSession
    let channel: UInt8
    /// What the pod sends.
    public let output: RemoteByteStream

    /// Sends bytes to the pod's port.
    public func write(_ bytes: [UInt8]) async throws { try await session.send(bytes, channel: channel) }
}

/// A local port mapped to a pod's port.
public struct PortMapping: Sendable, Hashable, CustomStringConvertible {
    /// The local port (0: any free port, see ``PortForwarder/mappings``).
    public var local: Int
    /// The pod's port.
    public var remote: Int

    /// `local` → `remote`.
    public init(local: Int, remote: Int) {
        self.local = local
        self.remote = remote
    }

    /// The same port locally and in the pod.
    public init(_ port: Int) { self.init(local: port, remote: port) }

    /// `8080:80`, as kubectl writes it.
    public var description: String { "\(local):\(remote)" }
}

/// Local listeners forwarding to a pod, like `kubectl port-forward`: every accepted connection gets a
/// WebSocket of its own to the pod (the channel protocol has no per-connection streams). Close it with
/// ``close()``.
///
/// A forwarded connection ends when either side ends. The `v4.channel.k8s.io` protocol cannot pass on a
/// half-close, so a local client that shuts down its sending side and then waits for an answer gets none
/// (kubectl's SPDY tunnel can; KubeKit does not speak SPDY).
public final class PortForwarder: Sendable {
    /// The mappings with the local ports actually bound (a requested 0 is replaced by the chosen port).
    public let mappings: [PortMapping]
    /// The address listened on.
    public let address: String
    /// Failures of single connections (the pod refused the port, the API server went away). A failing
    /// connection is closed; the listener goes on.
    public let failures: AsyncStream<KubeError>
    private let failureSink: AsyncStream<KubeError>.Continuation
    private let listeners: Locked<[LocalListener]>
    private let tasks = Locked<(open: [Int: Task<Void, Never>], next: Int, closed: Bool)>(([:], 0, false))

    init(pods: ResourceClient<CoreV1.Pod>, pod: String, mappings requested: [PortMapping], address: String, logger: Logger) throws {
        (failures, failureSink) = AsyncStream.makeStream(of: KubeError.self, bufferingPolicy: .bufferingNewest(100))
        self.address = address
        self.listeners = Locked([])
        var bound: [PortMapping] = []
        let tasks = self.tasks
        let sink = failureSink
        do {
            for mapping in requested {
                let listener = try LocalListener(address: address, port: mapping.local) { connection in
                    let id = tasks.withLock { state -> Int? in
                        guard !state.closed else { return nil }
                        state.next += 1
                        return state.next
                    }
                    guard let id else { return connection.close() }
                    let task = Task {
                        do {
                            try await PortForwarder.serve(connection, pods: pods, pod: pod, port: mapping.remote)
                        } catch let error as KubeError {
                            logger.debug("port-forward connection failed", metadata: ["pod": "\(pod)", "port": "\(mapping.remote)", "error": "\(error.message)"])
                            sink.yield(error)
                        } catch {}
                        connection.close()
                        _ = tasks.withLock { $0.open.removeValue(forKey: id) }
                    }
                    tasks.withLock { state in if state.open[id] == nil && !task.isCancelled { state.open[id] = task } }
                }
                listeners.withLock { $0.append(listener) }
                bound.append(PortMapping(local: listener.port, remote: mapping.remote))
            }
        } catch {
            for listener in listeners.withLock({ $0 }) { listener.close() }
            throw error
        }
        mappings = bound
    }

    /// Pumps one local connection through its own WebSocket until either side ends.
    private static func serve(_ connection: LocalConnection, pods: ResourceClient<CoreV1.Pod>, pod: String, port: Int) async throws {
        let session = try await pods.portForward(pod, ports: [port])
        let stream = try session.stream(forPort: port)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Local → pod. The channel protocol has no half-close: the local side finishing ends the
                    // forwarded connection (documented on PortForwarder).
                    while let bytes = try await connection.read() { try await stream.write(bytes) }
                }
                group.addTask {
                    // Pod → local, then end the local side.
                    for try await chunk in stream.output { try await connection.write(chunk) }
                    connection.finishWriting()
                }
                // Whichever side ends first ends both.
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    /// Stops listening and closes every forwarded connection.
    public func close() async {
        for listener in listeners.withLock({ $0 }) { listener.close() }
        let open = tasks.withLock { state in
            state.closed = true
            defer { state.open = [:] }
            return Array(state.open.values)
        }
        for task in open { task.cancel() }
        for task in open { await task.value }
        failureSink.finish()
    }

    deinit {
        for listener in listeners.withLock({ $0 }) { listener.close() }
        failureSink.finish()
    }
}

extension ResourceClient where Resource == CoreV1.Pod {
    /// Opens one WebSocket forwarding `ports` of pod `name` (`GET .../pods/{name}/portforward`). Needs the
    /// ``AccessTier/full`` tier. Ports must be 1–65535, unique, at most 128.
    public func portForward(_ name: String, ports: [Int]) async throws -> PortForwardSession {
        try client.authorize("port-forward to", needs: .full, on: resourceName)
        try Self.checkPorts(ports, pod: name)
        let request = KubeRequest(.get, path: try objectPath(name, subresource: "portforward"),
                                  query: [("ports", ports.map(String.init).joined(separator: ","))], kind: .stream)
        let connection = try await client.transport.upgrade(request, protocols: [ExecProtocol.v4])
        return PortForwardSession(connection: connection, ports: ports, label: "port-forward to pods/\(name)")
    }

    /// Listens on `address` for each mapping and forwards every accepted connection to pod `name`, like
    /// `kubectl port-forward pod/NAME 8080:80`. Needs the ``AccessTier/full`` tier (checked before anything
    /// is bound or sent).
    ///
    /// ```swift
    /// let forwarder = try await client.pods().forward("web-0", ports: [PortMapping(local: 0, remote: 80)])
    /// print("listening on", forwarder.mappings[0].local)
    /// ...
    /// await forwarder.close()
    /// ```
    public func forward(_ name: String, ports: [PortMapping], address: String = "127.0.0.1",
                        logger: Logger = Logger(label: "KubeKit.PortForward")) async throws -> PortForwarder {
        try client.authorize("port-forward to", needs: .full, on: resourceName)
        try Self.checkPorts(ports.map(\.remote), pod: name)
        _ = try objectPath(name)
        return try PortForwarder(pods: self, pod: name, mappings: ports, address: address, logger: logger)
    }

    static func checkPorts(_ ports: [Int], pod: String) throws {
        guard !ports.isEmpty else { throw KubeError(code: .invalidArgument, message: "port-forward to pods/\(pod) needs at least one port") }
        guard ports.count <= 128 else { throw KubeError(code: .invalidArgument, message: "port-forward to pods/\(pod): at most 128 ports, not \(ports.count)") }
        if let bad = ports.first(where: { !(1...65535).contains($0) }) {
            throw KubeError(code: .invalidArgument, message: "port-forward to pods/\(pod): \(bad) is not a port (1-65535)")
        }
        guard Set(ports).count == ports.count else {
            throw KubeError(code: .invalidArgument, message: "port-forward to pods/\(pod): a port is listed twice")
        }
    }
}

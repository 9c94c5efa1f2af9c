import Foundation
import KubeErrors
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP socket accepted from a ``LocalListener`` (the local end of a port-forward).
final class LocalSocket: SocketEndpoint, @unchecked Sendable {
    // @unchecked: used only on the socket loop's thread after registration.
    let descriptor: Int32
    private var closed = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        var one: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> SocketIO {
        let count = Glibc.recv(descriptor, buffer.baseAddress, buffer.count, 0)
        if count > 0 { return .transferred(count) }
        if count == 0 { return .endOfStream }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wouldBlock }
        if errno == ECONNRESET { return .endOfStream }
        return .failed(String(cString: strerror(errno)))
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> SocketIO {
        let count = Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        if count >= 0 { return count == 0 ? .wouldBlock : .transferred(count) }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wouldBlock }
        if errno == EPIPE || errno == ECONNRESET { return .endOfStream }
        return .failed(String(cString: strerror(errno)))
    }

    func shutdownWrite() { _ = Glibc.shutdown(descriptor, Int32(SHUT_WR)) }

    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(descriptor)
    }
}

/// A TCP listener on a local address whose accepted connections come out as ``LocalConnection``s.
///
/// Accepting runs on a thread of its own that blocks in `poll` on the listening socket and a wake pipe, so
/// ``close()`` wakes it at once.
package final class LocalListener: @unchecked Sendable {
    // @unchecked: `descriptor` and `wake` are immutable; `state` is behind a lock.
    /// The port bound (the one asked for, or the one the system chose for port 0).
    package let port: Int
    private let descriptor: Int32
    private let wake = WakePipe()
    private let state = Locked<(closed: Bool, exited: Bool)>((false, false))

    /// Binds `address:port` (IPv4 or IPv6 literal; port 0 picks a free one) and starts accepting; each
    /// connection goes to `accept`, which runs on the accepting thread and must return quickly.
    package init(address: String = "127.0.0.1", port: Int, accept: @escaping @Sendable (LocalConnection) -> Void) throws(KubeError) {
        let isIPv6 = address.contains(":")
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw KubeError(code: .transport, message: "could not create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var bound: Int32
        if isIPv6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, address, &addr.sin6_addr) == 1 else {
                Glibc.close(fd)
                throw KubeError(code: .invalidArgument, message: "\"\(address)\" is not an IP address to listen on")
            }
            bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
                Glibc.close(fd)
                throw KubeError(code: .invalidArgument, message: "\"\(address)\" is not an IP address to listen on")
            }
            bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let text = String(cString: strerror(errno))
            Glibc.close(fd)
            throw KubeError(code: .transport, message: "could not listen on \(address):\(port): \(text)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let actual = withUnsafePointer(to: &storage) { pointer -> UInt16 in
            isIPv6 ? pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
                : pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        descriptor = fd
        self.port = Int(actual)
        let thread = Thread { [descriptor, wake, state] in
            Self.acceptLoop(descriptor: descriptor, wake: wake, state: state, accept: accept)
        }
        thread.name = "KubeKit.LocalListener"
        thread.start()
    }

    private static func acceptLoop(descriptor: Int32, wake: WakePipe, state: Locked<(closed: Bool, exited: Bool)>,
                                   accept handler: @Sendable (LocalConnection) -> Void) {
        var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0)]
        while !state.withLock({ $0.closed }) {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { break }
            if descriptors[1].revents != 0 { break }
            if descriptors[0].revents != 0 {
                let client = Glibc.accept(descriptor, nil, nil)
                if client >= 0 {
                    _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                    handler(LocalConnection(descriptor: client))
                }
            }
        }
        Glibc.close(descriptor)
        wake.close()
    }

    /// Stops accepting at once (new connections are refused) and closes the listening socket; connections
    /// already accepted go on.
    package func close() {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        // Refuse new connections now (shutdown is safe while the accept thread polls the descriptor; close
        // is not: the number could be reused under it). The accept thread then closes the descriptor.
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
        wake.signal()
    }

    deinit { close() }
}

/// An accepted local TCP connection, read and written through the socket loop.
package final class LocalConnection: Sendable {
    private let stream: SocketStream

    init(descriptor: Int32) {
        stream = SocketLoop.shared.register(LocalSocket(descriptor: descriptor), highWatermark: 1 << 20)
    }

    /// The next bytes from the peer, or `nil` once it finished sending.
    package func read() async throws -> [UInt8]? { try await stream.read() }
    /// Sends bytes (waits while too much is queued).
    package func write(_ bytes: [UInt8]) async throws { try await stream.write(bytes) }
    /// Sends what is queued, then half-closes (the peer reads end of stream).
    package func finishWriting() { stream.finishWriting() }
    /// Closes at once.
    package func close() { stream.close() }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP client for port-forward tests and `kubekit-bench port-forward-copy`: connects to
/// 127.0.0.1:`port`, sends `count` bytes made by `pattern` (byte `i` is `pattern(i)`; zeros without one, which
/// costs nothing per byte — for throughput runs) while reading what comes back, and closes once `count` bytes
/// came back or the peer closed. Blocking socket calls run on threads of
/// their own, never on the concurrency pool.
public enum LoopbackClient {
    public struct ConnectionRefused: Error {}

    /// The bytes received, and whether they were exactly the pattern (an echo; without a pattern only the count
    /// is checked).
    public static func echo(port: Int, count: Int, pattern: (@Sendable (Int) -> UInt8)? = nil) async throws -> (received: Int, echoed: Bool) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else {
                    close(fd)
                    return continuation.resume(throwing: ConnectionRefused())
                }
                Thread {
                    var chunk = [UInt8](repeating: 0, count: 256 * 1024)
                    var sent = 0
                    while sent < count {
                        let size = min(chunk.count, count - sent)
                        if let pattern { for index in 0..<size { chunk[index] = pattern(sent + index) } }
                        var offset = 0
                        while offset < size {
                            let written = chunk.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, size - offset, Int32(MSG_NOSIGNAL)) }
                            if written <= 0 { return }
                            offset += written
                        }
                        sent += size
                    }
                }.start()
                var buffer = [UInt8](repeating: 0, count: 256 * 1024)
                var received = 0
                var echoed = true
                while received < count {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    if let pattern {
                        for index in 0..<n where buffer[index] != pattern(received + index) { echoed = false; break }
                    }
                    received += n
                }
                close(fd)
                continuation.resume(returning: (received, echoed && received == count))
            }.start()
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A self-pipe that wakes a thread blocked in `poll` (Glibc's module map does not export eventfd).
struct WakePipe: Sendable {
    /// Poll this for readability.
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readDescriptor = fds[0]
        writeDescriptor = fds[1]
    }

    /// Makes the read end readable (a full pipe is already readable: nothing is lost).
    func signal() {
        var byte: UInt8 = 1
        _ = Glibc.write(writeDescriptor, &byte, 1)
    }

    /// Empties the pipe.
    func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while Glibc.read(readDescriptor, &bytes, bytes.count) > 0 {}
    }

    func close() {
        Glibc.close(readDescriptor)
        Glibc.close(writeDescriptor)
    }
}

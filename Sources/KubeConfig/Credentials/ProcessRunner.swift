import Foundation
import KubeErrors

/// Runs a child process and collects its output on dedicated threads.
///
/// The blocking reads and the wait must not run on GCD's global queues: on Linux the Swift concurrency
/// executor is built on them, and a handful of blocked workers stalls every task in the process for
/// seconds while libdispatch slowly adds threads.
enum ProcessRunner {
    struct Result: Sendable {
        var exitCode: Int32
        var signalled: Bool
        var stdout: [UInt8]
        var stderrExcerpt: String
    }

    static func run(executable: String, arguments: [String], environment: [String: String], interactive: Bool,
                    maximumOutput: Int, maximumStderr: Int) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try runBlocking(
                        executable: executable, arguments: arguments, environment: environment, interactive: interactive,
                        maximumOutput: maximumOutput, maximumStderr: maximumStderr))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func runBlocking(executable: String, arguments: [String], environment: [String: String],
                                    interactive: Bool, maximumOutput: Int, maximumStderr: Int) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        let stderr: Pipe? = interactive ? nil : Pipe()
        if let stderr { process.standardError = stderr }
        if !interactive { process.standardInput = FileHandle.nullDevice }
        do {
            try process.run()
        } catch {
            throw KubeError(code: .execPluginFailed, message: "exec: cannot start \(executable): \(error.localizedDescription)",
                            underlying: error)
        }
        // Drain stderr concurrently so a chatty plugin cannot block on a full pipe.
        let stderrBox = StderrBox()
        let stderrDone = DispatchSemaphore(value: 0)
        if let stderr {
            Thread.detachNewThread {
                stderrBox.bytes = readAll(stderr.fileHandleForReading, limit: maximumStderr)
                stderrDone.signal()
            }
        } else {
            stderrDone.signal()
        }
        let output = readAll(stdout.fileHandleForReading, limit: maximumOutput)
        stderrDone.wait()
        process.waitUntilExit()
        let text = String(decoding: stderrBox.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Result(exitCode: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                      stdout: output, stderrExcerpt: text)
    }

    /// Reads to end of file, keeping at most `limit` bytes (the rest is drained and dropped).
    private static func readAll(_ handle: FileHandle, limit: Int) -> [UInt8] {
        var result: [UInt8] = []
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            if result.count < limit { result.append(contentsOf: chunk.prefix(limit - result.count)) }
        }
        return result
    }

    /// Written by the stderr thread before it signals, read only after `stderrDone.wait()`: the
    /// semaphore orders the two accesses, so no lock is needed.
    private final class StderrBox: @unchecked Sendable {
        var bytes: [UInt8] = []
    }
}

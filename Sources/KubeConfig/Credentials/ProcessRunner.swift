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

    /// Runs the process; it is terminated (SIGTERM, then SIGKILL 2 s later) when `timeout` passes or the
    /// calling task is cancelled.
    static func run(executable: String, arguments: [String], environment: [String: String], interactive: Bool,
                    maximumOutput: Int, maximumStderr: Int, timeout: Duration? = nil) async throws -> Result {
        let control = Control()
        return try await withTaskCancellationHandler {
            let result: Result = try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    do {
                        continuation.resume(returning: try runBlocking(
                            executable: executable, arguments: arguments, environment: environment, interactive: interactive,
                            maximumOutput: maximumOutput, maximumStderr: maximumStderr, control: control, timeout: timeout))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            switch control.ending {
            case .cancelled: throw CancellationError()
            case .timedOut:
                throw KubeError(code: .execPluginFailed,
                                message: "exec: executable \(executable) did not finish within \(timeout.map(describe) ?? "its time limit"); it was stopped",
                                hint: "A credential plugin that waits for a login or a network call can hang; check that it runs on its own.")
            case nil: return result
            }
        } onCancel: {
            control.stop(.cancelled)
        }
    }

    /// `60 s`, `300 ms`.
    private static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return seconds >= 1 ? "\(seconds) s" : "\(attoseconds / 1_000_000_000_000_000) ms"
    }

    /// How a run was ended from outside, and the process to end.
    final class Control: Sendable {
        enum Ending: Sendable { case cancelled, timedOut }
        private struct State {
            var process: Process?
            var ending: Ending?
            var done = false
        }
        // Process is not Sendable; it is only touched under this lock, and only while the run that owns it
        // has not finished (so a signal never reaches a reused process id).
        private let state = Locked<State>(State())

        var ending: Ending? { state.withLock { $0.ending } }

        /// Registers the started process; returns `false` when the run was already ended.
        func started(_ process: Process) -> Bool {
            state.withLock { state in
                guard state.ending == nil else { return false }
                state.process = process
                return true
            }
        }

        func stop(_ ending: Ending) {
            let signalled = state.withLock { state -> Bool in
                guard state.ending == nil, !state.done else { return false }
                state.ending = ending
                return signal(SIGTERM, state: &state)
            }
            guard signalled else { return }
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
                _ = self.state.withLock { self.signal(SIGKILL, state: &$0) }
            }
        }

        private func signal(_ number: Int32, state: inout State) -> Bool {
            guard !state.done, let process = state.process, process.isRunning else { return false }
            // The plugin's own children (a shell script's `sleep`, a browser helper) hold its output pipe
            // open: signal its process group too when it leads one.
            let pid = process.processIdentifier
            if getpgid(pid) == pid { kill(-pid, number) }
            kill(pid, number)
            return true
        }

        func finished() {
            state.withLock {
                $0.process = nil
                $0.done = true
            }
        }
    }

    private static func runBlocking(executable: String, arguments: [String], environment: [String: String],
                                    interactive: Bool, maximumOutput: Int, maximumStderr: Int, control: Control,
                                    timeout: Duration?) throws -> Result {
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
        guard control.started(process) else {
            // Ended before it started (cancelled at once): stop it and its children, which a shell waiting
            // for its foreground child would otherwise outlive the signal for.
            let pid = process.processIdentifier
            if getpgid(pid) == pid { kill(-pid, SIGKILL) }
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return Result(exitCode: -1, signalled: true, stdout: [], stderrExcerpt: "")
        }
        defer { control.finished() }
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let delay = Double(seconds) + Double(attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { control.stop(.timedOut) }
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

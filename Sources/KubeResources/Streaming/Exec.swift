import Foundation
import KubeErrors
import KubeTransport

extension KubeUpgradedConnection {
    /// Sends `bytes` on a channel of the Kubernetes channel protocols: `[channel] + payload` messages of at
    /// most 32 KiB.
    func send(_ bytes: [UInt8], onChannel channel: UInt8) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 32 * 1024)
            try await send(.binary([channel] + bytes[offset..<end]))
            offset = end
        }
    }
}

/// The subprotocols KubeKit offers for exec and attach, most preferred first.
///
/// `v5.channel.k8s.io` (kube-apiserver 1.30+) can close stdin on its own; on `v4.channel.k8s.io` closing stdin
/// is impossible without closing the whole session (``ExecInput/close()`` then throws).
public enum ExecProtocol {
    /// `v5.channel.k8s.io`.
    public static let v5 = "v5.channel.k8s.io"
    /// `v4.channel.k8s.io`.
    public static let v4 = "v4.channel.k8s.io"
    /// What is offered: v5, then v4.
    public static let offered = [v5, v4]
}

/// Which streams of a command (or a running container, for attach) to connect.
public struct ExecOptions: Sendable, Hashable {
    /// The container; required when the pod has more than one (the server names the choices otherwise).
    public var container: String?
    /// Connect stdin (write with ``ExecSession/stdin``).
    public var stdin: Bool
    /// Connect stdout.
    public var stdout: Bool
    /// Connect stderr. With ``tty`` the terminal merges stderr into stdout, so it is not requested (as kubectl
    /// does) and ``ExecSession/stderr`` ends at once.
    public var stderr: Bool
    /// Allocate a terminal (resize it with ``ExecSession/resize(width:height:)``).
    public var tty: Bool

    /// stdout and stderr, no stdin, no terminal: a command whose output you want.
    public init(container: String? = nil, stdin: Bool = false, stdout: Bool = true, stderr: Bool = true, tty: Bool = false) {
        self.container = container
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
    }

    var requestsStderr: Bool { stderr && !tty }

    func query(command: [String]) -> [(name: String, value: String)] {
        var query = command.map { (name: "command", value: $0) }
        if let container { query.append(("container", container)) }
        if stdin { query.append(("stdin", "true")) }
        if stdout { query.append(("stdout", "true")) }
        if requestsStderr { query.append(("stderr", "true")) }
        if tty { query.append(("tty", "true")) }
        return query
    }
}

/// How a command ended.
public struct ExecStatus: Sendable, Hashable {
    /// The exit code: 0 on success, the process's code otherwise.
    public var exitCode: Int
    /// The server's message for a non-zero exit (`command terminated with non-zero exit code: ...`).
    public var message: String?
}

/// A finished command's output and exit code.
public struct ExecResult: Sendable, Hashable {
    /// Everything written to stdout.
    public var stdout: [UInt8]
    /// Everything written to stderr.
    public var stderr: [UInt8]
    /// The exit code (0: success).
    public var exitCode: Int
    /// stdout as UTF-8 text.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr as UTF-8 text.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// The writing end of a session's stdin.
public struct ExecInput: Sendable {
    let session: ExecSession

    /// Sends bytes to the process's stdin (waits while the connection's send queue is full).
    public func write(_ bytes: [UInt8]) async throws { try await session.writeStdin(bytes) }

    /// Sends text as UTF-8.
    public func write(_ text: String) async throws { try await session.writeStdin(Array(text.utf8)) }

    /// Closes stdin (the process reads end of file) while its output keeps coming. Needs
    /// `v5.channel.k8s.io`; on a v4 server it throws ``KubeError/Code/unsupported`` (close the whole
    /// session with ``ExecSession/cancel()`` instead).
    public func close() async throws { try await session.closeStdin() }
}

/// A command running in a container (exec) or a connection to a running container (attach), over one
/// WebSocket.
///
/// ```swift
/// let session = try await client.pods().exec("web-0", command: ["sh", "-c", "cat > /tmp/in"],
///                                             options: ExecOptions(stdin: true))
/// try await session.stdin.write("hello\n")
/// try await session.stdin.close()
/// let status = try await session.status()   // status.exitCode
/// ```
///
/// Output arrives on ``stdout`` and ``stderr`` (async sequences of byte chunks); ``status()`` waits for the
/// end and decodes the exit code from the error channel's Status, as client-go does (a `NonZeroExitCode`
/// failure gives the code; any other failure throws its message). ``collect(upTo:)`` does all of it at once.
public final class ExecSession: Sendable {
    /// The command's stdout (ends at once if not requested).
    public let stdout: RemoteByteStream
    /// The command's stderr (ends at once if not requested, or with a terminal).
    public let stderr: RemoteByteStream
    /// The subprotocol the server chose.
    public let negotiatedProtocol: String?
    /// What to say in errors: `exec in pods/web-0`.
    let label: String
    let options: ExecOptions
    private let connection: any KubeUpgradedConnection
    private let outcome = Locked<(result: Result<ExecStatus, KubeError>?, waiters: [CheckedContinuation<ExecStatus, any Error>])>((nil, []))
    private let reader = Locked<Task<Void, Never>?>(nil)
    private let stdinClosed = Locked(false)

    /// Stdin's writing end (writes fail unless ``ExecOptions/stdin`` was set).
    public var stdin: ExecInput { ExecInput(session: self) }

    init(connection: any KubeUpgradedConnection, options: ExecOptions, label: String) {
        self.connection = connection
        self.options = options
        self.label = label
        self.negotiatedProtocol = connection.selectedProtocol
        let out = options.stdout ? StreamBuffer() : StreamBuffer.finished()
        let err = options.requestsStderr ? StreamBuffer() : StreamBuffer.finished()
        stdout = RemoteByteStream(buffer: out)
        stderr = RemoteByteStream(buffer: err)
        let task = Task { [connection, outcome, label] in
            var errorChannel: [UInt8] = []
            var failure: KubeError?
            do {
                while let message = try await connection.receive() {
                    guard case .binary(let bytes) = message else {
                        throw KubeError(code: .transport, message: "\(label): the server sent a text message on a binary channel protocol")
                    }
                    guard let channel = bytes.first else { continue }
                    let payload = Array(bytes.dropFirst())
                    switch channel {
                    case 1: await out.append(payload)
                    case 2: await err.append(payload)
                    case 3: errorChannel += payload
                    default: break  // channels not requested, or unknown: ignored, as client-go does
                    }
                }
            } catch let error as KubeError {
                failure = error
            } catch {
                failure = KubeError(code: .cancelled, message: "\(label) was cancelled")
            }
            let result: Result<ExecStatus, KubeError>
            if let failure {
                result = .failure(failure)
            } else {
                result = Result { () throws(KubeError) in try ExecSession.decodeStatus(errorChannel, label: label) }
            }
            switch result {
            case .success:
                out.finish()
                err.finish()
            case .failure(let error):
                out.finish(throwing: error)
                err.finish(throwing: error)
            }
            let waiters = outcome.withLock { state in
                defer { state.waiters = [] }
                state.result = result
                return state.waiters
            }
            for waiter in waiters { waiter.resume(with: result.mapError { $0 as any Error }) }
            await connection.close()
        }
        reader.withLock { $0 = task }
    }

    deinit { reader.withLock { $0 }?.cancel() }

    /// Waits until the command has ended and its output was read, and returns how it ended. A non-zero exit
    /// is a result, not an error; a failure to run the command (executable not found, container gone) or a
    /// broken connection throws ``KubeError``.
    public func status() async throws -> ExecStatus {
        try await withCheckedThrowingContinuation { continuation in
            let ready = outcome.withLock { state -> Result<ExecStatus, KubeError>? in
                if state.result == nil { state.waiters.append(continuation) }
                return state.result
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }

    /// Reads stdout and stderr to the end (at once, so neither stalls the other) and waits for the exit code.
    /// - Parameter limit: The most bytes to accept per stream.
    public func collect(upTo limit: Int = 64 << 20) async throws -> ExecResult {
        async let out = stdout.collect(upTo: limit)
        async let err = stderr.collect(upTo: limit)
        let (stdoutBytes, stderrBytes) = try await (out, err)
        let status = try await status()
        return ExecResult(stdout: stdoutBytes, stderr: stderrBytes, exitCode: status.exitCode)
    }

    /// Sets the terminal's size (needs ``ExecOptions/tty``); sends `{"Width":w,"Height":h}` on channel 4.
    public func resize(width: UInt16, height: UInt16) async throws {
        guard options.tty else {
            throw KubeError(code: .invalidArgument, message: "\(label): resizing needs a terminal (ExecOptions.tty)")
        }
        try await connection.send(.binary([4] + Array("{\"Width\":\(width),\"Height\":\(height)}".utf8)))
    }

    /// Ends the session now: closes the WebSocket; unread output ends with ``KubeError/Code/cancelled``.
    public func cancel() async {
        reader.withLock { $0 }?.cancel()
        await connection.close()
    }

    func writeStdin(_ bytes: [UInt8]) async throws {
        guard options.stdin else {
            throw KubeError(code: .invalidArgument, message: "\(label): stdin was not requested (ExecOptions.stdin)")
        }
        guard !stdinClosed.withLock({ $0 }) else {
            throw KubeError(code: .invalidArgument, message: "\(label): stdin is already closed")
        }
        try await connection.send(bytes, onChannel: 0)
    }

    func closeStdin() async throws {
        guard options.stdin else {
            throw KubeError(code: .invalidArgument, message: "\(label): stdin was not requested (ExecOptions.stdin)")
        }
        guard negotiatedProtocol == ExecProtocol.v5 else {
            throw KubeError(code: .unsupported,
                            message: "\(label): closing stdin needs \(ExecProtocol.v5); the server chose \(negotiatedProtocol ?? "no subprotocol")",
                            hint: "The API server is older than 1.30 or has TranslateStreamCloseWebsocketRequests off; "
                                + "end the session with cancel(), or make the command end on its own.")
        }
        guard stdinClosed.withLock({ closed in defer { closed = true }; return !closed }) else { return }
        try await connection.send(.binary([255, 0]))
    }

    /// The error channel's Status → exit code (client-go's errorstream.go rules).
    static func decodeStatus(_ bytes: [UInt8], label: String) throws(KubeError) -> ExecStatus {
        guard !bytes.isEmpty else { return ExecStatus(exitCode: 0) }
        let status: KubeStatus
        do {
            status = try JSONDecoder().decode(KubeStatus.self, from: Data(bytes))
        } catch {
            throw KubeError(code: .decoding, message: "\(label): error stream protocol error: \(error) in \"\(String(decoding: bytes.prefix(512), as: UTF8.self))\"")
        }
        if status.status == "Success" { return ExecStatus(exitCode: 0) }
        if status.reason?.rawValue == "NonZeroExitCode" {
            guard let details = status.details else {
                throw KubeError(code: .decoding, message: "\(label): error stream protocol error: details must be set", status: status)
            }
            guard let cause = details.causes?.first(where: { $0.reason == "ExitCode" }) else {
                throw KubeError(code: .decoding, message: "\(label): error stream protocol error: no ExitCode cause given", status: status)
            }
            guard let code = cause.message.flatMap({ UInt8($0) }) else {
                throw KubeError(code: .decoding,
                                message: "\(label): error stream protocol error: invalid exit code value \"\(cause.message ?? "")\"", status: status)
            }
            return ExecStatus(exitCode: Int(code), message: status.message)
        }
        throw KubeError(code: .api, message: status.message ?? "\(label) failed (\(status.reason?.rawValue ?? "no reason given"))",
                        status: status, httpStatusCode: status.code)
    }
}

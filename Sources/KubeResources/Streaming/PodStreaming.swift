import Foundation
import KubeErrors
import KubeTransport

extension ResourceClient where Resource == CoreV1.Pod {
    /// Runs `command` in a container of pod `name` (`GET .../pods/{name}/exec`, upgraded to a WebSocket).
    /// Needs the ``AccessTier/full`` tier: checked before anything is sent.
    ///
    /// The command runs directly, without a shell: pass `["sh", "-c", "..."]` for one. The session offers
    /// `v5.channel.k8s.io` then `v4.channel.k8s.io`.
    public func exec(_ name: String, command: [String], options: ExecOptions = ExecOptions()) async throws -> ExecSession {
        try client.authorize("exec in", needs: .full, on: resourceName)
        guard !command.isEmpty else {
            throw KubeError(code: .invalidArgument, message: "exec in pods/\(name) needs a command")
        }
        return try await openSession(name, subresource: "exec", query: options.query(command: command), options: options)
    }

    /// Runs `command` and returns its output and exit code (stdin, when given, is written then closed).
    ///
    /// ```swift
    /// let result = try await client.pods().run("web-0", command: ["cat", "/etc/hostname"])
    /// print(result.exitCode, result.stdoutText)
    /// ```
    public func run(_ name: String, command: [String], container: String? = nil, stdin: [UInt8]? = nil,
                    upTo limit: Int = 64 << 20) async throws -> ExecResult {
        let session = try await exec(name, command: command, options: ExecOptions(container: container, stdin: stdin != nil))
        if let stdin {
            try await session.stdin.write(stdin)
            try await session.stdin.close()
        }
        return try await session.collect(upTo: limit)
    }

    /// Connects to the main process of a running container (`GET .../pods/{name}/attach`), like
    /// `kubectl attach`. Needs the ``AccessTier/full`` tier.
    public func attach(_ name: String, options: ExecOptions = ExecOptions()) async throws -> ExecSession {
        try client.authorize("attach to", needs: .full, on: resourceName)
        return try await openSession(name, subresource: "attach", query: options.query(command: []), options: options)
    }

    private func openSession(_ name: String, subresource: String, query: [(name: String, value: String)],
                             options: ExecOptions) async throws -> ExecSession {
        guard options.stdin || options.stdout || options.requestsStderr else {
            throw KubeError(code: .invalidArgument, message: "\(subresource) in pods/\(name) needs at least one of stdin, stdout and stderr")
        }
        let request = KubeRequest(.get, path: try objectPath(name, subresource: subresource), query: query, kind: .stream)
        let connection = try await client.transport.upgrade(request, protocols: ExecProtocol.offered)
        return ExecSession(connection: connection, options: options, label: "\(subresource) in pods/\(name)")
    }
}

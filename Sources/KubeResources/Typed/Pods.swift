import KubeConfig
import KubeErrors
import KubeTransport

extension KubeClient {
    /// Pods in `namespace` (the client's default namespace when `nil`).
    public func pods(in namespace: String? = nil) -> ResourceClient<CoreV1.Pod> { resources(CoreV1.Pod.self, in: namespace) }
    /// Pods in every namespace (list and watch).
    public var podsInAllNamespaces: ResourceClient<CoreV1.Pod> { resourcesInAllNamespaces(CoreV1.Pod.self) }
}

/// Which log to read and how much of it (`PodLogOptions`).
public struct LogOptions: Sendable, Hashable {
    /// Which stream of the container's output (the server feature `PodLogsQuerySplitStreams`).
    public enum Stream: String, Sendable, Hashable {
        /// Both (the default).
        case all = "All"
        /// Standard output only.
        case stdout = "Stdout"
        /// Standard error only.
        case stderr = "Stderr"
    }

    /// The container; may be left out when the pod has exactly one.
    public var container: String?
    /// Keep the stream open and deliver new lines as they are written.
    public var follow: Bool
    /// The previous, terminated instance of the container (after a restart).
    public var previous: Bool
    /// Only lines newer than this many seconds (excludes ``sinceTime``).
    public var sinceSeconds: Int64?
    /// Only lines newer than this time (excludes ``sinceSeconds``).
    public var sinceTime: Time?
    /// Prefix each line with its RFC 3339 timestamp and a space.
    public var timestamps: Bool
    /// Only the last this many lines.
    public var tailLines: Int64?
    /// Stop after this many bytes (the last line may be cut).
    public var limitBytes: Int64?
    /// Which output stream.
    public var stream: Stream?
    /// Let the API server skip verifying the kubelet's certificate (for broken node certificates).
    public var insecureSkipTLSVerifyBackend: Bool

    /// Creates options.
    public init(container: String? = nil, follow: Bool = false, previous: Bool = false, sinceSeconds: Int64? = nil,
                sinceTime: Time? = nil, timestamps: Bool = false, tailLines: Int64? = nil, limitBytes: Int64? = nil,
                stream: Stream? = nil, insecureSkipTLSVerifyBackend: Bool = false) {
        self.container = container
        self.follow = follow
        self.previous = previous
        self.sinceSeconds = sinceSeconds
        self.sinceTime = sinceTime
        self.timestamps = timestamps
        self.tailLines = tailLines
        self.limitBytes = limitBytes
        self.stream = stream
        self.insecureSkipTLSVerifyBackend = insecureSkipTLSVerifyBackend
    }

    func apply(to request: inout KubeRequest) throws {
        if sinceSeconds != nil && sinceTime != nil {
            throw KubeError(code: .invalidArgument, message: "sinceSeconds and sinceTime cannot both be set")
        }
        if let sinceSeconds, sinceSeconds < 1 { throw KubeError(code: .invalidArgument, message: "sinceSeconds must be at least 1, not \(sinceSeconds)") }
        if let tailLines, tailLines < 0 { throw KubeError(code: .invalidArgument, message: "tailLines must be 0 or more, not \(tailLines)") }
        if let limitBytes, limitBytes < 1 { throw KubeError(code: .invalidArgument, message: "limitBytes must be at least 1, not \(limitBytes)") }
        if let container { request.addQuery("container", container) }
        if follow { request.addQuery("follow", "true") }
        if previous { request.addQuery("previous", "true") }
        if let sinceSeconds { request.addQuery("sinceSeconds", String(sinceSeconds)) }
        if let sinceTime { request.addQuery("sinceTime", sinceTime.description) }
        if timestamps { request.addQuery("timestamps", "true") }
        if let tailLines { request.addQuery("tailLines", String(tailLines)) }
        if let limitBytes { request.addQuery("limitBytes", String(limitBytes)) }
        if let stream { request.addQuery("stream", stream.rawValue) }
        if insecureSkipTLSVerifyBackend { request.addQuery("insecureSkipTLSVerifyBackend", "true") }
    }
}

/// The lines of a container log as they arrive. Log bytes need not be UTF-8: invalid sequences become
/// U+FFFD; use ``bytes`` for the raw lines.
public struct LogLines: AsyncSequence, Sendable {
    /// A line without its newline.
    public typealias Element = String

    let response: KubeResponse

    /// The raw lines, without their newlines.
    public var bytes: KubeResponseLines { response.body.lines }

    /// Iterates lines.
    public func makeAsyncIterator() -> Iterator { Iterator(lines: response.body.lines.makeAsyncIterator()) }

    /// Stops following and aborts the transfer.
    public func cancel() { response.body.cancel() }

    /// Decodes lines.
    public struct Iterator: AsyncIteratorProtocol {
        var lines: KubeResponseLines.Iterator

        /// The next line, or `nil` when the log ends.
        public mutating func next() async throws -> String? {
            try await lines.next().map { String(decoding: $0, as: UTF8.self) }
        }
    }
}

extension ResourceClient where Resource == CoreV1.Pod {
    func logRequest(_ name: String, _ options: LogOptions) throws -> KubeRequest {
        try client.authorize("read logs of", needs: .read, on: resourceName)
        var request = KubeRequest(.get, path: try objectPath(name, subresource: "log"), kind: options.follow ? .stream : .unary)
        try options.apply(to: &request)
        return request
    }

    /// Reads a container's log as one string (`GET .../pods/{name}/log`). A pod not yet on a node has no log
    /// (the server answers 204): the result is empty.
    /// - Parameter limit: The most bytes to accept (16 MiB by default; use ``LogOptions/tailLines`` or
    ///   ``logLines(_:options:)`` for more).
    public func logs(_ name: String, options: LogOptions = LogOptions(), upTo limit: Int = 16 << 20) async throws -> String {
        let (_, body) = try await client.transport.data(for: try logRequest(name, options), upTo: limit)
        return String(decoding: body, as: UTF8.self)
    }

    /// Streams a container's log line by line; with ``LogOptions/follow`` it stays open until the container
    /// stops or you stop iterating.
    public func logLines(_ name: String, options: LogOptions = LogOptions()) async throws -> LogLines {
        LogLines(response: try await client.transport.send(try logRequest(name, options)))
    }

    /// Evicts pod `name` through the Eviction API (`POST .../pods/{name}/eviction`, policy/v1), which honours
    /// PodDisruptionBudgets: a budget that allows no disruption answers 429 (`isTooManyRequests`; retry
    /// later, as `kubectl drain` does every 5 s).
    public func evict(_ name: String, options: DeleteOptions = DeleteOptions()) async throws {
        try client.authorize("evict", needs: .write, on: resourceName)
        let eviction = PolicyV1.Eviction(
            apiVersion: "policy/v1", deleteOptions: options.isEmpty ? nil : options.model, kind: "Eviction",
            metadata: MetaV1.ObjectMeta(name: name, namespace: namespace))
        let request = KubeRequest(.post, path: try objectPath(name, subresource: "eviction"),
                                  headers: ["Content-Type": "application/json"], body: try KubeCoding.encode(eviction))
        _ = try await client.data(request)
    }
}

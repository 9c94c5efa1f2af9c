import Foundation
import KubeErrors
import Logging

/// Runs a kubeconfig `exec` credential plugin (client.authentication.k8s.io v1 or v1beta1) and caches
/// what it returns.
///
/// - The plugin gets the parent environment plus the stanza's `env` and `KUBERNETES_EXEC_INFO`, which holds
///   `{"kind":"ExecCredential","apiVersion":…,"spec":{"interactive":…[,"cluster":{…}]}}`.
/// - Standard input is connected only in interactive mode (`Never`: never; `IfAvailable`: when it is a
///   terminal; `Always`: a terminal is required). Standard error goes to the user's terminal in interactive
///   mode (prompts must be seen) and is captured otherwise, for error messages.
/// - Output must be an `ExecCredential` of the configured apiVersion with a `token` or a
///   `clientCertificateData`/`clientKeyData` pair (raw PEM). It is cached until `expirationTimestamp`
///   minus ``expirySkew``; without an expiry it is cached for the provider's lifetime.
/// - Runs are serialized: concurrent callers share one run. ``refresh(rejected:)`` re-runs the plugin
///   after a 401 unless another caller already did.
/// - Providers are shared process-wide per (exec stanza, cluster), like client-go's authenticator cache,
///   so every client built from one kubeconfig runs the plugin once: use ``shared(for:cluster:staticClientCertificate:)``.
public actor ExecCredentialProvider: CredentialProvider {
    /// Credentials are renewed this long before they expire.
    public static let expirySkew: TimeInterval = 30
    /// At most this much of the plugin's standard error is kept for error messages.
    public static let maximumStderrExcerpt = 2048
    /// At most this much standard output is read.
    public static let maximumOutputBytes = 1 << 20

    /// The exec stanza.
    public nonisolated let config: ExecConfig
    /// What `provideClusterInfo` passes to the plugin (`nil` when it is off).
    public nonisolated let cluster: ExecClusterInfo?
    private let staticClientCertificate: ClientCertificate?
    private let environment: [String: String]
    private let stdinIsTerminal: @Sendable () -> Bool
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// How long the plugin may run before it is stopped and the call fails (`nil`: no limit). client-go sets
    /// none; an unattended tool needs one, because a plugin waiting for a browser login never ends by itself.
    public nonisolated let timeout: Duration?
    private var cached: Credentials?
    private var waiting = 0
    private var cancelledWaiting = 0
    private var running: Task<Credentials, any Error>?
    /// How many times the plugin has been started (for diagnostics and tests).
    public private(set) var runCount = 0

    /// Creates a provider. Most code wants ``shared(for:cluster:staticClientCertificate:)`` instead.
    /// - Parameters:
    ///   - config: The exec stanza (validated by the loader).
    ///   - cluster: The cluster information to pass when `provideClusterInfo` is set.
    ///   - staticClientCertificate: A client certificate from the kubeconfig, used when the plugin returns a token only.
    ///   - environment: The parent environment the plugin inherits (default: this process's).
    ///   - stdinIsTerminal: Whether standard input is a terminal (default: `isatty(0)`).
    ///   - now: The clock; tests replace it.
    public init(
        config: ExecConfig,
        cluster: ExecClusterInfo? = nil,
        staticClientCertificate: ClientCertificate? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        stdinIsTerminal: @escaping @Sendable () -> Bool = { isatty(0) == 1 },
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "KubeKit.Credentials"),
        timeout: Duration? = .seconds(60)
    ) {
        self.timeout = timeout
        self.config = config
        self.cluster = config.provideClusterInfo ? cluster : nil
        self.staticClientCertificate = staticClientCertificate
        self.environment = environment
        self.stdinIsTerminal = stdinIsTerminal
        self.now = now
        self.logger = logger
    }

    // MARK: Process-wide sharing

    private struct CacheKey: Hashable {
        var config: ExecConfig
        var cluster: ExecClusterInfo?
        var staticClientCertificate: ClientCertificate?
    }

    private static let registry = Locked<[CacheKey: ExecCredentialProvider]>([:])

    /// The process-wide provider for this exec stanza and cluster (created on first use).
    public static func shared(for config: ExecConfig, cluster: ExecClusterInfo?,
                              staticClientCertificate: ClientCertificate? = nil) -> ExecCredentialProvider {
        let key = CacheKey(config: config, cluster: config.provideClusterInfo ? cluster : nil,
                           staticClientCertificate: staticClientCertificate)
        return registry.withLock { providers in
            if let existing = providers[key] { return existing }
            let provider = ExecCredentialProvider(config: config, cluster: cluster, staticClientCertificate: staticClientCertificate)
            providers[key] = provider
            return provider
        }
    }

    // MARK: CredentialProvider

    /// The cached credentials, or a fresh run of the plugin when there are none or they are about to expire.
    public func credentials() async throws -> Credentials {
        if let cached, isFresh(cached) { return cached }
        return try await run()
    }

    /// Re-runs the plugin after a 401, unless `rejected` is no longer the cached value (someone else refreshed).
    public func refresh(rejected: Credentials) async throws -> Credentials {
        if let cached, cached != rejected { return cached }
        if let running { return try await running.value }
        cached = nil
        return try await run()
    }

    private func isFresh(_ credentials: Credentials) -> Bool {
        guard let expiresAt = credentials.expiresAt else { return true }
        return now() < expiresAt.addingTimeInterval(-Self.expirySkew)
    }

    /// Starts the plugin, or joins the run in progress.
    private func run() async throws -> Credentials {
        let task: Task<Credentials, any Error>
        let starter = running == nil
        if let running {
            task = running
        } else {
            task = Task { try await self.execute() }
            running = task
            waiting = 0
            cancelledWaiting = 0
        }
        waiting += 1
        defer { if starter { running = nil } }
        // A cancelled caller stops waiting only when every caller waiting on this run was cancelled: then the
        // run itself is cancelled, which stops the plugin.
        let result = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            Task { await self.callerCancelled(task) }
        }
        if starter { cached = result }
        return result
    }

    private func callerCancelled(_ task: Task<Credentials, any Error>) {
        guard running == task else { return }
        cancelledWaiting += 1
        if cancelledWaiting >= waiting { task.cancel() }
    }

    private func execute() async throws -> Credentials {
        runCount += 1
        let interactive = try decideInteractive()
        let input = ExecInfo.request(apiVersion: config.apiVersion ?? "", interactive: interactive, cluster: cluster)
        var environment = self.environment
        for variable in config.env { environment[variable.name] = variable.value.value }
        environment["KUBERNETES_EXEC_INFO"] = input
        let executable = try locateCommand(in: environment)
        logger.debug("running exec credential plugin", metadata: ["command": "\(config.command)"])
        let result = try await ProcessRunner.run(
            executable: executable, arguments: config.args, environment: environment,
            interactive: interactive, maximumOutput: Self.maximumOutputBytes, maximumStderr: Self.maximumStderrExcerpt,
            timeout: timeout)
        if result.exitCode != 0 {
            var message = "exec: executable \(config.command) failed with exit code \(result.exitCode)"
            if result.signalled { message = "exec: executable \(config.command) was terminated by signal \(result.exitCode)" }
            let stderr = result.stderrExcerpt
            throw KubeError(code: .execPluginFailed, message: message,
                            hint: stderr.isEmpty ? nil : "plugin stderr: \(stderr)")
        }
        if !result.stderrExcerpt.isEmpty {
            logger.debug("exec credential plugin wrote to stderr", metadata: ["stderr": "\(result.stderrExcerpt)"])
        }
        return try ExecInfo.parseResponse(result.stdout, apiVersion: config.apiVersion ?? "", command: config.command,
                                          staticClientCertificate: staticClientCertificate)
    }

    private func decideInteractive() throws(KubeError) -> Bool {
        switch config.interactiveMode ?? .ifAvailable {
        case .never: return false
        case .always:
            guard stdinIsTerminal() else {
                throw KubeError(code: .execPluginFailed,
                                message: "exec plugin cannot support interactive mode: standard input is not a terminal",
                                hint: "The kubeconfig sets interactiveMode: Always for \(config.command); run from a terminal or change it to IfAvailable.")
            }
            return true
        default: return stdinIsTerminal()
        }
    }

    private func locateCommand(in environment: [String: String]) throws(KubeError) -> String {
        let command = config.command
        if command.contains("/") {
            if FileManager.default.isExecutableFile(atPath: command) { return command }
        } else {
            for directory in (environment["PATH"] ?? "").split(separator: ":") where !directory.isEmpty {
                let candidate = "\(directory)/\(command)"
                if FileAccess.isFile(candidate), FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        var hint = "KubeKit runs the exec credential plugin named in the kubeconfig; it must be installed and on PATH (or an absolute path)."
        if let installHint = config.installHint, !installHint.isEmpty {
            hint += "\n" + Self.sanitizeInstallHint(installHint)
        }
        throw KubeError(code: .execPluginNotFound, message: "exec: executable \(command) not found", hint: hint)
    }

    /// Replaces control characters other than tab and newlines with `U+XXXX` text (as client-go does).
    static func sanitizeInstallHint(_ hint: String) -> String {
        var result = ""
        for scalar in hint.unicodeScalars {
            if scalar.properties.generalCategory == .control, !["\t", "\n", "\u{0B}", "\u{0C}", "\r"].contains(scalar) {
                result += String(format: "U+%04X", scalar.value)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// The cluster information an exec plugin receives when `provideClusterInfo` is set (`spec.cluster`).
public struct ExecClusterInfo: Sendable, Hashable {
    /// `server`.
    public var server: String
    /// `tls-server-name`.
    public var tlsServerName: String?
    /// `insecure-skip-tls-verify`.
    public var insecureSkipTLSVerify: Bool
    /// `certificate-authority-data`: the CA PEM (from the file when only a file was configured).
    public var certificateAuthorityData: Sensitive<[UInt8]>?
    /// `proxy-url`.
    public var proxyURL: String?
    /// `disable-compression`.
    public var disableCompression: Bool
    /// `config`: the cluster extension named `client.authentication.k8s.io/exec`, verbatim.
    public var config: JSONValue?

    /// Creates cluster information.
    public init(server: String, tlsServerName: String? = nil, insecureSkipTLSVerify: Bool = false,
                certificateAuthorityData: [UInt8]? = nil, proxyURL: String? = nil, disableCompression: Bool = false,
                config: JSONValue? = nil) {
        self.server = server
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.certificateAuthorityData = certificateAuthorityData.map(Sensitive.init)
        self.proxyURL = proxyURL
        self.disableCompression = disableCompression
        self.config = config
    }
}

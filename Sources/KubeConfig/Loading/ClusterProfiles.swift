import Foundation
import KubeErrors
import Logging

/// Named kubeconfig sources, so one tool can talk to several clusters by name (e.g. `ephemeral`, `stage`,
/// `production`), each with its own kubeconfig.
///
/// ```swift
/// var profiles = ClusterProfiles()
/// profiles.register("production", .file("/home/me/.kube/config.p"), namespace: "web")
/// let production = try profiles.configuration(for: "production")
/// ```
///
/// Loading a profile reads its files and nothing else: it never copies or rewrites a kubeconfig and never
/// changes the process environment (each profile gets its own ``KubeconfigLoader`` with its own view of
/// the environment).
public struct ClusterProfiles: Sendable {
    /// Where a profile's configuration comes from.
    public enum Source: Sendable, Hashable {
        /// One kubeconfig file (it must exist).
        case file(String)
        /// Several kubeconfig files merged with client-go's rules (each must exist).
        case files([String])
        /// The usual lookup: `KUBECONFIG`, else `~/.kube/config`, else in-cluster.
        case standard
        /// The pod's service account.
        case inCluster
        /// Kubeconfig text held in memory.
        case text(String)
    }

    /// One registered profile.
    public struct Profile: Sendable, Hashable {
        /// The profile's name.
        public var name: String
        /// Where its kubeconfig comes from.
        public var source: Source
        /// Overrides applied when it is loaded (context, namespace...).
        public var overrides: ConfigOverrides
    }

    private var profiles: [Profile] = []
    private let environment: [String: String]
    private let logger: Logger

    /// Creates an empty registry.
    /// - Parameter environment: The environment the loaders see (default: this process's).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "KubeKit.KubeConfig")) {
        self.environment = environment
        self.logger = logger
    }

    /// The conventional three profiles next to `~/.kube/config`: `ephemeral` → `config.e`, `stage` →
    /// `config.s`, `production` → `config.p`.
    public static func suffixedFiles(
        home: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ClusterProfiles {
        var profiles = ClusterProfiles(environment: environment)
        let base = FileAccess.join(home ?? environment["HOME"] ?? "/", ".kube/config")
        profiles.register("ephemeral", .file(base + ".e"))
        profiles.register("stage", .file(base + ".s"))
        profiles.register("production", .file(base + ".p"))
        return profiles
    }

    /// Registers (or replaces) a profile.
    public mutating func register(_ name: String, _ source: Source, context: String? = nil, namespace: String? = nil) {
        register(name, source, overrides: ConfigOverrides(context: context, namespace: namespace))
    }

    /// Registers (or replaces) a profile with full overrides.
    public mutating func register(_ name: String, _ source: Source, overrides: ConfigOverrides) {
        profiles.removeAll { $0.name == name }
        profiles.append(Profile(name: name, source: source, overrides: overrides))
    }

    /// The registered names, in registration order.
    public var names: [String] { profiles.map(\.name) }

    /// The profile named `name`, if registered.
    public func profile(named name: String) -> Profile? { profiles.first { $0.name == name } }

    /// Loads and resolves the profile named `name`.
    /// - Parameter overrides: Applied on top of the profile's own overrides (non-nil fields win).
    /// - Throws: ``KubeError/Code/profileNotFound`` listing the registered names, or any loading error.
    public func configuration(for name: String, overrides: ConfigOverrides = ConfigOverrides()) throws -> ClientConfiguration {
        guard let profile = profile(named: name) else {
            throw KubeError(code: .profileNotFound, message: "no cluster profile named \"\(name)\"",
                            hint: names.isEmpty ? "No profiles are registered." : "Registered profiles: \(names.joined(separator: ", ")).")
        }
        var merged = profile.overrides
        merged.apply(overrides)
        switch profile.source {
        case .file(let path):
            return try KubeconfigLoader(explicitPaths: [path], environment: environment, logger: logger).load(merged)
        case .files(let paths):
            return try KubeconfigLoader(explicitPaths: paths, environment: environment, logger: logger).load(merged)
        case .standard:
            return try KubeconfigLoader(environment: environment, logger: logger).load(merged)
        case .inCluster:
            var configuration = try KubeconfigLoader(environment: environment, logger: logger).loadInCluster()
            if let namespace = merged.namespace {
                configuration.namespace = namespace
                configuration.namespaceSource = .explicit
            }
            return configuration
        case .text(let text):
            let loader = KubeconfigLoader(environment: environment, logger: logger)
            return try loader.resolve(Kubeconfig(yaml: text, file: "profile \(name)", logger: logger), overrides: merged)
        }
    }
}

extension ConfigOverrides {
    /// Overlays the non-nil fields of `other`.
    mutating func apply(_ other: ConfigOverrides) {
        if let value = other.context { context = value }
        if let value = other.cluster { cluster = value }
        if let value = other.user { user = value }
        if let value = other.namespace { namespace = value }
        if let value = other.server { server = value }
        if let value = other.tlsServerName { tlsServerName = value }
        if let value = other.insecureSkipTLSVerify { insecureSkipTLSVerify = value }
        if let value = other.certificateAuthority { certificateAuthority = value }
        if let value = other.token { token = value }
        if let value = other.impersonate { impersonate = value }
        if let value = other.impersonateGroups { impersonateGroups = value }
    }
}

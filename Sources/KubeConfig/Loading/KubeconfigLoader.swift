import Foundation
import KubeErrors
import Logging

/// Finds, merges and resolves kubeconfig files exactly as client-go (and so kubectl) does.
///
/// Precedence:
/// 1. ``explicitPaths`` (e.g. a `--kubeconfig` flag): only those files, which must exist.
/// 2. Else the `KUBECONFIG` list from ``environment`` (split on `:`, empty and duplicate entries dropped,
///    missing files skipped with a logged warning).
/// 3. Else `~/.kube/config` (a missing file is an empty config).
/// 4. If the result is empty and the process runs in a pod (`KUBERNETES_SERVICE_HOST` and
///    `KUBERNETES_SERVICE_PORT` set, service-account token present), the in-cluster configuration.
///
/// Merging: for clusters, users and contexts the first file that defines a name wins the whole stanza;
/// for `current-context` and the other scalars the first non-empty value wins. Relative paths resolve
/// against the file that holds them.
///
/// The loader never writes a file and never changes the process environment; everything it reads from the
/// environment comes from ``environment``, which tests (and profiles) can replace.
public struct KubeconfigLoader: Sendable {
    /// Files to load instead of `KUBECONFIG` / `~/.kube/config`. Each must exist.
    public var explicitPaths: [String]
    /// The environment to read `KUBECONFIG`, `HOME` and the in-cluster variables from.
    public var environment: [String: String]
    /// The service-account folder for in-cluster configuration.
    public var serviceAccountDirectory: String
    /// Whether to fall back to in-cluster configuration when no kubeconfig defines anything.
    public var allowsInClusterFallback: Bool
    /// Where warnings go (missing KUBECONFIG entries, unknown fields, credentials dropped for plain HTTP).
    public var logger: Logger

    /// The service-account folder Kubernetes mounts into pods.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Creates a loader.
    /// - Parameters:
    ///   - explicitPaths: Files to load instead of the `KUBECONFIG` / home lookup.
    ///   - environment: The environment to consult (default: this process's).
    public init(
        explicitPaths: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubeconfigLoader.defaultServiceAccountDirectory,
        allowsInClusterFallback: Bool = true,
        logger: Logger = Logger(label: "KubeKit.KubeConfig")
    ) {
        self.explicitPaths = explicitPaths
        self.environment = environment
        self.serviceAccountDirectory = serviceAccountDirectory
        self.allowsInClusterFallback = allowsInClusterFallback
        self.logger = logger
    }

    /// A loader for one file, as `kubectl --kubeconfig FILE`.
    public static func file(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> KubeconfigLoader {
        KubeconfigLoader(explicitPaths: [path], environment: environment)
    }

    // MARK: Finding and merging

    /// The files that would be read, in precedence order, and whether each must exist.
    public var candidateFiles: [(path: String, required: Bool)] {
        if !explicitPaths.isEmpty { return explicitPaths.map { ($0, true) } }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            var seen: Set<String> = []
            return list.split(separator: ":").map(String.init).filter { !$0.isEmpty && seen.insert($0).inserted }
                .map { ($0, false) }
        }
        guard let home = environment["HOME"], !home.isEmpty else { return [] }
        return [(FileAccess.join(home, ".kube/config"), false)]
    }

    /// Reads and merges the kubeconfig files (steps 1–3); the result may be empty.
    public func loadKubeconfig() throws -> (config: Kubeconfig, files: [String]) {
        var merged = Kubeconfig()
        var loaded: [String] = []
        var missing: [String] = []
        for (path, required) in candidateFiles {
            if !required, !FileManager.default.fileExists(atPath: path) {
                missing.append(path)
                continue
            }
            let config = try Kubeconfig(contentsOf: path, logger: logger)
            merged.merge(config)
            loaded.append(path)
        }
        if loaded.isEmpty, !missing.isEmpty, environment["KUBECONFIG"].map({ !$0.isEmpty }) == true {
            logger.warning("Config not found: \(missing.joined(separator: ", "))")
        }
        return (merged, loaded)
    }

    // MARK: Resolving

    /// Loads and resolves a configuration: the kubeconfig files (or the in-cluster fallback), the selected
    /// context, cluster and user, with `overrides` applied.
    ///
    /// - Throws: ``KubeError``; see ``KubeError/Code`` for the cases. Validation problems of the selected
    ///   cluster and user are collected and reported together, as client-go does.
    public func load(_ overrides: ConfigOverrides = ConfigOverrides()) throws -> ClientConfiguration {
        let (kubeconfig, files) = try loadKubeconfig()
        if kubeconfig.isEmpty, overrides.server == nil, allowsInClusterFallback, explicitPaths.isEmpty {
            if inClusterPossible {
                var configuration = try loadInCluster()
                if let namespace = overrides.namespace {
                    configuration.namespace = namespace
                    configuration.namespaceSource = .explicit
                }
                return configuration
            }
            let looked = candidateFiles.map(\.path)
            if !files.isEmpty { throw Self.emptyFilesError(files) }
            throw KubeError(
                code: .configurationNotFound,
                message: "no Kubernetes configuration found: "
                    + (looked.isEmpty ? "HOME is not set and KUBECONFIG is empty" : "no kubeconfig at \(looked.joined(separator: ", "))")
                    + ", and not running in a cluster (KUBERNETES_SERVICE_HOST is not set)",
                hint: "Create a kubeconfig (e.g. `kind create cluster` or your provider's get-credentials command), set KUBECONFIG, or pass a path.")
        }
        do {
            var configuration = try resolve(kubeconfig, overrides: overrides)
            configuration.sources = files
            return configuration
        } catch let error as KubeError where error.code == .contextNotFound && kubeconfig.isEmpty && !files.isEmpty {
            throw Self.emptyFilesError(files)
        }
    }

    /// Every kubeconfig file that was read is empty (no clusters, contexts, users or current-context).
    private static func emptyFilesError(_ files: [String]) -> KubeError {
        let sizes = files.map { path -> String in
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            return size == 0 ? "\(path) (0 bytes)" : path
        }
        return KubeError(
            code: .invalidConfiguration,
            message: files.count == 1
                ? "the kubeconfig file \(sizes[0]) is empty: it defines no cluster, context or user"
                : "the kubeconfig files \(sizes.joined(separator: ", ")) are empty: they define no cluster, context or user",
            location: .init(file: files[0]),
            hint: "Write a kubeconfig there (your provider's get-credentials command, or `kubectl config set-cluster`), or point KUBECONFIG elsewhere.")
    }

    /// Resolves an already loaded kubeconfig (no file lookup, no in-cluster fallback).
    public func resolve(_ kubeconfig: Kubeconfig, overrides: ConfigOverrides = ConfigOverrides()) throws -> ClientConfiguration {
        try Resolver(kubeconfig: kubeconfig, overrides: overrides, logger: logger).resolve()
    }

    // MARK: In-cluster

    /// `true` when the in-cluster environment is present: both service variables and a token file.
    public var inClusterPossible: Bool {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else { return false }
        return FileAccess.isFile(FileAccess.join(serviceAccountDirectory, "token"))
    }

    /// The configuration of a process running in a pod: the API server from `KUBERNETES_SERVICE_HOST` and
    /// `KUBERNETES_SERVICE_PORT`, the service account's CA and rotating token, and its namespace
    /// (`POD_NAMESPACE`, else the namespace file, else `default`).
    public func loadInCluster() throws -> ClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeError(
                code: .inClusterUnavailable,
                message: "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined")
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(bracketed):\(port)"), server.host != nil else {
            throw KubeError(code: .invalidServerURL,
                            message: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT do not form a URL: \(host) \(port)")
        }
        let tokenPath = FileAccess.join(serviceAccountDirectory, "token")
        let provider: TokenFileCredentialProvider
        do {
            provider = try TokenFileCredentialProvider(path: tokenPath, logger: logger)
        } catch let error as KubeError {
            throw KubeError(code: .inClusterUnavailable, message: "unable to load in-cluster configuration: \(error.message)",
                            underlying: error)
        } catch {
            throw KubeError(code: .inClusterUnavailable, message: "unable to load in-cluster configuration: \(error)")
        }
        var configuration = ClientConfiguration(
            server: server,
            authentication: [.serviceAccount(tokenPath: tokenPath)],
            credentials: provider)
        let caPath = FileAccess.join(serviceAccountDirectory, "ca.crt")
        do {
            configuration.certificateAuthority = Sensitive(try FileAccess.read(caPath, what: "service-account CA"))
        } catch {
            // client-go logs and falls back to the system roots; do the same, but say so.
            logger.warning("in-cluster CA is unreadable; verifying the API server with the system CA roots",
                           metadata: ["path": "\(caPath)", "error": "\(error.message)"])
        }
        if let namespace = environment["POD_NAMESPACE"], !namespace.isEmpty {
            configuration.namespace = namespace
            configuration.namespaceSource = .serviceAccount
        } else if let bytes = try? FileAccess.read(FileAccess.join(serviceAccountDirectory, "namespace"), what: "namespace file"),
                  case let namespace = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                  !namespace.isEmpty {
            configuration.namespace = namespace
            configuration.namespaceSource = .serviceAccount
        } else {
            configuration.namespace = "default"
            configuration.namespaceSource = .defaulted
        }
        configuration.sources = [serviceAccountDirectory]
        return configuration
    }
}

/// Values that replace what the kubeconfig says, as kubectl's flags do (`--context`, `--namespace`, `--server`...).
public struct ConfigOverrides: Sendable, Hashable {
    /// Use this context instead of `current-context` (`--context`).
    public var context: String?
    /// Use this cluster instead of the context's (`--cluster`).
    public var cluster: String?
    /// Use this user instead of the context's (`--user`).
    public var user: String?
    /// The default namespace (`--namespace`).
    public var namespace: String?
    /// The server URL (`--server`); also clears the kubeconfig's `tls-server-name`.
    public var server: String?
    /// The TLS server name (`--tls-server-name`).
    public var tlsServerName: String?
    /// Skip server certificate verification (`--insecure-skip-tls-verify`); also clears the CA.
    public var insecureSkipTLSVerify: Bool?
    /// A CA file (`--certificate-authority`); replaces the kubeconfig's CA and insecure flag.
    public var certificateAuthority: String?
    /// A bearer token (`--token`).
    public var token: Sensitive<String>?
    /// Impersonate this user (`--as`).
    public var impersonate: String?
    /// Impersonate these groups (`--as-group`).
    public var impersonateGroups: [String]?

    /// Creates overrides.
    public init(context: String? = nil, cluster: String? = nil, user: String? = nil, namespace: String? = nil,
                server: String? = nil, tlsServerName: String? = nil, insecureSkipTLSVerify: Bool? = nil,
                certificateAuthority: String? = nil, token: String? = nil, impersonate: String? = nil,
                impersonateGroups: [String]? = nil) {
        self.context = context
        self.cluster = cluster
        self.user = user
        self.namespace = namespace
        self.server = server
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.certificateAuthority = certificateAuthority
        self.token = token.map(Sensitive.init)
        self.impersonate = impersonate
        self.impersonateGroups = impersonateGroups
    }
}

extension Kubeconfig {
    /// Merges `other` into `self` with client-go's rules: existing names and non-empty scalars win.
    public mutating func merge(_ other: Kubeconfig) {
        func fill(_ value: inout String?, _ candidate: String?) {
            if value?.isEmpty ?? true, let candidate, !candidate.isEmpty { value = candidate }
        }
        fill(&apiVersion, other.apiVersion)
        fill(&kind, other.kind)
        fill(&currentContext, other.currentContext)
        if preferences == nil { preferences = other.preferences }
        if extensions.isEmpty { extensions = other.extensions }
        for cluster in other.clusters where self.cluster(named: cluster.name) == nil { clusters.append(cluster) }
        for user in other.users where self.user(named: user.name) == nil { users.append(user) }
        for context in other.contexts where self.context(named: context.name) == nil { contexts.append(context) }
    }
}

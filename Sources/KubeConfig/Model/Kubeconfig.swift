import Foundation
import KubeErrors

/// A kubeconfig file (kind `Config`, apiVersion `v1`), with every field client-go reads.
///
/// Values are as written in the file, except that `*-data` fields are already base64-decoded and, for
/// files loaded from disk, relative paths are already absolute (resolved against the file that holds them,
/// as client-go does). Secrets are ``Sensitive`` so printing a `Kubeconfig` never shows them.
///
/// Load one with ``Kubeconfig/init(contentsOf:)``, ``Kubeconfig/init(yaml:file:)`` or through
/// ``KubeconfigLoader``; turn it into a connection description with ``KubeconfigLoader``.
public struct Kubeconfig: Sendable, Hashable {
    /// `v1`.
    public var apiVersion: String?
    /// `Config`.
    public var kind: String?
    /// Deprecated preferences; parsed and kept, never used.
    public var preferences: Preferences?
    /// Clusters by name.
    public var clusters: [NamedCluster] = []
    /// Users (auth infos) by name.
    public var users: [NamedUser] = []
    /// Contexts by name.
    public var contexts: [NamedContext] = []
    /// The context used when none is requested.
    public var currentContext: String?
    /// Top-level extensions, kept verbatim.
    public var extensions: [NamedExtension] = []

    /// An empty kubeconfig.
    public init() {}

    /// `true` when the file defines nothing (client-go's "empty config", which allows the in-cluster fallback).
    public var isEmpty: Bool {
        clusters.isEmpty && users.isEmpty && contexts.isEmpty && (currentContext ?? "").isEmpty
    }

    /// The cluster named `name`.
    public func cluster(named name: String) -> NamedCluster? { clusters.first { $0.name == name } }
    /// The user named `name`.
    public func user(named name: String) -> NamedUser? { users.first { $0.name == name } }
    /// The context named `name`.
    public func context(named name: String) -> NamedContext? { contexts.first { $0.name == name } }
}

/// Where a stanza came from: the file (for relative paths and messages) and the line of its `name`.
public struct Origin: Sendable, Hashable, CustomStringConvertible {
    /// The file path, or `nil` for a kubeconfig read from text.
    public var file: String?
    /// The 1-based line of the stanza.
    public var line: Int?
    /// Creates an origin.
    public init(file: String? = nil, line: Int? = nil) {
        self.file = file
        self.line = line
    }
    /// `file:line`.
    public var description: String {
        (file ?? "<input>") + (line.map { ":\($0)" } ?? "")
    }
}

/// `preferences`: deprecated since Kubernetes 1.34 and unused; kept for round-trips.
public struct Preferences: Sendable, Hashable {
    /// `colors`.
    public var colors: Bool?
    /// `extensions`.
    public var extensions: [NamedExtension] = []
    /// Creates preferences.
    public init(colors: Bool? = nil, extensions: [NamedExtension] = []) {
        self.colors = colors
        self.extensions = extensions
    }
}

/// A named extension: an arbitrary object kept verbatim.
public struct NamedExtension: Sendable, Hashable {
    /// The extension's name, e.g. `client.authentication.k8s.io/exec`.
    public var name: String
    /// The extension's content (the `extension` key in the file).
    public var content: JSONValue
    /// Creates a named extension.
    public init(name: String, content: JSONValue) {
        self.name = name
        self.content = content
    }
}

/// An entry of `clusters`.
public struct NamedCluster: Sendable, Hashable {
    /// The cluster's name.
    public var name: String
    /// The cluster.
    public var cluster: Cluster
    /// Where it was defined.
    public var origin: Origin
    /// Creates a named cluster.
    public init(name: String, cluster: Cluster, origin: Origin = Origin()) {
        self.name = name
        self.cluster = cluster
        self.origin = origin
    }
}

/// An entry of `users`.
public struct NamedUser: Sendable, Hashable {
    /// The user's name.
    public var name: String
    /// The user's credentials.
    public var user: AuthInfo
    /// Where it was defined.
    public var origin: Origin
    /// Creates a named user.
    public init(name: String, user: AuthInfo, origin: Origin = Origin()) {
        self.name = name
        self.user = user
        self.origin = origin
    }
}

/// An entry of `contexts`.
public struct NamedContext: Sendable, Hashable {
    /// The context's name.
    public var name: String
    /// The context.
    public var context: Context
    /// Where it was defined.
    public var origin: Origin
    /// Creates a named context.
    public init(name: String, context: Context, origin: Origin = Origin()) {
        self.name = name
        self.context = context
        self.origin = origin
    }
}

/// A `cluster` stanza.
public struct Cluster: Sendable, Hashable {
    /// `server`: `https://host[:port][/path-prefix]`.
    public var server: String?
    /// `tls-server-name`: the name used for SNI and certificate verification instead of the URL's host.
    public var tlsServerName: String?
    /// `insecure-skip-tls-verify`.
    public var insecureSkipTLSVerify: Bool?
    /// `certificate-authority`: a PEM bundle file.
    public var certificateAuthority: String?
    /// `certificate-authority-data`, decoded: PEM bytes.
    public var certificateAuthorityData: Sensitive<[UInt8]>?
    /// `proxy-url`: `http`, `https` or `socks5`.
    public var proxyURL: String?
    /// `disable-compression`.
    public var disableCompression: Bool?
    /// `extensions`; the one named `client.authentication.k8s.io/exec` goes to exec plugins.
    public var extensions: [NamedExtension] = []
    /// Creates a cluster.
    public init(server: String? = nil) { self.server = server }

    /// `true` when no field is set.
    public var isEmpty: Bool { self == Cluster() }
}

/// A `user` stanza (client-go's `AuthInfo`). Note the mixed key styles in the file (`tokenFile`, `as-uid`).
public struct AuthInfo: Sendable, Hashable {
    /// `client-certificate`: a PEM file.
    public var clientCertificate: String?
    /// `client-certificate-data`, decoded: PEM bytes.
    public var clientCertificateData: Sensitive<[UInt8]>?
    /// `client-key`: a PEM file.
    public var clientKey: String?
    /// `client-key-data`, decoded: PEM bytes.
    public var clientKeyData: Sensitive<[UInt8]>?
    /// `token`: a bearer token.
    public var token: Sensitive<String>?
    /// `tokenFile`: a file holding a bearer token, re-read periodically.
    public var tokenFile: String?
    /// `as`: the user to impersonate.
    public var impersonate: String?
    /// `as-uid`.
    public var impersonateUID: String?
    /// `as-groups`.
    public var impersonateGroups: [String] = []
    /// `as-user-extra`.
    public var impersonateUserExtra: [String: [String]] = [:]
    /// `username` for HTTP basic authentication.
    public var username: String?
    /// `password` for HTTP basic authentication.
    public var password: Sensitive<String>?
    /// `auth-provider`: legacy plugins (not run by KubeKit; see ``AuthProviderConfig``).
    public var authProvider: AuthProviderConfig?
    /// `exec`: a credential plugin.
    public var exec: ExecConfig?
    /// `extensions`.
    public var extensions: [NamedExtension] = []
    /// Creates an empty user.
    public init() {}
}

/// `auth-provider`: the legacy in-tree plugins (`gcp`, `azure`, `oidc`). KubeKit reports them with the
/// name of the exec plugin that replaces them.
public struct AuthProviderConfig: Sendable, Hashable {
    /// `name`.
    public var name: String
    /// `config`: values are secrets (tokens, client secrets) and are redacted when printed.
    public var config: [String: Sensitive<String>]
    /// Creates an auth-provider stanza.
    public init(name: String, config: [String: Sensitive<String>] = [:]) {
        self.name = name
        self.config = config
    }
}

/// `exec`: an ExecCredential plugin (client.authentication.k8s.io v1 or v1beta1).
public struct ExecConfig: Sendable, Hashable {
    /// `command`: a path (resolved against the kubeconfig's folder when it contains a `/`) or a name looked up in `PATH`.
    public var command: String
    /// `args`.
    public var args: [String] = []
    /// `env`: added to the parent environment. Values are redacted when printed.
    public var env: [EnvVar] = []
    /// `apiVersion`: `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`.
    public var apiVersion: String?
    /// `installHint`: shown when the command cannot be found.
    public var installHint: String?
    /// `provideClusterInfo`: pass the cluster in `KUBERNETES_EXEC_INFO`.
    public var provideClusterInfo: Bool = false
    /// `interactiveMode`.
    public var interactiveMode: InteractiveMode?

    /// Creates an exec stanza.
    public init(command: String, args: [String] = [], env: [EnvVar] = [], apiVersion: String? = nil,
                installHint: String? = nil, provideClusterInfo: Bool = false, interactiveMode: InteractiveMode? = nil) {
        self.command = command
        self.args = args
        self.env = env
        self.apiVersion = apiVersion
        self.installHint = installHint
        self.provideClusterInfo = provideClusterInfo
        self.interactiveMode = interactiveMode
    }

    /// One `env` entry.
    public struct EnvVar: Sendable, Hashable {
        /// The variable's name.
        public var name: String
        /// The variable's value (redacted when printed).
        public var value: Sensitive<String>
        /// Creates an entry.
        public init(name: String, value: String) {
            self.name = name
            self.value = Sensitive(value)
        }
    }

    /// `interactiveMode`: whether the plugin may use standard input.
    public struct InteractiveMode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The value as written.
        public var rawValue: String
        /// Creates a mode from its string (any string; validation reports unknown values).
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Never connect standard input.
        public static let never = InteractiveMode(rawValue: "Never")
        /// Connect standard input when it is a terminal.
        public static let ifAvailable = InteractiveMode(rawValue: "IfAvailable")
        /// Require a terminal on standard input.
        public static let always = InteractiveMode(rawValue: "Always")
        /// The value as written.
        public var description: String { rawValue }
    }
}

/// A `context` stanza.
public struct Context: Sendable, Hashable {
    /// `cluster`: the cluster's name.
    public var cluster: String?
    /// `user`: the user's name.
    public var user: String?
    /// `namespace`: the default namespace.
    public var namespace: String?
    /// `extensions`.
    public var extensions: [NamedExtension] = []
    /// Creates a context.
    public init(cluster: String? = nil, user: String? = nil, namespace: String? = nil) {
        self.cluster = cluster
        self.user = user
        self.namespace = namespace
    }
}

extension Cluster: CustomReflectable {
    /// The fields, with any password in `proxy-url` replaced so printing a cluster never leaks it.
    public var customMirror: Mirror {
        let proxy = proxyURL.map { url -> String in
            guard let parsed = URL(string: url), parsed.password != nil else { return url }
            return ClientConfiguration.redactedURL(parsed)
        }
        return Mirror(self, children: [
            "server": server as Any, "tlsServerName": tlsServerName as Any,
            "insecureSkipTLSVerify": insecureSkipTLSVerify as Any, "certificateAuthority": certificateAuthority as Any,
            "certificateAuthorityData": certificateAuthorityData as Any, "proxyURL": proxy as Any,
            "disableCompression": disableCompression as Any, "extensions": extensions,
        ], displayStyle: .struct)
    }
}

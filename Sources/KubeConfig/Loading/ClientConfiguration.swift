import Foundation
import KubeErrors

/// A resolved, immutable description of how to reach one cluster as one user: the output of loading.
///
/// Everything the transport needs is here, already read from disk and validated: the server URL, the CA
/// bundle, the client certificate and key (as bytes in memory), the credential provider, TLS and proxy
/// settings, impersonation and the default namespace. Printing it never shows a secret.
public struct ClientConfiguration: Sendable, CustomStringConvertible {
    /// The API server, e.g. `https://10.0.0.1:6443` (a path, if any, prefixes every request).
    public var server: URL
    /// The context this came from (`nil` for in-cluster or explicit configurations).
    public var contextName: String?
    /// The cluster's name in the kubeconfig.
    public var clusterName: String?
    /// The user's name in the kubeconfig.
    public var userName: String?
    /// The namespace for namespaced requests that do not name one.
    public var namespace: String
    /// Where ``namespace`` came from.
    public var namespaceSource: NamespaceSource
    /// The CA bundle (PEM) to verify the server with; `nil` means the system's roots.
    public var certificateAuthority: Sensitive<[UInt8]>?
    /// The name to verify the server's certificate against (and send as SNI) instead of the URL's host.
    public var tlsServerName: String?
    /// Skip verifying the server's certificate (the transport logs a warning).
    public var insecureSkipTLSVerify: Bool
    /// A proxy for every request (`http`, `https` or `socks5`); `nil` means the environment's proxy settings.
    public var proxyURL: URL?
    /// Do not ask for gzip-compressed responses.
    public var disableCompression: Bool
    /// Impersonation headers to send.
    public var impersonation: Impersonation?
    /// How requests authenticate, for display.
    public var authentication: [AuthenticationMethod]
    /// Supplies credentials per request.
    public var credentials: any CredentialProvider
    /// The files the configuration was read from.
    public var sources: [String]

    /// Creates a configuration by hand (for tests, or servers not described by a kubeconfig).
    public init(
        server: URL,
        namespace: String = "default",
        certificateAuthority: [UInt8]? = nil,
        tlsServerName: String? = nil,
        insecureSkipTLSVerify: Bool = false,
        proxyURL: URL? = nil,
        disableCompression: Bool = false,
        impersonation: Impersonation? = nil,
        authentication: [AuthenticationMethod] = [],
        credentials: any CredentialProvider = StaticCredentialProvider(.anonymous)
    ) {
        self.server = server
        self.namespace = namespace
        self.namespaceSource = .explicit
        self.certificateAuthority = certificateAuthority.map(Sensitive.init)
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.proxyURL = proxyURL
        self.disableCompression = disableCompression
        self.impersonation = impersonation
        self.authentication = authentication
        self.credentials = credentials
        self.sources = []
    }

    /// `true` when the server is reached over TLS.
    public var usesTLS: Bool { server.scheme == "https" }

    /// What kind of credentials requests carry, e.g. `exec plugin aws` or `client certificate + bearer token`.
    public var credentialKind: String {
        authentication.isEmpty ? "anonymous" : authentication.map(\.description).joined(separator: " + ")
    }

    /// A multi-line summary without secrets.
    public var description: String {
        var lines = ["server: \(server.absoluteString)"]
        if let contextName { lines.append("context: \(contextName)") }
        if let clusterName { lines.append("cluster: \(clusterName)") }
        if let userName { lines.append("user: \(userName)") }
        lines.append("namespace: \(namespace) (\(namespaceSource))")
        lines.append("credentials: \(credentialKind)")
        var tls: [String] = []
        if usesTLS {
            tls.append(certificateAuthority.map { "CA bundle \($0.count) bytes" } ?? "system CA roots")
            if let tlsServerName { tls.append("server name \(tlsServerName)") }
            if insecureSkipTLSVerify { tls.append("INSECURE: certificate not verified") }
        } else {
            tls.append("none (plain HTTP)")
        }
        lines.append("tls: \(tls.joined(separator: ", "))")
        if let proxyURL { lines.append("proxy: \(Self.redactedURL(proxyURL))") }
        if let impersonation { lines.append("impersonating: \(impersonation)") }
        return lines.joined(separator: "\n")
    }

    /// A URL with any user-info password removed.
    static func redactedURL(_ url: URL) -> String {
        guard url.password != nil, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return url.absoluteString
        }
        components.password = "redacted"
        return components.string ?? "<proxy>"
    }

    /// Where the default namespace came from.
    public enum NamespaceSource: String, Sendable, Hashable, CustomStringConvertible {
        /// An override passed by the caller.
        case explicit
        /// The context's `namespace`.
        case context
        /// The pod's service account (`POD_NAMESPACE` or the namespace file).
        case serviceAccount
        /// Nothing set it: `default`.
        case defaulted
        /// The source's name.
        public var description: String { rawValue }
    }
}

/// Impersonation: `Impersonate-User`, `Impersonate-Uid`, `Impersonate-Group` and `Impersonate-Extra-*` headers.
public struct Impersonation: Sendable, Hashable, CustomStringConvertible {
    /// The user to act as.
    public var user: String
    /// The UID to act as.
    public var uid: String?
    /// The groups to act as.
    public var groups: [String]
    /// Extra attributes.
    public var extra: [String: [String]]

    /// Creates impersonation settings.
    public init(user: String, uid: String? = nil, groups: [String] = [], extra: [String: [String]] = [:]) {
        self.user = user
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    /// The headers to send, in a stable order: one `Impersonate-Group` per group and one
    /// `Impersonate-Extra-<key>` per value (the key percent-encoded as client-go does).
    public var headers: [(name: String, value: String)] {
        var headers: [(String, String)] = [("Impersonate-User", user)]
        if let uid, !uid.isEmpty { headers.append(("Impersonate-Uid", uid)) }
        for group in groups { headers.append(("Impersonate-Group", group)) }
        for key in extra.keys.sorted() {
            let encoded = key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["%"])) ?? key
            for value in extra[key]! { headers.append(("Impersonate-Extra-\(encoded)", value)) }
        }
        return headers
    }

    /// `user "jane" (groups: dev)`.
    public var description: String {
        var text = "user \"\(user)\""
        if !groups.isEmpty { text += " (groups: \(groups.joined(separator: ", ")))" }
        return text
    }
}

/// One way a request authenticates, for display and inspection.
public enum AuthenticationMethod: Sendable, Hashable, CustomStringConvertible {
    /// A static bearer token.
    case token
    /// A bearer token file, re-read periodically.
    case tokenFile(path: String)
    /// HTTP basic authentication.
    case basic(username: String)
    /// A client certificate.
    case clientCertificate
    /// An exec credential plugin.
    case exec(command: String)
    /// The pod's service-account token.
    case serviceAccount(tokenPath: String)

    /// `bearer token`, `token file /path`, `exec plugin aws`...
    public var description: String {
        switch self {
        case .token: "bearer token"
        case .tokenFile(let path): "token file \(path)"
        case .basic(let username): "basic auth (user \"\(username)\")"
        case .clientCertificate: "client certificate"
        case .exec(let command): "exec plugin \(command)"
        case .serviceAccount(let path): "service-account token \(path)"
        }
    }
}

import Foundation
import KubeErrors
import Logging

/// Turns a merged kubeconfig plus overrides into a ``ClientConfiguration`` (client-go's `ClientConfig()` and
/// `ConfirmUsable()`): select the context, cluster and user, overlay the overrides, validate only what was
/// selected, read referenced files, and build the credential provider.
struct Resolver {
    let kubeconfig: Kubeconfig
    let overrides: ConfigOverrides
    let logger: Logger

    /// The exec stanza named after client-go's cluster extension.
    static let execExtensionName = "client.authentication.k8s.io/exec"

    private func names<T>(_ items: [T], _ name: (T) -> String) -> String {
        let all = items.map(name)
        return all.isEmpty ? "none are defined" : all.map { "\"\($0)\"" }.joined(separator: ", ")
    }

    func resolve() throws(KubeError) -> ClientConfiguration {
        // 1. Context.
        let contextName = overrides.context ?? kubeconfig.currentContext.flatMap { $0.isEmpty ? nil : $0 }
        var context = Context()
        if let contextName {
            guard let named = kubeconfig.context(named: contextName) else {
                let message = overrides.context != nil
                    ? "context \"\(contextName)\" does not exist"
                    : "context was not found for specified context: \(contextName)"
                throw KubeError(code: .contextNotFound, message: message,
                                hint: "Available contexts: \(names(kubeconfig.contexts, \.name)).")
            }
            context = named.context
        } else if overrides.server == nil, overrides.cluster == nil {
            throw KubeError(
                code: .contextNotFound,
                message: "no context selected: the kubeconfig sets no current-context and no context was requested",
                hint: "Available contexts: \(names(kubeconfig.contexts, \.name)). Pick one with a context override or `kubectl config use-context NAME`.")
        }

        // 2. Cluster and user.
        let clusterName = overrides.cluster ?? context.cluster.flatMap { $0.isEmpty ? nil : $0 }
        var cluster = Cluster()
        var clusterOrigin = Origin()
        if let clusterName {
            if let named = kubeconfig.cluster(named: clusterName) {
                cluster = named.cluster
                clusterOrigin = named.origin
            } else if overrides.server == nil {
                let message = overrides.cluster != nil
                    ? "cluster \"\(clusterName)\" does not exist"
                    : "cluster \"\(clusterName)\" referenced by context \"\(contextName ?? "")\" does not exist"
                throw KubeError(code: .clusterNotFound, message: message,
                                hint: "Available clusters: \(names(kubeconfig.clusters, \.name)).")
            }
        }
        let userName = overrides.user ?? context.user.flatMap { $0.isEmpty ? nil : $0 }
        var user = AuthInfo()
        var userOrigin = Origin()
        if let userName {
            if let named = kubeconfig.user(named: userName) {
                userOrigin = named.origin
                user = named.user
            } else if overrides.user != nil {
                throw KubeError(code: .userNotFound, message: "user (auth info) \"\(userName)\" does not exist",
                                hint: "Available users: \(names(kubeconfig.users, \.name)).")
            } else {
                // client-go uses an empty user (anonymous requests) here; do the same, but say so.
                logger.warning("user referenced by the context does not exist; requests will be anonymous",
                               metadata: ["user": "\(userName)", "context": "\(contextName ?? "")"])
            }
        }

        // 3. Overrides (kubectl's coupling rules).
        if let server = overrides.server {
            cluster.server = server
            cluster.tlsServerName = nil
        }
        if let name = overrides.tlsServerName { cluster.tlsServerName = name }
        if overrides.insecureSkipTLSVerify == true {
            cluster.insecureSkipTLSVerify = true
            cluster.certificateAuthority = nil
            cluster.certificateAuthorityData = nil
        }
        if let file = overrides.certificateAuthority {
            cluster.certificateAuthority = FileAccess.absolute(file)
            cluster.certificateAuthorityData = nil
            cluster.insecureSkipTLSVerify = false
        }
        if let token = overrides.token {
            user.token = token
            user.tokenFile = nil
            user.username = nil
            user.password = nil
            user.exec = nil
            user.authProvider = nil
        }
        if let impersonate = overrides.impersonate { user.impersonate = impersonate }
        if let groups = overrides.impersonateGroups { user.impersonateGroups = groups }

        // 4. Validate what was selected, collecting every problem.
        var problems: [KubeError] = []
        let clusterLabel = clusterName ?? ""
        let userLabel = userName ?? ""
        var server: URL?
        if (cluster.server ?? "").isEmpty {
            problems.append(KubeError(
                code: .invalidConfiguration,
                message: clusterName.map { "no server found for cluster \"\($0)\"" } ?? "cluster has no server defined",
                location: clusterOrigin.file.map { .init(file: $0, line: clusterOrigin.line) }))
        } else {
            do { server = try Self.parseServer(cluster.server!, cluster: clusterLabel) } catch { problems.append(error) }
        }
        var proxyURL: URL?
        if let proxy = cluster.proxyURL, !proxy.isEmpty {
            do { proxyURL = try Self.parseProxy(proxy, cluster: clusterLabel) } catch { problems.append(error) }
        }
        var caBytes: [UInt8]?
        if cluster.certificateAuthorityData != nil, !(cluster.certificateAuthority ?? "").isEmpty {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "certificate-authority-data and certificate-authority are both specified for \(clusterLabel). certificate-authority-data will override."))
        }
        if let data = cluster.certificateAuthorityData {
            caBytes = data.value
        } else if let file = cluster.certificateAuthority, !file.isEmpty {
            do { caBytes = try readCredentialFile(file, field: "certificate-authority", owner: clusterLabel) } catch { problems.append(error) }
        }
        if let caBytes {
            do {
                try PEMCheck.checkCertificateAuthority(caBytes)
            } catch {
                let field = cluster.certificateAuthorityData != nil ? "certificate-authority-data" : "certificate-authority \"\(cluster.certificateAuthority ?? "")\""
                problems.append(KubeError(code: .certificateUnreadable,
                                          message: "\(field) of cluster \"\(clusterLabel)\" \(error.message)",
                                          location: clusterOrigin.file.map { .init(file: $0, line: clusterOrigin.line) },
                                          hint: "It must hold the PEM certificate(s) of the CA that signed the API server's certificate."))
            }
        }
        if cluster.insecureSkipTLSVerify == true, caBytes != nil || !(cluster.certificateAuthority ?? "").isEmpty {
            problems.append(KubeError(code: .invalidConfiguration,
                                      message: "specifying a root certificates file with the insecure flag is not allowed (cluster \"\(clusterLabel)\")"))
        }

        var clientCertificate: ClientCertificate?
        if user.clientCertificateData != nil, !(user.clientCertificate ?? "").isEmpty {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "client-cert-data and client-cert are both specified for \(userLabel). client-cert-data will override."))
        }
        if user.clientKeyData != nil, !(user.clientKey ?? "").isEmpty {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "client-key-data and client-key are both specified for \(userLabel); client-key-data will override"))
        }
        let hasCertificate = user.clientCertificateData != nil || !(user.clientCertificate ?? "").isEmpty
        let hasKey = user.clientKeyData != nil || !(user.clientKey ?? "").isEmpty
        if hasCertificate, !hasKey {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "client-key-data or client-key must be specified for \(userLabel) to use the clientCert authentication method."))
        } else if hasKey, !hasCertificate {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "client-certificate-data or client-certificate must be specified for \(userLabel) to use the clientCert authentication method."))
        } else if hasCertificate, hasKey {
            var certificate = user.clientCertificateData?.value
            var key = user.clientKeyData?.value
            if certificate == nil {
                do { certificate = try readCredentialFile(user.clientCertificate!, field: "client-cert", owner: userLabel) } catch { problems.append(error) }
            }
            if key == nil {
                do { key = try readCredentialFile(user.clientKey!, field: "client-key", owner: userLabel) } catch { problems.append(error) }
            }
            if let certificate, let key {
                do {
                    try PEMCheck.checkClientPair(certificate: certificate, key: key)
                    clientCertificate = ClientCertificate(certificatePEM: certificate, keyPEM: key)
                } catch {
                    let certificateField = user.clientCertificateData != nil ? "client-certificate-data" : "client-certificate \"\(user.clientCertificate ?? "")\""
                    let keyField = user.clientKeyData != nil ? "client-key-data" : "client-key \"\(user.clientKey ?? "")\""
                    problems.append(KubeError(code: .certificateUnreadable,
                                              message: "\(certificateField) and \(keyField) of user \"\(userLabel)\": \(error.message)",
                                              location: userOrigin.file.map { .init(file: $0, line: userOrigin.line) }))
                }
            }
        }
        let hasToken = user.token != nil || !(user.tokenFile ?? "").isEmpty
        let hasBasic = !(user.username ?? "").isEmpty || user.password != nil
        if hasToken, hasBasic {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "more than one authentication method found for \(userLabel); found [token basicAuth], only one is allowed"))
        }
        if (user.impersonate ?? "").isEmpty,
           !(user.impersonateUID ?? "").isEmpty || !user.impersonateGroups.isEmpty || !user.impersonateUserExtra.isEmpty {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "requesting uid, groups or user-extra for \(userLabel) without impersonating a user"))
        }
        var exec = user.exec
        if exec != nil, user.authProvider != nil {
            problems.append(KubeError(code: .invalidConfiguration, message:
                "authProvider cannot be provided in combination with an exec plugin for \(userLabel)"))
        } else if let provider = user.authProvider {
            var error = Self.authProviderError(provider, user: userLabel)
            // What client-go's oidc provider would have failed on first: a CA file that is not there. Name it,
            // so the user fixes the path as well as the plugin.
            if provider.name == "oidc", let path = provider.config["idp-certificate-authority"]?.value, !path.isEmpty,
               !FileManager.default.fileExists(atPath: path) {
                let relative = !path.hasPrefix("/")
                error.message += "; also, its idp-certificate-authority \"\(path)\" does not exist"
                    + (relative ? " (a relative path is read from the working directory, \(FileManager.default.currentDirectoryPath), not from the kubeconfig's folder)" : "")
                error.location = userOrigin.file.map { .init(file: $0, line: userOrigin.line, field: "users[\(userLabel)].user.auth-provider.config.idp-certificate-authority") }
            }
            problems.append(error)
        }
        if var stanza = exec {
            problems += Self.validateExec(&stanza, user: userLabel)
            exec = stanza
        }

        // 5. Namespace.
        let namespace: String
        let namespaceSource: ClientConfiguration.NamespaceSource
        if let override = overrides.namespace, !override.isEmpty {
            (namespace, namespaceSource) = (override, .explicit)
        } else if let fromContext = context.namespace, !fromContext.isEmpty {
            (namespace, namespaceSource) = (fromContext, .context)
        } else {
            (namespace, namespaceSource) = ("default", .defaulted)
        }
        if !Self.isDNSLabel(namespace) {
            problems.append(KubeError(
                code: .invalidConfiguration,
                message: "namespace \"\(namespace)\"\(namespaceSource == .context ? " for context \"\(contextName ?? "")\"" : "") does not conform to the kubernetes DNS_LABEL rules"))
        }

        if problems.count == 1 { throw problems[0] }
        if problems.count > 1 {
            throw KubeError(code: problems[0].code,
                            message: "invalid configuration:\n" + problems.map { "* " + $0.description }.joined(separator: "\n"))
        }
        guard let server else { throw KubeError(code: .invalidConfiguration, message: "cluster has no server defined") }

        // 6. Credentials. Never send them in clear text (client-go applies them only over https).
        var authentication: [AuthenticationMethod] = []
        let provider: any CredentialProvider
        if server.scheme != "https" {
            if hasToken || hasBasic || clientCertificate != nil || exec != nil {
                logger.warning("the server is plain http; the user's credentials are not sent",
                               metadata: ["server": "\(server.absoluteString)", "user": "\(userLabel)"])
            }
            clientCertificate = nil
            provider = StaticCredentialProvider(.anonymous)
        } else {
            if clientCertificate != nil { authentication.append(.clientCertificate) }
            if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
                authentication.append(.tokenFile(path: tokenFile))
                do {
                    provider = try TokenFileCredentialProvider(path: tokenFile, initialToken: user.token?.value,
                                                               clientCertificate: clientCertificate, logger: logger)
                } catch let error as KubeError {
                    throw error
                } catch {
                    throw KubeError(code: .tokenFileUnreadable, message: "cannot read token file \(tokenFile)")
                }
            } else if let token = user.token {
                authentication.append(.token)
                provider = StaticCredentialProvider(Credentials(authorization: .bearer(token), clientCertificate: clientCertificate))
            } else if hasBasic {
                authentication.append(.basic(username: user.username ?? ""))
                provider = StaticCredentialProvider(Credentials(
                    authorization: .basic(username: user.username ?? "", password: user.password ?? Sensitive("")),
                    clientCertificate: clientCertificate))
            } else if let exec, clientCertificate == nil {
                authentication.append(.exec(command: exec.command))
                let info = ExecClusterInfo(
                    server: server.absoluteString, tlsServerName: cluster.tlsServerName,
                    insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false, certificateAuthorityData: caBytes,
                    proxyURL: cluster.proxyURL, disableCompression: cluster.disableCompression ?? false,
                    config: cluster.extensions.first { $0.name == Self.execExtensionName }?.content)
                provider = ExecCredentialProvider.shared(for: exec, cluster: info)
            } else {
                if exec != nil {
                    logger.warning("the user has a client certificate, so its exec plugin is not used (as in client-go)",
                                   metadata: ["user": "\(userLabel)"])
                }
                provider = StaticCredentialProvider(Credentials(clientCertificate: clientCertificate))
            }
        }

        var configuration = ClientConfiguration(
            server: server,
            namespace: namespace,
            certificateAuthority: caBytes,
            tlsServerName: cluster.tlsServerName.flatMap { $0.isEmpty ? nil : $0 },
            insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
            proxyURL: proxyURL,
            disableCompression: cluster.disableCompression ?? false,
            impersonation: (user.impersonate ?? "").isEmpty ? nil : Impersonation(
                user: user.impersonate!, uid: user.impersonateUID, groups: user.impersonateGroups, extra: user.impersonateUserExtra),
            authentication: authentication,
            credentials: provider)
        configuration.namespaceSource = namespaceSource
        configuration.contextName = contextName
        configuration.clusterName = clusterName
        configuration.userName = userName
        return configuration
    }

    // MARK: Helpers

    private func readCredentialFile(_ path: String, field: String, owner: String) throws(KubeError) -> [UInt8] {
        do {
            return try FileAccess.read(path, what: field, code: .certificateUnreadable, unreadable: .certificateUnreadable)
        } catch {
            throw KubeError(code: .certificateUnreadable,
                            message: "unable to read \(field) \(path) for \(owner) due to \(error.message)", underlying: error)
        }
    }

    /// Parses `server`: `https://` or `http://`, a host, an optional path prefix; query and fragment are dropped.
    static func parseServer(_ text: String, cluster: String) throws(KubeError) -> URL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let bad = { (why: String) -> KubeError in
            KubeError(code: .invalidServerURL, message: "server \"\(trimmed)\" of cluster \"\(cluster)\" is not usable: \(why)",
                      hint: "The server must be a URL such as https://203.0.113.10:6443 or https://api.example.com.")
        }
        guard var components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased() else {
            throw bad("it is not a URL")
        }
        guard scheme == "https" || scheme == "http" else {
            throw bad(trimmed.contains("://") ? "the scheme must be https or http" : "it has no https:// (or http://) scheme")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("it has no host") }
        components.scheme = scheme
        components.query = nil
        components.fragment = nil
        while components.path.hasSuffix("/") { components.path.removeLast() }
        guard let url = components.url else { throw bad("it is not a URL") }
        return url
    }

    static func parseProxy(_ text: String, cluster: String) throws(KubeError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host != nil else {
            throw KubeError(code: .invalidProxyURL, message: "invalid 'proxy-url' \"\(text)\" for cluster \"\(cluster)\": could not parse: \(text)")
        }
        guard ["http", "https", "socks5"].contains(scheme) else {
            throw KubeError(code: .invalidProxyURL,
                            message: "invalid 'proxy-url' \"\(text)\" for cluster \"\(cluster)\": unsupported scheme \"\(scheme)\", must be http, https, or socks5")
        }
        return url
    }

    /// client-go's exec validation and defaulting.
    static func validateExec(_ exec: inout ExecConfig, user: String) -> [KubeError] {
        var problems: [KubeError] = []
        if exec.command.isEmpty {
            problems.append(KubeError(code: .invalidConfiguration, message: "command must be specified for \(user) to use exec authentication plugin"))
        }
        let apiVersion = exec.apiVersion ?? ""
        if apiVersion.isEmpty {
            problems.append(KubeError(code: .invalidConfiguration, message: "apiVersion must be specified for \(user) to use exec authentication plugin"))
        } else if !ExecInfo.supportedVersions.contains(apiVersion) {
            problems.append(KubeError(code: .invalidConfiguration, message: "exec plugin: invalid apiVersion \"\(apiVersion)\"",
                                      hint: "Supported: client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1."))
        }
        if exec.env.contains(where: { $0.name.isEmpty }) {
            problems.append(KubeError(code: .invalidConfiguration, message: "env variable name must be specified for \(user) to use exec authentication plugin"))
        }
        switch exec.interactiveMode {
        case nil, .some(ExecConfig.InteractiveMode(rawValue: "")):
            if apiVersion == "client.authentication.k8s.io/v1" {
                problems.append(KubeError(code: .invalidConfiguration, message: "interactiveMode must be specified for \(user) to use exec authentication plugin"))
            } else {
                exec.interactiveMode = .ifAvailable
            }
        case .some(.never), .some(.ifAvailable), .some(.always):
            break
        case .some(let other):
            problems.append(KubeError(code: .invalidConfiguration, message: "invalid interactiveMode for \(user): \"\(other.rawValue)\"",
                                      hint: "Valid values: Never, IfAvailable, Always."))
        }
        return problems
    }

    static func authProviderError(_ provider: AuthProviderConfig, user: String) -> KubeError {
        let replacement: String
        switch provider.name {
        case "gcp":
            replacement = "The gcp auth plugin has been removed. Please use the \"gke-gcloud-auth-plugin\" kubectl/client-go credential plugin instead (an exec plugin: `gcloud components install gke-gcloud-auth-plugin`, then `gcloud container clusters get-credentials`)."
        case "azure":
            replacement = "The azure auth plugin has been removed. Please use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead (an exec plugin: `kubelogin convert-kubeconfig`)."
        case "oidc":
            replacement = "KubeKit does not run the legacy oidc auth-provider. Use an exec credential plugin such as kubelogin (int128/kubelogin, `kubectl oidc-login`) in the user's `exec` stanza instead."
        default:
            replacement = "Legacy auth-provider plugins are not supported; configure an exec credential plugin in the user's `exec` stanza instead."
        }
        return KubeError(code: .authProviderUnsupported,
                         message: "user \"\(user)\" uses the auth-provider \"\(provider.name)\", which KubeKit does not support",
                         hint: replacement)
    }

    /// RFC 1123 label: at most 63 lower-case alphanumerics or '-', starting and ending alphanumeric.
    static func isDNSLabel(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func alnum(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }
}

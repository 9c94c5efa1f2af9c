import Foundation
import Testing
import KubeErrors
@testable import KubeConfig

@Suite("Kubeconfig loading rules (client-go parity)", .timeLimit(.minutes(2)))
struct KubeconfigLoaderTests {
    let first = Fixtures.path("merge/first.yaml")
    let second = Fixtures.path("merge/second.yaml")

    @Test func kubeconfigListMergesFirstWins() throws {
        let loader = KubeconfigLoader(environment: ["KUBECONFIG": "\(first)::/does/not/exist:\(second):\(first)", "HOME": "/nonexistent"])
        #expect(loader.candidateFiles.map(\.path) == [first, "/does/not/exist", second])
        let (merged, files) = try loader.loadKubeconfig()
        #expect(files == [first, second])
        #expect(merged.currentContext == "dev")
        #expect(merged.clusters.map(\.name) == ["shared", "prod-cluster"])
        #expect(merged.cluster(named: "shared")?.cluster.server == "https://first.k8s.test:6443")
        #expect(merged.context(named: "dev")?.context.cluster == "shared")
        #expect(merged.contexts.map(\.name) == ["dev", "prod"])
        // Relative paths resolve against the file that holds them.
        #expect(merged.cluster(named: "shared")?.cluster.certificateAuthority == Fixtures.path("merge/certs/ca-first.pem"))
        #expect(merged.cluster(named: "prod-cluster")?.cluster.certificateAuthority == Fixtures.path("merge/certs/ca-second.pem"))
        #expect(merged.user(named: "prod-user")?.user.clientKey == Fixtures.path("merge/certs/client-key.pem"))
        #expect(merged.cluster(named: "prod-cluster")?.origin.file == second)
    }

    @Test func resolvedCurrentContext() async throws {
        let loader = KubeconfigLoader(environment: ["KUBECONFIG": "\(first):\(second)"])
        let configuration = try loader.load()
        #expect(configuration.contextName == "dev")
        #expect(configuration.server.absoluteString == "https://first.k8s.test:6443")
        #expect(configuration.namespace == "team-a")
        #expect(configuration.namespaceSource == .context)
        #expect(configuration.certificateAuthority?.value == Array(Data(base64Encoded: TestPEM.ca)!))
        #expect(configuration.credentialKind == "bearer token")
        #expect(try await configuration.bearerToken() == "first-file-token")
        #expect(configuration.sources == [first, second])
    }

    @Test func contextOverrideAndServerPrefix() async throws {
        let loader = KubeconfigLoader(environment: ["KUBECONFIG": "\(first):\(second)"])
        let configuration = try loader.load(ConfigOverrides(context: "prod", namespace: "ops"))
        #expect(configuration.contextName == "prod")
        #expect(configuration.server.absoluteString == "https://prod.k8s.test/prefix")
        #expect(configuration.namespace == "ops")
        #expect(configuration.namespaceSource == .explicit)
        #expect(configuration.authentication == [.clientCertificate])
        let credentials = try await configuration.credentials.credentials()
        #expect(credentials.clientCertificate?.certificatePEM.value == Array(Data(base64Encoded: TestPEM.certificate)!))
        #expect(credentials.clientCertificate?.keyPEM.value == Array(Data(base64Encoded: TestPEM.key)!))
        #expect(credentials.authorization == nil)
    }

    @Test func homeConfigIsTheDefaultAndMissingIsNotAnError() throws {
        let home = try TemporaryDirectory()
        try home.write(".kube/config", "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'https://home.k8s.test'}}]\n")
        let configuration = try KubeconfigLoader(environment: ["HOME": home.path]).load()
        #expect(configuration.server.host == "home.k8s.test")
        #expect(configuration.namespace == "default")
        #expect(configuration.namespaceSource == .defaulted)
        #expect(configuration.credentialKind == "anonymous")

        let empty = try TemporaryDirectory()
        let error = #expect(throws: KubeError.self) { try KubeconfigLoader(environment: ["HOME": empty.path]).load() }
        #expect(error?.code == .configurationNotFound)
        #expect(error?.message.contains(empty.path + "/.kube/config") == true)
        #expect(error?.message.contains("not running in a cluster") == true)
    }

    @Test func explicitPathMustExistAndIgnoresKubeconfigEnv() throws {
        let error = #expect(throws: KubeError.self) {
            try KubeconfigLoader(explicitPaths: ["/no/such/kubeconfig"], environment: ["KUBECONFIG": first]).load()
        }
        #expect(error?.code == .fileNotFound)
        #expect(error?.description == "kubeconfig /no/such/kubeconfig does not exist")
        let configuration = try KubeconfigLoader(explicitPaths: [second], environment: ["KUBECONFIG": first]).load()
        #expect(configuration.contextName == "prod")
    }

    @Test func unknownContextsListTheChoices() {
        let loader = KubeconfigLoader(environment: ["KUBECONFIG": "\(first):\(second)"])
        let override = #expect(throws: KubeError.self) { try loader.load(ConfigOverrides(context: "staging")) }
        #expect(override?.code == .contextNotFound)
        #expect(override?.description == "context \"staging\" does not exist\nAvailable contexts: \"dev\", \"prod\".")

        let current = #expect(throws: KubeError.self) {
            try loader.resolve(Kubeconfig(yaml: "current-context: gone\ncontexts: [{name: a, context: {cluster: x}}]\n"))
        }
        #expect(current?.description == "context was not found for specified context: gone\nAvailable contexts: \"a\".")

        let cluster = #expect(throws: KubeError.self) { try loader.load(ConfigOverrides(cluster: "nope")) }
        #expect(cluster?.code == .clusterNotFound)
        #expect(cluster?.hint == "Available clusters: \"shared\", \"prod-cluster\".")

        let user = #expect(throws: KubeError.self) { try loader.load(ConfigOverrides(user: "nobody")) }
        #expect(user?.code == .userNotFound)
        #expect(user?.hint == "Available users: \"dev-user\", \"prod-user\".")
    }

    @Test func contextNamingAMissingClusterIsAnError() {
        let error = #expect(throws: KubeError.self) {
            try KubeconfigLoader(environment: [:]).resolve(Kubeconfig(yaml: "current-context: a\ncontexts: [{name: a, context: {cluster: gone}}]\n"))
        }
        #expect(error?.code == .clusterNotFound)
        #expect(error?.message == "cluster \"gone\" referenced by context \"a\" does not exist")
    }

    @Test func missingUserMeansAnonymousAndIsLogged() throws {
        let (logger, log) = capturingLogger()
        let config = try Kubeconfig(yaml: """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: ghost}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
            """)
        let configuration = try KubeconfigLoader(environment: [:], logger: logger).resolve(config)
        #expect(configuration.credentialKind == "anonymous")
        #expect(configuration.userName == "ghost")
        #expect(log.messages.contains { $0.contains("requests will be anonymous") && $0.contains("ghost") })
    }

    @Test func noContextAtAll() {
        let error = #expect(throws: KubeError.self) {
            try KubeconfigLoader(environment: [:]).resolve(Kubeconfig(yaml: "clusters: [{name: k, cluster: {server: 'https://k'}}]\n"))
        }
        #expect(error?.code == .contextNotFound)
        #expect(error?.message.contains("no current-context") == true)
    }

    @Test func serverOverrideWorksWithoutContextAndClearsTLSServerName() throws {
        let config = try Kubeconfig(yaml: """
            current-context: a
            contexts: [{name: a, context: {cluster: k}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test', tls-server-name: kube.internal}}]
            """)
        let loader = KubeconfigLoader(environment: [:])
        #expect(try loader.resolve(config).tlsServerName == "kube.internal")
        let overridden = try loader.resolve(config, overrides: ConfigOverrides(server: "https://other.k8s.test:8443"))
        #expect(overridden.server.absoluteString == "https://other.k8s.test:8443")
        #expect(overridden.tlsServerName == nil)
        let bare = try loader.resolve(Kubeconfig(), overrides: ConfigOverrides(server: "https://bare.k8s.test", token: "t"))
        #expect(bare.server.host == "bare.k8s.test")
        #expect(bare.credentialKind == "bearer token")
    }

    @Test(arguments: [
        ("k8s.example.com:6443", "server \"k8s.example.com:6443\" of cluster \"k\" is not usable: it has no https:// (or http://) scheme"),
        ("ftp://k8s.example.com", "server \"ftp://k8s.example.com\" of cluster \"k\" is not usable: the scheme must be https or http"),
        ("https://", "server \"https://\" of cluster \"k\" is not usable: it has no host"),
    ])
    func badServerURLs(server: String, message: String) {
        let error = #expect(throws: KubeError.self) {
            try KubeconfigLoader(environment: [:]).resolve(Kubeconfig(yaml: """
                current-context: a
                contexts: [{name: a, context: {cluster: k}}]
                clusters: [{name: k, cluster: {server: '\(server)'}}]
                """))
        }
        #expect(error?.code == .invalidServerURL)
        #expect(error?.message == message)
    }

    @Test func validationCollectsEveryProblemOfTheSelectedStanzas() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("config", """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u, namespace: Not_A_Label}}]
            clusters:
            - name: k
              cluster:
                server: https://k.k8s.test
                certificate-authority: ca.pem
                certificate-authority-data: dGVzdA==
                proxy-url: ftp://proxy:21
            users:
            - name: u
              user:
                token: abc
                username: admin
                password: hunter2
                client-certificate: missing-cert.pem
            # A broken stanza that is not selected is not validated (client-go's ConfirmUsable).
            - name: unused
              user: {client-certificate: nope.pem}
            """)
        let error = #expect(throws: KubeError.self) { try KubeconfigLoader(explicitPaths: [config], environment: [:]).load() }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("invalid configuration:\n* "))
        #expect(text.contains("* invalid 'proxy-url' \"ftp://proxy:21\" for cluster \"k\": unsupported scheme \"ftp\", must be http, https, or socks5"))
        #expect(text.contains("* certificate-authority-data and certificate-authority are both specified for k. certificate-authority-data will override."))
        #expect(text.contains("* client-key-data or client-key must be specified for u to use the clientCert authentication method."))
        #expect(text.contains("* more than one authentication method found for u; found [token basicAuth], only one is allowed"))
        #expect(text.contains("* namespace \"Not_A_Label\" for context \"a\" does not conform to the kubernetes DNS_LABEL rules"))
        #expect(!text.contains("nope.pem"))
        #expect(!text.contains("hunter2") && !text.contains("abc\""))
    }

    @Test("a CA that is not PEM, a key of another certificate: load-time errors naming file, line and field")
    func certificatesAreCheckedAtLoadTime() throws {
        let dir = try TemporaryDirectory()
        let otherKey = Fixtures.path("merge/certs/other-key.pem")
        let config = try dir.write("config", """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters:
            - name: k
              cluster: {server: 'https://k.k8s.test', certificate-authority-data: \(Data("not a certificate".utf8).base64EncodedString())}
            users:
            - name: u
              user: {client-certificate-data: \(TestPEM.certificate), client-key: \(otherKey)}
            """)
        let error = #expect(throws: KubeError.self) { try KubeconfigLoader(explicitPaths: [config], environment: [:]).load() }
        let text = error?.description ?? ""
        #expect(text.contains("* \(config):4: certificate-authority-data of cluster \"k\" holds no PEM certificate (a -----BEGIN CERTIFICATE----- block)"), "\(text)")
        #expect(text.contains("* \(config):7: client-certificate-data and client-key \"\(otherKey)\" of user \"u\": tls: private key does not match public key"), "\(text)")
        #expect(!text.contains("PRIVATE KEY-----\n"))

        let good = try dir.write("good", """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test', certificate-authority-data: \(TestPEM.ca)}}]
            users: [{name: u, user: {client-certificate-data: \(TestPEM.certificate), client-key-data: \(TestPEM.key)}}]
            """)
        #expect(try KubeconfigLoader(explicitPaths: [good], environment: [:]).load().authentication == [.clientCertificate])
    }

    @Test("key matching: RSA in PKCS #1 and #8, EC in SEC 1 and PKCS #8, and key types that differ")
    func keyMatching() throws {
        func pem(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("merge/certs/\(name)")))) }
        try PEMCheck.checkClientPair(certificate: pem("client.pem"), key: pem("client-key.pem"))
        try PEMCheck.checkClientPair(certificate: pem("client.pem"), key: pem("client-key-pkcs1.pem"))
        try PEMCheck.checkClientPair(certificate: pem("ec.pem"), key: pem("ec-key.pem"))
        try PEMCheck.checkClientPair(certificate: pem("ec.pem"), key: pem("ec-key-sec1.pem"))
        #expect(throws: PEMCheck.Problem.self) { try PEMCheck.checkClientPair(certificate: pem("ec.pem"), key: pem("client-key.pem")) }
        #expect(throws: PEMCheck.Problem.self) { try PEMCheck.checkClientPair(certificate: pem("client.pem"), key: pem("other-key.pem")) }
        let problem = #expect(throws: PEMCheck.Problem.self) { try PEMCheck.checkClientPair(certificate: pem("client.pem"), key: Array("junk".utf8)) }
        #expect(problem?.message == "the client key holds no PEM private key (a -----BEGIN ... PRIVATE KEY----- block)")
        try PEMCheck.checkCertificateAuthority(pem("ca-first.pem") + pem("ec.pem"))
    }

    @Test("an empty kubeconfig file is named and called empty")
    func emptyKubeconfigFile() throws {
        let dir = try TemporaryDirectory()
        let empty = try dir.write("config", "")
        let error = #expect(throws: KubeError.self) { try KubeconfigLoader(explicitPaths: [empty], environment: [:]).load() }
        #expect(error?.message == "the kubeconfig file \(empty) (0 bytes) is empty: it defines no cluster, context or user")
        #expect(error?.location?.file == empty)
        let comments = try dir.write("comments", "# nothing here yet\n")
        let viaEnvironment = #expect(throws: KubeError.self) {
            try KubeconfigLoader(environment: ["KUBECONFIG": comments, "HOME": dir.path]).load()
        }
        #expect(viaEnvironment?.message == "the kubeconfig file \(comments) is empty: it defines no cluster, context or user")
    }

    @Test("a legacy oidc user whose relative IdP CA is missing: the error names the file too")
    func oidcWithMissingRelativeCA() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("config", """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
            users:
            - name: u
              user:
                auth-provider:
                  name: oidc
                  config: {idp-issuer-url: 'https://issuer.k8s.test', client-id: kube, idp-certificate-authority: certs/idp-ca.pem, id-token: SECRET-ID-TOKEN}
            """)
        let error = #expect(throws: KubeError.self) { try KubeconfigLoader(explicitPaths: [config], environment: [:]).load() }
        #expect(error?.code == .authProviderUnsupported)
        #expect(error?.message.hasPrefix("user \"u\" uses the auth-provider \"oidc\", which KubeKit does not support; also, its idp-certificate-authority \"certs/idp-ca.pem\" does not exist (a relative path is read from the working directory") == true)
        #expect(error?.location?.line == 5)
        #expect(error?.description.contains("SECRET-ID-TOKEN") == false)
    }

    @Test func unreadableCertificateNamesPathAndUser() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("config", """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
            users: [{name: u, user: {client-certificate: certs/c.pem, client-key: certs/k.pem}}]
            """)
        try dir.write("certs/k.pem", "key")
        let error = #expect(throws: KubeError.self) { try KubeconfigLoader(explicitPaths: [config], environment: [:]).load() }
        #expect(error?.code == .certificateUnreadable)
        #expect(error?.message == "unable to read client-cert \(dir.path)/certs/c.pem for u due to client-cert \(dir.path)/certs/c.pem does not exist")
    }

    @Test func insecureWithCAIsRejectedAndOverridesReplaceBoth() throws {
        let config = try Kubeconfig(yaml: """
            current-context: a
            contexts: [{name: a, context: {cluster: k}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test', insecure-skip-tls-verify: true, certificate-authority-data: \(TestPEM.ca)}}]
            """)
        let loader = KubeconfigLoader(environment: [:])
        let error = #expect(throws: KubeError.self) { try loader.resolve(config) }
        #expect(error?.message == "specifying a root certificates file with the insecure flag is not allowed (cluster \"k\")")
        let insecure = try loader.resolve(config, overrides: ConfigOverrides(insecureSkipTLSVerify: true))
        #expect(insecure.insecureSkipTLSVerify)
        #expect(insecure.certificateAuthority == nil)
        #expect(insecure.description.contains("INSECURE"))
    }

    @Test func plainHTTPServerNeverGetsCredentials() async throws {
        let (logger, log) = capturingLogger()
        let config = try Kubeconfig(yaml: """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'http://k.k8s.test:8080'}}]
            users: [{name: u, user: {token: should-not-be-sent}}]
            """)
        let configuration = try KubeconfigLoader(environment: [:], logger: logger).resolve(config)
        #expect(!configuration.usesTLS)
        #expect(configuration.credentialKind == "anonymous")
        #expect(try await configuration.bearerToken() == nil)
        #expect(log.messages.contains { $0.contains("plain http") })
        #expect(!log.messages.joined().contains("should-not-be-sent"))
    }

    @Test func impersonationHeaders() throws {
        let config = try Kubeconfig(yaml: """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
            users: [{name: u, user: {token: t, as: jane, as-uid: '42', as-groups: [dev, ops], as-user-extra: {scopes: [view, edit]}}}]
            """)
        let configuration = try KubeconfigLoader(environment: [:]).resolve(config)
        let headers = try #require(configuration.impersonation?.headers)
        #expect(headers.map { "\($0.name): \($0.value)" } == [
            "Impersonate-User: jane", "Impersonate-Uid: 42", "Impersonate-Group: dev", "Impersonate-Group: ops",
            "Impersonate-Extra-scopes: view", "Impersonate-Extra-scopes: edit",
        ])
        let orphan = #expect(throws: KubeError.self) {
            try KubeconfigLoader(environment: [:]).resolve(Kubeconfig(yaml: """
                current-context: a
                contexts: [{name: a, context: {cluster: k, user: u}}]
                clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
                users: [{name: u, user: {as-groups: [dev]}}]
                """))
        }
        #expect(orphan?.message == "requesting uid, groups or user-extra for u without impersonating a user")
    }

    @Test func authProvidersNameTheirExecReplacement() {
        let error = #expect(throws: KubeError.self) {
            try KubeconfigLoader(environment: [:]).resolve(Kubeconfig(yaml: """
                current-context: a
                contexts: [{name: a, context: {cluster: k, user: u}}]
                clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
                users: [{name: u, user: {auth-provider: {name: gcp, config: {access-token: ya29.secret}}}}]
                """))
        }
        #expect(error?.code == .authProviderUnsupported)
        #expect(error?.hint?.contains("gke-gcloud-auth-plugin") == true)
        #expect(error?.description.contains("ya29") == false)
    }

    @Test func descriptionsNeverShowSecrets() throws {
        let config = try Kubeconfig(yaml: """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test', certificate-authority-data: \(TestPEM.ca), proxy-url: 'http://user:proxypass@proxy.k8s.test:3128'}}]
            users: [{name: u, user: {token: tok-SECRET, client-certificate-data: \(TestPEM.certificate), client-key-data: \(TestPEM.key)}}]
            """)
        let configuration = try KubeconfigLoader(environment: [:]).resolve(config)
        var dumped = ""
        dump(config, to: &dumped)
        for text in [String(describing: config), String(reflecting: config), dumped, configuration.description, String(describing: configuration)] {
            let keyBody = String(decoding: Data(base64Encoded: TestPEM.key) ?? Data(), as: UTF8.self).split(separator: "\n")[2]
            let certificateBody = String(decoding: Data(base64Encoded: TestPEM.certificate) ?? Data(), as: UTF8.self).split(separator: "\n")[2]
            for secret in ["tok-SECRET", String(keyBody), String(certificateBody), String(TestPEM.key.prefix(40)), "proxypass"] {
                #expect(!text.contains(secret), "\(secret) leaked")
            }
        }
        #expect(configuration.description.contains("proxy: http://user:redacted@proxy.k8s.test:3128"))
        #expect(configuration.description.contains("credentials: client certificate + bearer token"))
    }
}

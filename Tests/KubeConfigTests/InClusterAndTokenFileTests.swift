import Foundation
import Testing
import KubeErrors
@testable import KubeConfig

@Suite("In-cluster configuration and token files", .timeLimit(.minutes(2)))
struct InClusterAndTokenFileTests {
    func serviceAccount(namespace: String? = "apps\n", ca: Bool = true) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try dir.write("token", "sa-token-1\n")
        if ca { try dir.write("ca.crt", "in-cluster CA") }
        if let namespace { try dir.write("namespace", namespace) }
        return dir
    }

    @Test func inClusterFromEnvironmentAndFiles() async throws {
        let sa = try serviceAccount()
        let loader = KubeconfigLoader(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: sa.path)
        #expect(loader.inClusterPossible)
        let configuration = try loader.load()
        #expect(configuration.server.absoluteString == "https://10.96.0.1:443")
        #expect(configuration.namespace == "apps")
        #expect(configuration.namespaceSource == .serviceAccount)
        #expect(configuration.certificateAuthority?.value == Array("in-cluster CA".utf8))
        #expect(configuration.authentication == [.serviceAccount(tokenPath: sa.file("token"))])
        #expect(try await configuration.bearerToken() == "sa-token-1")
    }

    @Test func ipv6HostsAreBracketedAndPodNamespaceWins() throws {
        let sa = try serviceAccount()
        let configuration = try KubeconfigLoader(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443", "POD_NAMESPACE": "from-env"],
            serviceAccountDirectory: sa.path).loadInCluster()
        #expect(configuration.server.absoluteString == "https://[fd00::1]:6443")
        #expect(configuration.namespace == "from-env")
    }

    @Test func missingNamespaceFileMeansDefaultAndMissingCAIsLogged() throws {
        let sa = try serviceAccount(namespace: nil, ca: false)
        let (logger, log) = capturingLogger()
        let configuration = try KubeconfigLoader(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: sa.path, logger: logger).loadInCluster()
        #expect(configuration.namespace == "default")
        #expect(configuration.certificateAuthority == nil)
        #expect(log.messages.contains { $0.contains("system CA roots") })
    }

    @Test func kubeconfigBeatsInCluster() throws {
        let sa = try serviceAccount()
        let configuration = try KubeconfigLoader(
            environment: ["KUBECONFIG": Fixtures.path("merge/first.yaml"), "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: sa.path).load()
        #expect(configuration.contextName == "dev")
    }

    @Test func inClusterWithoutEnvironment() {
        let error = #expect(throws: KubeError.self) { try KubeconfigLoader(environment: [:]).loadInCluster() }
        #expect(error?.code == .inClusterUnavailable)
        #expect(error?.message == "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined")
    }

    @Test func tokenFileIsRereadAfterFiftySeconds() async throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("token", "  first\n")
        let clock = ManualClock()
        let provider = try TokenFileCredentialProvider(path: path, now: clock.source)
        func token() async throws -> String? {
            if case .bearer(let token)? = try await provider.credentials().authorization { return token.value }
            return nil
        }
        #expect(try await token() == "first")
        try dir.write("token", "second")
        clock.advance(49)
        #expect(try await token() == "first")
        clock.advance(2)
        #expect(try await token() == "second")
    }

    @Test func failedRereadKeepsTheLastGoodTokenAndRefreshForcesARead() async throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("token", "good")
        let clock = ManualClock()
        let (logger, log) = capturingLogger()
        let provider = try TokenFileCredentialProvider(path: path, now: clock.source, logger: logger)
        let initial = try await provider.credentials()
        try FileManager.default.removeItem(atPath: path)
        clock.advance(60)
        #expect(try await provider.credentials() == initial)
        #expect(log.messages.contains { $0.contains("could not re-read token file") })
        try dir.write("token", "rotated")
        let refreshed = try await provider.refresh(rejected: initial)
        #expect(refreshed.authorization == .bearer(Sensitive("rotated")))
        // A refresh for an outdated value does not re-read again.
        try dir.write("token", "third")
        #expect(try await provider.refresh(rejected: initial) == refreshed)
    }

    @Test func emptyOrMissingTokenFiles() throws {
        let dir = try TemporaryDirectory()
        let empty = try dir.write("token", " \n")
        let error = #expect(throws: KubeError.self) { try TokenFileCredentialProvider(path: empty) }
        #expect(error?.code == .tokenFileUnreadable)
        #expect(error?.message == "read empty token from file \"\(empty)\"")
        #expect(throws: KubeError.self) { try TokenFileCredentialProvider(path: dir.file("missing")) }
        // With an initial token the file is read lazily.
        #expect(throws: Never.self) { try TokenFileCredentialProvider(path: dir.file("missing"), initialToken: "t") }
    }

    @Test func kubeconfigTokenFileResolvesRelativeToTheFile() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("secrets/token", "from-file")
        let config = try dir.write("config", """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
            users: [{name: u, user: {tokenFile: secrets/token}}]
            """)
        let configuration = try KubeconfigLoader(explicitPaths: [config], environment: [:]).load()
        #expect(configuration.authentication == [.tokenFile(path: dir.file("secrets/token"))])
        #expect(try await configuration.bearerToken() == "from-file")
    }
}

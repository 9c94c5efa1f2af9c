import Foundation
import Testing
import KubeErrors
@testable import KubeConfig

@Suite("Exec credential plugins", .timeLimit(.minutes(2)))
struct ExecPluginTests {
    let tokenPlugin = Fixtures.path("plugins/token-plugin.sh")

    func exec(_ command: String, env: [String: String] = [:], version: String = "client.authentication.k8s.io/v1",
              args: [String] = ["alpha"], mode: ExecConfig.InteractiveMode? = .never, provideClusterInfo: Bool = false) -> ExecConfig {
        ExecConfig(command: command, args: args, env: env.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) },
                   apiVersion: version, installHint: "brew install thing\u{1B}[31m", provideClusterInfo: provideClusterInfo,
                   interactiveMode: mode)
    }

    func provider(_ config: ExecConfig, clock: ManualClock = ManualClock(), cluster: ExecClusterInfo? = nil,
                  environment: [String: String] = ProcessInfo.processInfo.environment) -> ExecCredentialProvider {
        ExecCredentialProvider(config: config, cluster: cluster, environment: environment, stdinIsTerminal: { false }, now: clock.source)
    }

    func token(_ credentials: Credentials) -> String? {
        if case .bearer(let token)? = credentials.authorization { return token.value }
        return nil
    }

    @Test func tokenIsCachedUntilShortlyBeforeExpiry() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        let expiry = clock.now.addingTimeInterval(300).formatted(.iso8601)
        let provider = provider(exec(tokenPlugin, env: ["RUN_LOG": dir.file("runs"), "EXPIRY": expiry]), clock: clock)
        let first = try await provider.credentials()
        #expect(token(first) == "token-alpha-1")
        #expect(first.expiresAt == clock.now.addingTimeInterval(300))
        clock.advance(200)
        #expect(token(try await provider.credentials()) == "token-alpha-1")
        clock.advance(80)  // 20 s before expiry: inside the 30 s skew
        #expect(token(try await provider.credentials()) == "token-alpha-2")
        #expect(await provider.runCount == 2)
    }

    @Test("a plugin that never finishes is stopped after the timeout, with an error naming it")
    func hangingPluginTimesOut() async throws {
        let dir = try TemporaryDirectory()
        let provider = ExecCredentialProvider(config: exec(tokenPlugin, env: ["RUN_LOG": dir.file("runs"), "SLEEP": "30"]),
                                              stdinIsTerminal: { false }, timeout: .milliseconds(300))
        let started = ContinuousClock.now
        let error = await #expect(throws: KubeError.self) { try await provider.credentials() }
        #expect(error?.code == .execPluginFailed)
        #expect(error?.message == "exec: executable \(tokenPlugin) did not finish within 300 ms; it was stopped")
        #expect(ContinuousClock.now - started < .seconds(20), "stopped, not waited for")
    }

    @Test("cancelling the only caller stops the plugin")
    func cancellingTheCallerStopsThePlugin() async throws {
        let dir = try TemporaryDirectory()
        let provider = provider(exec(tokenPlugin, env: ["RUN_LOG": dir.file("runs"), "SLEEP": "30"]))
        let task = Task { try await provider.credentials() }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func concurrentCallersShareOneRunAndOneRefresh() async throws {
        let dir = try TemporaryDirectory()
        let provider = provider(exec(tokenPlugin, env: ["RUN_LOG": dir.file("runs"), "SLEEP": "0.3"]))
        let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { self.token(try await provider.credentials()) } }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(Set(tokens) == ["token-alpha-1"])
        #expect(await provider.runCount == 1)
        let rejected = try await provider.credentials()
        let refreshed = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { self.token(try await provider.refresh(rejected: rejected)) } }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(Set(refreshed) == ["token-alpha-2"])
        #expect(await provider.runCount == 2)
        // Refreshing the already replaced value does not run the plugin again.
        #expect(token(try await provider.refresh(rejected: rejected)) == "token-alpha-2")
        #expect(await provider.runCount == 2)
    }

    @Test func execInfoAndEnvironmentReachThePlugin() async throws {
        let dir = try TemporaryDirectory()
        let cluster = ExecClusterInfo(server: "https://k.k8s.test", tlsServerName: "kube.internal",
                                      certificateAuthorityData: Array("CA".utf8), config: .object(["audience": .string("sts")]))
        let provider = provider(exec(tokenPlugin, env: ["INFO_FILE": dir.file("info")], provideClusterInfo: true), cluster: cluster)
        _ = try await provider.credentials()
        let info = try String(contentsOfFile: dir.file("info"), encoding: .utf8)
        #expect(info == #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false,"cluster":{"server":"https://k.k8s.test","tls-server-name":"kube.internal","certificate-authority-data":"Q0E=","config":{"audience":"sts"}}}}"#)

        let plain = self.provider(exec(tokenPlugin, env: ["INFO_FILE": dir.file("info2")]), cluster: cluster)
        _ = try await plain.credentials()
        #expect(try String(contentsOfFile: dir.file("info2"), encoding: .utf8)
                == #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#)
    }

    @Test func pluginNotFoundShowsTheSanitizedInstallHint() async throws {
        let provider = provider(exec("kubekit-no-such-plugin"), environment: ["PATH": "/usr/bin:/bin"])
        let error = await #expect(throws: KubeError.self) { try await provider.credentials() }
        #expect(error?.code == .execPluginNotFound)
        #expect(error?.message == "exec: executable kubekit-no-such-plugin not found")
        #expect(error?.hint?.hasSuffix("brew install thingU+001B[31m") == true)
    }

    @Test func nonZeroExitReportsCodeAndStderr() async throws {
        let provider = provider(exec(Fixtures.path("plugins/failing-plugin.sh")))
        let error = await #expect(throws: KubeError.self) { try await provider.credentials() }
        #expect(error?.code == .execPluginFailed)
        #expect(error?.message == "exec: executable \(Fixtures.path("plugins/failing-plugin.sh")) failed with exit code 3")
        #expect(error?.hint == "plugin stderr: error: you must run 'login' first")
    }

    @Test(arguments: [
        ("not json at all {", "decoding stdout: the output of"),
        (#"{"kind":"Secret","apiVersion":"client.authentication.k8s.io/v1"}"#, "decoding stdout: expected kind ExecCredential"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"t"}}"#,
         "exec plugin is configured to use API version client.authentication.k8s.io/v1, plugin returned version client.authentication.k8s.io/v1beta1"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1"}"#, "exec plugin didn't return a status field"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}}"#, "exec plugin didn't return a token or cert/key pair"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"PEM"}}"#,
         "exec plugin returned only certificate or key, not both"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t","expirationTimestamp":"tomorrow"}}"#,
         "exec plugin returned an expirationTimestamp that is not an RFC 3339 time: tomorrow"),
    ])
    func invalidOutput(output: String, message: String) async throws {
        let provider = provider(exec(Fixtures.path("plugins/output-plugin.sh"), env: ["OUTPUT": output]))
        let error = await #expect(throws: KubeError.self) { try await provider.credentials() }
        #expect(error?.code == .execPluginInvalidOutput)
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
    }

    @Test func certificateOutputIsRawPEMAndFractionalExpiryParses() async throws {
        let output = #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"clientCertificateData":"-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n","clientKeyData":"KEY","expirationTimestamp":"2030-01-02T03:04:05.123Z"}}"#
        let provider = provider(exec(Fixtures.path("plugins/output-plugin.sh"), env: ["OUTPUT": output], version: "client.authentication.k8s.io/v1beta1"))
        let credentials = try await provider.credentials()
        #expect(credentials.authorization == nil)
        #expect(credentials.clientCertificate?.certificatePEM.value == Array("-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n".utf8))
        #expect(credentials.clientCertificate?.keyPEM.value == Array("KEY".utf8))
        #expect(abs((credentials.expiresAt?.timeIntervalSince1970 ?? 0) - 1_893_553_445.123) < 0.001)
        #expect(!credentials.description.contains("KEY"))
    }

    @Test func interactiveAlwaysNeedsATerminal() async throws {
        let provider = provider(exec(tokenPlugin, mode: .always))
        let error = await #expect(throws: KubeError.self) { try await provider.credentials() }
        #expect(error?.message == "exec plugin cannot support interactive mode: standard input is not a terminal")
    }

    @Test func kubeconfigExecStanzaEndToEnd() async throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tokenPlugin, toPath: dir.file("bin/plugin.sh"))
        let config = try dir.write("config", """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./bin/plugin.sh
                  args: [kubeconfig]
                  env: [{name: VERSION, value: client.authentication.k8s.io/v1beta1}]
            """)
        let configuration = try KubeconfigLoader(explicitPaths: [config], environment: [:]).load()
        #expect(configuration.authentication == [.exec(command: dir.file("bin/plugin.sh"))])
        #expect(try await configuration.bearerToken() == "token-kubeconfig-1")
        // A second client from the same kubeconfig shares the plugin run (process-wide cache).
        let again = try KubeconfigLoader(explicitPaths: [config], environment: [:]).load()
        #expect(try await again.bearerToken() == "token-kubeconfig-1")
    }

    @Test(arguments: [
        ("{command: x}", "apiVersion must be specified for u to use exec authentication plugin"),
        ("{apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}", "command must be specified for u to use exec authentication plugin"),
        ("{command: x, apiVersion: client.authentication.k8s.io/v1alpha1}", "exec plugin: invalid apiVersion \"client.authentication.k8s.io/v1alpha1\""),
        ("{command: x, apiVersion: client.authentication.k8s.io/v1}", "interactiveMode must be specified for u to use exec authentication plugin"),
        ("{command: x, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Sometimes}", "invalid interactiveMode for u: \"Sometimes\""),
        ("{command: x, apiVersion: client.authentication.k8s.io/v1beta1, env: [{value: v}]}", "env variable name must be specified for u to use exec authentication plugin"),
    ])
    func execValidation(stanza: String, message: String) {
        let error = #expect(throws: KubeError.self) {
            try KubeconfigLoader(environment: [:]).resolve(Kubeconfig(yaml: """
                current-context: a
                contexts: [{name: a, context: {cluster: k, user: u}}]
                clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
                users: [{name: u, user: {exec: \(stanza)}}]
                """))
        }
        #expect(error?.message == message)
    }

    @Test func tokenBeatsExecAsInClientGo() async throws {
        let configuration = try KubeconfigLoader(environment: [:]).resolve(Kubeconfig(yaml: """
            current-context: a
            contexts: [{name: a, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: 'https://k.k8s.test'}}]
            users: [{name: u, user: {token: static, exec: {command: never-run, apiVersion: client.authentication.k8s.io/v1beta1}}}]
            """))
        #expect(configuration.authentication == [.token])
        #expect(try await configuration.bearerToken() == "static")
    }
}

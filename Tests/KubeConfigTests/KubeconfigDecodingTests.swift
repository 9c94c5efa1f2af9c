import Foundation
import Testing
import KubeErrors
@testable import KubeConfig

@Suite("Kubeconfig decoding errors name file, line, column and field", .timeLimit(.minutes(2)))
struct KubeconfigDecodingTests {
    @Test func invalidBase64() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("config", """
            users:
            - name: admin
              user:
                client-key-data: LS0tLS1CRUdJTi!!!PRIVATE
            """)
        let error = #expect(throws: KubeError.self) { try Kubeconfig(contentsOf: path) }
        #expect(error?.code == .invalidBase64)
        #expect(error?.location == .init(file: path, line: 4, column: 22, field: "users[0].user.client-key-data"))
        #expect(error?.description.hasPrefix("\(path):4:22: users[0].user.client-key-data: client-key-data is not valid base64") == true)
        #expect(error?.description.contains("LS0tLS1") == false)
    }

    @Test func wrongTypesSayWhatWasExpected() {
        let bool = #expect(throws: KubeError.self) {
            try Kubeconfig(yaml: "clusters:\n- name: a\n  cluster:\n    insecure-skip-tls-verify: \"yes\"\n", file: "cfg")
        }
        #expect(bool?.description == "cfg:4:31: clusters[0].cluster.insecure-skip-tls-verify: expected a boolean (true or false), found a string")
        let number = #expect(throws: KubeError.self) {
            try Kubeconfig(yaml: "contexts:\n- name: a\n  context:\n    namespace: 2024\n", file: "cfg")
        }
        #expect(number?.message == "expected a string, found a number (quote the value to make it a string)")
        #expect(number?.location?.field == "contexts[0].context.namespace")
        let list = #expect(throws: KubeError.self) { try Kubeconfig(yaml: "clusters: {a: b}\n") }
        #expect(list?.message == "expected a list of {name, cluster} entries, found an object")
    }

    @Test func duplicateNamesInOneFile() {
        let error = #expect(throws: KubeError.self) {
            try Kubeconfig(yaml: "users:\n- name: a\n  user: {}\n- name: a\n  user: {token: x}\n", file: "cfg")
        }
        #expect(error?.description == "cfg:4:9: users[1].name: duplicate name \"a\" in users (first defined at line 2)")
    }

    @Test func entriesNeedNames() {
        let error = #expect(throws: KubeError.self) { try Kubeconfig(yaml: "contexts:\n- context: {cluster: a}\n") }
        #expect(error?.message == "every entry of contexts needs a name")
    }

    @Test func oneDocumentPerFile() throws {
        let error = #expect(throws: KubeError.self) { try Kubeconfig(yaml: "kind: Config\n---\nkind: Config\n", file: "cfg") }
        #expect(error?.location?.line == 2)
        #expect((try? Kubeconfig(yaml: "kind: Config\n---\n"))?.kind == "Config")
    }

    @Test func wrongKindOrVersion() {
        #expect(throws: KubeError.self) { try Kubeconfig(yaml: "kind: Pod\n") }
        #expect(throws: KubeError.self) { try Kubeconfig(yaml: "apiVersion: v2\n") }
    }

    @Test func emptyFileIsAnEmptyConfig() throws {
        let dir = try TemporaryDirectory()
        let config = try Kubeconfig(contentsOf: try dir.write("empty", ""))
        #expect(config.isEmpty)
    }

    @Test func syntaxErrorsPointIntoTheFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("config", "clusters:\n- name: a\n  cluster: {server: https://x\n")
        let error = #expect(throws: KubeError.self) { try Kubeconfig(contentsOf: path) }
        #expect(error?.code == .yamlSyntax)
        #expect(error?.location?.file == path)
        #expect(error?.location?.line == 4)
    }

    @Test func unreadableAndDirectoryPaths() throws {
        let dir = try TemporaryDirectory()
        let error = #expect(throws: KubeError.self) { try Kubeconfig(contentsOf: dir.path) }
        #expect(error?.code == .fileUnreadable)
        #expect(error?.message == "kubeconfig \(dir.path) is a directory, not a file")
    }

    @Test func unknownFieldsAreLoggedNotDropped() throws {
        let (logger, log) = capturingLogger()
        _ = try Kubeconfig(yaml: "clusters:\n- name: a\n  cluster:\n    server: https://x\n    certificate-authority-date: oops\n", file: "cfg", logger: logger)
        #expect(log.messages.contains { $0.contains("not known to KubeKit") && $0.contains("cfg:5:5: clusters[0].cluster.certificate-authority-date") })
    }

    @Test func everyFieldIsRead() throws {
        let config = try Kubeconfig(yaml: """
            apiVersion: v1
            kind: Config
            preferences: {colors: true}
            current-context: c
            extensions: [{name: top, extension: {a: 1}}]
            clusters:
            - name: k
              cluster:
                server: https://k
                tls-server-name: kube.internal
                insecure-skip-tls-verify: false
                certificate-authority: /etc/ca.pem
                proxy-url: socks5://proxy:1080
                disable-compression: true
                extensions: [{name: client.authentication.k8s.io/exec, extension: {audience: x}}]
            users:
            - name: u
              user:
                tokenFile: /var/token
                as: jane
                as-uid: "1"
                as-groups: [g]
                as-user-extra: {k: [v]}
                exec:
                  command: aws
                  args: [eks, get-token]
                  env: [{name: AWS_PROFILE, value: prod}]
                  apiVersion: client.authentication.k8s.io/v1beta1
                  installHint: install aws
                  provideClusterInfo: true
                  interactiveMode: Never
            contexts:
            - name: c
              context: {cluster: k, user: u, namespace: ns}
            """)
        let cluster = try #require(config.cluster(named: "k")?.cluster)
        #expect(cluster.tlsServerName == "kube.internal")
        #expect(cluster.insecureSkipTLSVerify == false)
        #expect(cluster.proxyURL == "socks5://proxy:1080")
        #expect(cluster.disableCompression == true)
        #expect(cluster.extensions.first?.content == .object(["audience": .string("x")]))
        let user = try #require(config.user(named: "u")?.user)
        #expect(user.tokenFile == "/var/token")
        #expect(user.impersonateUserExtra == ["k": ["v"]])
        #expect(user.exec?.args == ["eks", "get-token"])
        #expect(user.exec?.env.first?.value.value == "prod")
        #expect(user.exec?.provideClusterInfo == true)
        #expect(user.exec?.interactiveMode == .never)
        #expect(config.preferences?.colors == true)
        #expect(config.extensions.first?.name == "top")
        #expect(config.context(named: "c")?.context.namespace == "ns")
    }

    @Test func base64RoundTripAndStrictness() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", String(repeating: "é", count: 100)] {
            #expect(Base64.decode(Base64.encode(Array(text.utf8))) == Array(text.utf8))
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.decode("Zm9v\nYmFy\r\n") == Array("foobar".utf8))
        #expect(Base64.decode("Zm9vYg==") == Array("foob".utf8))
        #expect(Base64.decode("Zm9vYg") == Array("foob".utf8))
        #expect(Base64.decode("Zm9v YmFy") == nil)
        #expect(Base64.decode("Zm9vY") == nil)
        #expect(Base64.decode("Zm==9v") == nil)
        #expect(Base64.decode("Zm9vYh==") == nil)
    }
}

import Foundation
import Testing
import KubeErrors
@testable import KubeConfig

/// kubectl as an oracle: the merged, minified, flattened view it prints must match what KubeKit resolves.
/// Skipped when kubectl is not installed. Servers use the never-resolving `.k8s.test` domain and kubectl
/// runs with a temporary HOME so nothing on the machine is touched.
@Suite("Parity with kubectl config view", .timeLimit(.minutes(2)))
struct KubectlParityTests {
    static let kubectl: String? = ["/usr/local/bin/kubectl", "/usr/bin/kubectl", "/bin/kubectl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    func kubectlView(kubeconfig: String, context: String?, home: String) throws -> JSONValue {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.kubectl!)
        process.arguments = ["config", "view", "--minify", "--flatten", "--raw", "-o", "json"] + (context.map { ["--context", $0] } ?? [])
        process.environment = ["KUBECONFIG": kubeconfig, "HOME": home, "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try YAMLReader.documents(in: [UInt8](data)).first?.root?.json ?? .null
    }

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed"), arguments: [nil, "prod", "dev"] as [String?])
    func mergedViewMatchesKubectl(context: String?) async throws {
        let home = try TemporaryDirectory()
        let list = "\(Fixtures.path("merge/first.yaml")):\(Fixtures.path("merge/second.yaml"))"
        let view = try kubectlView(kubeconfig: list, context: context, home: home.path)
        let configuration = try KubeconfigLoader(environment: ["KUBECONFIG": list]).load(ConfigOverrides(context: context))

        let cluster = try #require(view["clusters"]?.arrayValue?.first?["cluster"])
        #expect(cluster["server"]?.stringValue.flatMap { try? Resolver.parseServer($0, cluster: "").absoluteString }
                == configuration.server.absoluteString)
        let caData = cluster["certificate-authority-data"]?.stringValue.flatMap(Base64.decode)
        #expect(caData == configuration.certificateAuthority?.value)
        let contextEntry = try #require(view["contexts"]?.arrayValue?.first)
        #expect(contextEntry["name"]?.stringValue == configuration.contextName)
        #expect(contextEntry["context"]?["namespace"]?.stringValue ?? "default" == configuration.namespace)
        let user = view["users"]?.arrayValue?.first?["user"]
        let credentials = try await configuration.credentials.credentials()
        if case .bearer(let token)? = credentials.authorization {
            #expect(user?["token"]?.stringValue == token.value)
        } else {
            #expect(user?["token"] == nil)
        }
        #expect(user?["client-certificate-data"]?.stringValue.flatMap(Base64.decode) == credentials.clientCertificate?.certificatePEM.value)
        #expect(user?["client-key-data"]?.stringValue.flatMap(Base64.decode) == credentials.clientCertificate?.keyPEM.value)
    }
}

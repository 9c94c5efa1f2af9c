import Foundation
import Testing
import KubeErrors
@testable import KubeConfig

@Suite("Named cluster profiles", .timeLimit(.minutes(2)))
struct ClusterProfilesTests {
    func kubeconfig(server: String, namespace: String) -> String {
        """
        current-context: main
        contexts: [{name: main, context: {cluster: c, user: u, namespace: \(namespace)}}]
        clusters: [{name: c, cluster: {server: '\(server)'}}]
        users: [{name: u, user: {token: token-for-\(namespace)}}]
        """
    }

    @Test func suffixedFilesGiveEphemeralStageAndProduction() async throws {
        let home = try TemporaryDirectory()
        try home.write(".kube/config.e", kubeconfig(server: "https://ephemeral.k8s.test", namespace: "eph"))
        try home.write(".kube/config.s", kubeconfig(server: "https://stage.k8s.test", namespace: "stg"))
        try home.write(".kube/config.p", kubeconfig(server: "https://production.k8s.test", namespace: "prd"))
        let before = try FileManager.default.contentsOfDirectory(atPath: home.file(".kube")).sorted()
        // KUBECONFIG in the environment must not leak into file-based profiles.
        let profiles = ClusterProfiles.suffixedFiles(home: home.path, environment: ["KUBECONFIG": Fixtures.path("merge/first.yaml")])
        #expect(profiles.names == ["ephemeral", "stage", "production"])
        let stage = try profiles.configuration(for: "stage")
        #expect(stage.server.host == "stage.k8s.test")
        #expect(stage.namespace == "stg")
        #expect(try await stage.bearerToken() == "token-for-stg")
        let production = try profiles.configuration(for: "production", overrides: ConfigOverrides(namespace: "web"))
        #expect(production.server.host == "production.k8s.test")
        #expect(production.namespace == "web")
        #expect(production.sources == [home.file(".kube/config.p")])
        // Nothing was written next to the kubeconfigs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.file(".kube")).sorted() == before)
    }

    @Test func unknownProfileListsTheRegisteredOnes() {
        var profiles = ClusterProfiles(environment: [:])
        profiles.register("alpha", .text("kind: Config"))
        profiles.register("beta", .file("/nowhere"))
        let error = #expect(throws: KubeError.self) { try profiles.configuration(for: "gamma") }
        #expect(error?.code == .profileNotFound)
        #expect(error?.description == "no cluster profile named \"gamma\"\nRegistered profiles: alpha, beta.")
        let missing = #expect(throws: KubeError.self) { try profiles.configuration(for: "beta") }
        #expect(missing?.code == .fileNotFound)
    }

    @Test func textAndFilesSourcesAndReRegistration() throws {
        var profiles = ClusterProfiles(environment: [:])
        profiles.register("mem", .text(kubeconfig(server: "https://mem.k8s.test", namespace: "a")), namespace: "pinned")
        #expect(try profiles.configuration(for: "mem").namespace == "pinned")
        profiles.register("merged", .files([Fixtures.path("merge/second.yaml"), Fixtures.path("merge/first.yaml")]), context: "dev")
        let merged = try profiles.configuration(for: "merged")
        #expect(merged.server.host == "prod.k8s.test", "second.yaml comes first here, so its dev context wins")
        profiles.register("mem", .text(kubeconfig(server: "https://other.k8s.test", namespace: "b")))
        #expect(profiles.names == ["merged", "mem"])
        #expect(try profiles.configuration(for: "mem").server.host == "other.k8s.test")
    }
}

import Foundation
import Testing

@Suite("the small examples, run as binaries against the embedded demo cluster", .timeLimit(.minutes(2)))
struct ExampleProgramsTests {
    @Test("list-pods prints where it connected, then one line per pod")
    func listPods() throws {
        let result = try Binaries.run("list-pods", [])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "# the embedded demo cluster (no kubeconfig found; nothing leaves this process)")
        #expect(lines.count == 6)
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix("\tRunning\tfake-node") })
    }

    @Test("apply-manifest applies its built-in manifests")
    func applyManifest() throws {
        let result = try Binaries.run("apply-manifest", ["--dry-run"])
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("configmap/greeting created (server dry run)\ndeployment.apps/hello created (server dry run)\n"))
    }

    @Test("watch-deployments sees the scale it makes")
    func watchDeployments() throws {
        let result = try Binaries.run("watch-deployments", ["--seconds", "1"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("ADDED     web 3/3 ready\n"))
        #expect(result.stdout.contains("MODIFIED  web 4/4 ready\n"))
    }

    @Test("tiny-controller labels every deployment once")
    func tinyController() throws {
        let result = try Binaries.run("tiny-controller", ["--seconds", "1"])
        #expect(result.status == 0)
        let labelled = result.stdout.split(separator: "\n").filter { $0.hasPrefix("labelled") }.sorted()
        #expect(labelled == ["labelled deployment api owner=unknown", "labelled deployment web owner=unknown"])
    }

    @Test("follow-logs follows the first pod's log")
    func followLogs() throws {
        let result = try Binaries.run("follow-logs", [])
        #expect(result.status == 0)
        #expect(result.stdout.contains("# following api-"))
        #expect(result.stdout.hasSuffix("Started HTTP server on port 8080\nI1201 09:00:05.000000       1 log.go:245] GET /healthz\n"))
    }
}

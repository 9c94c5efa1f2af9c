import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("Tables as kubectl prints them", .timeLimit(.minutes(1)))
struct TableTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static func golden(_ name: String) throws -> String { try String(contentsOf: golden.appendingPathComponent(name), encoding: .utf8) }

    /// The recorded Table response (kube-apiserver v1.36.2), answering what `table()` sends.
    func pods() throws -> (ResourceClient<CoreV1.Pod>, RecordedTransport) {
        let recording = try Fixtures.recording("pods/20-list-pods-as-table")
        let transport = RecordedTransport([recording])
        return (KubeClient(transport: transport, namespace: "demo").pods(), transport)
    }

    @Test("the server's Table, printed byte for byte as kubectl 1.32 prints it (golden files made with kubectl)")
    func matchesKubectl() async throws {
        let (pods, transport) = try pods()
        let table = try await pods.table()
        #expect(table.formatted() == (try Self.golden("pods-table.txt")))
        #expect(table.formatted(wide: true) == (try Self.golden("pods-table-wide.txt")))
        #expect(table.formatted(noHeaders: true) == (try Self.golden("pods-table-no-headers.txt")))
        #expect(transport.receivedRequests.first?.headers["Accept"]
                == "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
    }

    @Test("-A puts each row's namespace first")
    func namespaces() async throws {
        let table = try await pods().0.table()
        let lines = table.formatted(showNamespace: true).split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAMESPACE   NAME                   READY") == true)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("demo        ") })
    }

    @Test("a server without a table for the kind: NAME and AGE from the list")
    func fallback() throws {
        let body = #"{"kind":"WidgetList","apiVersion":"example.com/v1","metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"w1","creationTimestamp":"2026-12-01T10:00:00Z"}}]}"#
        let now = ISO8601DateFormatter().date(from: "2026-12-01T13:05:30Z")!
        let table = try KubeTable.decode(Array(body.utf8), request: KubeRequest(path: "/apis/example.com/v1/widgets"), now: now)
        #expect(table.formatted() == "NAME   AGE\nw1     3h5m\n")
    }

    @Test("ages as kubectl's HumanDuration")
    func ages() {
        let cases: [(TimeInterval, String)] = [(-5, "<invalid>"), (-0.5, "0s"), (42, "42s"), (119, "119s"), (120, "2m"), (339, "5m39s"),
                                               (600, "10m"), (10_799, "179m"), (10_800, "3h"), (11_520, "3h12m"), (47 * 3600, "47h"),
                                               (48 * 3600, "2d"), (7 * 86_400 + 3600, "7d1h"), (30 * 86_400, "30d"),
                                               (800 * 86_400, "2y70d"), (730 * 86_400, "2y"), (9 * 365 * 86_400, "9y")]
        for (seconds, text) in cases { #expect(KubeAge.format(seconds) == text, "\(seconds)") }
    }
}

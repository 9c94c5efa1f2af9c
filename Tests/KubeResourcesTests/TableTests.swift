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
        #expect(table.resourceVersion == "9")
        // Other fields are skipped unread; one object (GET by name) is one row.
        let list = #"{"kind":"PodList","metadata":{"resourceVersion":"7","continue":"abc"},"items":[{"spec":{"containers":[{"name":"a"}]},"metadata":{"name":"p1","creationTimestamp":"2026-12-01T13:00:00Z"},"status":{"phase":"Running"}},{"metadata":{"name":"p2"}}]}"#
        let pods = try KubeTable.decode(Array(list.utf8), request: KubeRequest(path: "/api/v1/pods"), now: now)
        #expect(pods.formatted() == "NAME   AGE\np1     5m30s\np2     <unknown>\n")
        #expect(pods.continueToken == "abc")
        let one = #"{"kind":"Widget","apiVersion":"example.com/v1","metadata":{"name":"w1","creationTimestamp":"2026-12-01T13:05:00Z","resourceVersion":"5"},"spec":{"size":3}}"#
        let single = try KubeTable.decode(Array(one.utf8), request: KubeRequest(path: "/apis/example.com/v1/widgets/w1"), now: now)
        #expect(single.formatted() == "NAME   AGE\nw1     30s\n")
        #expect(single.resourceVersion == nil)
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

@Suite("the fake cluster prints tables as kube-apiserver does", .timeLimit(.minutes(1)))
struct FakeClusterTableTests {
    /// The recorded pods, deployment and service in a fake cluster whose clock reads 20 minutes after the
    /// recording.
    func cluster() throws -> FakeCluster {
        let cluster = FakeCluster(namespaces: ["demo"], now: { Date(timeIntervalSince1970: 1_795_345_789) })
        let list = try JSONDecoder().decode(JSONValue.self, from: Data(try Fixtures.recording("pods/03-list-pods").response.body.utf8))
        for item in list["items"]?.arrayValue ?? [] {
            guard var pod = item.objectValue else { continue }
            pod["kind"] = "Pod"
            pod["apiVersion"] = "v1"
            try cluster.seed(JSONValue.object(pod).jsonText)
        }
        try cluster.seed(try Fixtures.recording("deployments/01-get-deployment").response.body)
        try cluster.seed(try Fixtures.recording("apply/04-apply-service").response.body)
        return cluster
    }

    @Test("pods: ready containers, status, restarts, age; wide adds IP and node")
    func pods() async throws {
        let client = KubeClient(transport: try cluster(), namespace: "demo")
        let table = try await client.pods().table()
        #expect(table.formatted() == """
            NAME                   READY   STATUS    RESTARTS   AGE
            api-b97456c9b-5jpx9    0/1     Pending   0          20m
            api-b97456c9b-894pb    0/1     Pending   0          20m
            web-555cfbbb78-bj66h   1/1     Running   0          20m
            web-555cfbbb78-l79ph   1/1     Running   0          20m
            web-555cfbbb78-mzj7h   1/1     Running   0          20m

            """)
        let wide = try await client.pods().table().formatted(wide: true)
        #expect(wide.contains("web-555cfbbb78-bj66h   1/1     Running   0          20m   10.244.0.5   node-1   <none>           <none>\n"))
    }

    @Test("deployments, services and one object by name")
    func others() async throws {
        let client = KubeClient(transport: try cluster(), namespace: "demo")
        #expect(try await client.deployments().table().formatted() == "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    3/3     3            3           20m\n")
        #expect(try await client.resources(CoreV1.Service.self).table().formatted(wide: true)
                == "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE   SELECTOR\nweb    ClusterIP   10.0.0.172   <none>        80/TCP    16m   app=web\n")
        #expect(try await client.pods().table("web-555cfbbb78-bj66h").rows.count == 1)
    }
}

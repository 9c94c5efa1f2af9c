import Foundation
import Testing
import KubeConfig
@testable import KubeResources

/// The generated models against objects recorded from kube-apiserver v1.36.2.
@Suite("Generated models decode and round-trip real API objects", .timeLimit(.minutes(2)))
struct ModelTests {
    func body(_ file: String) throws -> Data {
        Data(try Fixtures.body(String(file.dropLast(".json".count))).utf8)
    }

    func json(_ data: Data) throws -> JSONValue {
        try YAMLReader.documents(in: [UInt8](data)).first?.root?.json ?? .null
    }

    /// Decodes `file` as `T`, encodes it again and checks the JSON is the server's JSON.
    func roundTrip<T: Codable>(_ type: T.Type, _ file: String) throws -> T {
        let original = try body(file)
        let value = try JSONDecoder().decode(T.self, from: original)
        let encoded = try JSONEncoder().encode(value)
        let expected = try json(original)
        let actual = try json(encoded)
        let differences = Self.difference(expected, actual)
        #expect(differences.isEmpty, "\(file) does not round-trip:\n\(differences.prefix(8).joined(separator: "\n"))")
        return value
    }

    static func difference(_ expected: JSONValue, _ actual: JSONValue, path: String = "") -> [String] {
        switch (expected, actual) {
        case (.object(let left), .object(let right)):
            var lines: [String] = []
            for key in Set(left.keys).union(right.keys).sorted() {
                lines += difference(left[key] ?? .null, right[key] ?? .null, path: "\(path).\(key)")
            }
            return lines
        case (.array(let left), .array(let right)) where left.count == right.count:
            return zip(left, right).enumerated().flatMap { difference($0.element.0, $0.element.1, path: "\(path)[\($0.offset)]") }
        default:
            return expected == actual ? [] : ["\(path): expected \(expected.jsonText.prefix(120)), got \(actual.jsonText.prefix(120))"]
        }
    }

    @Test(arguments: ["pods/01-get-running-pod.json", "pods/02-get-pending-pod.json", "pods/11-delete-pod.json"])
    func pods(file: String) throws {
        let pod = try roundTrip(CoreV1.Pod.self, file)
        #expect(pod.kind == "Pod")
        #expect(pod.metadata?.namespace == "demo")
        #expect(pod.spec?.containers?.isEmpty == false)
    }

    @Test func runningPodDetails() throws {
        let pod = try roundTrip(CoreV1.Pod.self, "pods/01-get-running-pod.json")
        #expect(pod.status?.phase == "Running")
        #expect(pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true)
        #expect(pod.metadata?.creationTimestamp.map { $0.description.hasSuffix("Z") } == true)
        #expect(pod.metadata?.managedFields?.contains { $0.manager == "kubelet" } == true)
    }

    @Test(arguments: ["pods/03-list-pods.json", "pods/05-list-pods-limit-page1.json", "pods/08-list-pods-all-namespaces.json"])
    func podLists(file: String) throws {
        let list = try roundTrip(CoreV1.PodList.self, file)
        #expect(list.items?.isEmpty == false)
    }

    @Test func continueTokenAndRemainingCount() throws {
        let page = try roundTrip(CoreV1.PodList.self, "pods/05-list-pods-limit-page1.json")
        #expect(page.metadata?.continue?.isEmpty == false)
        #expect(page.metadata?.remainingItemCount == 3)
        #expect(page.items?.count == 2)
    }

    @Test func deployments() throws {
        let deployment = try roundTrip(AppsV1.Deployment.self, "deployments/01-get-deployment.json")
        #expect(deployment.spec?.replicas == 3)
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge == .string("25%"))
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge?.scaled(total: 3) == 1)
        _ = try roundTrip(AppsV1.DeploymentList.self, "deployments/02-list-deployments.json")
        _ = try roundTrip(AppsV1.ReplicaSetList.self, "deployments/09-list-replicasets-label-selector.json")
        let scale = try roundTrip(AutoscalingV1.Scale.self, "deployments/03-get-scale.json")
        #expect(scale.spec?.replicas == 3)
    }

    @Test func coreAndEventsV1Events() throws {
        let core = try roundTrip(CoreV1.EventList.self, "events/01-list-core-events.json")
        #expect(core.items?.isEmpty == false)
        let events = try roundTrip(EventsV1.EventList.self, "events/04-list-events-v1.json")
        #expect(events.items?.contains { $0.eventTime != nil } == true)
        _ = try roundTrip(EventsV1.EventList.self, "events/03-list-events-v1-for-deployment.json")
    }

    @Test func appliedObjects() throws {
        _ = try roundTrip(CoreV1.ConfigMap.self, "apply/01-apply-configmap-create.json")
        let service = try roundTrip(CoreV1.Service.self, "apply/04-apply-service.json")
        #expect(service.spec?.clusterIP?.isEmpty == false)
        #expect(service.spec?.ports?.first?.targetPort != nil)
    }

    @Test func encodingLeavesOutNilFields() throws {
        let pod = CoreV1.Pod(apiVersion: "v1", kind: "Pod", metadata: MetaV1.ObjectMeta(name: "web-0", namespace: "demo"),
                             spec: CoreV1.PodSpec(containers: [CoreV1.Container(image: "nginx:1.27", name: "web")]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(pod), as: UTF8.self)
        #expect(text == #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"demo"},"spec":{"containers":[{"image":"nginx:1.27","name":"web"}]}}"#)
        #expect(!text.contains("null"))
    }

    @Test func intOrStringKeepsItsJSONType() throws {
        let ports = try JSONDecoder().decode([CoreV1.ServicePort].self, from: Data(#"[{"port":80,"targetPort":"80"},{"port":81,"targetPort":8081},{"port":82,"targetPort":"http"}]"#.utf8))
        #expect(ports.map(\.targetPort) == [.string("80"), .int(8081), .string("http")])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(ports), as: UTF8.self)
                == #"[{"port":80,"targetPort":"80"},{"port":81,"targetPort":8081},{"port":82,"targetPort":"http"}]"#)
        #expect(IntOrString.string("25%").scaled(total: 10) == 3)
        #expect(IntOrString.string("25%").scaled(total: 10, roundUp: false) == 2)
    }

    @Test func quantities() {
        #expect(Quantity("500m").value == 0.5)
        #expect(Quantity("128Mi").value == 134_217_728)
        #expect(Quantity("1.5").value == 1.5)
        #expect(Quantity("2e3").value == 2000)
        #expect(Quantity("1k").value == 1000)
        #expect(Quantity("250m").milliValue == 250)
        #expect(Quantity("2").milliValue == 2000)
        #expect(Quantity("lots").value == nil)
        #expect(Quantity("100Mi").description == "100Mi")
    }

    @Test func timesKeepTheirWireFormat() throws {
        let time = try #require(Time(rfc3339: "2026-11-22T10:53:47Z"))
        #expect(time.secondsSinceEpoch == 1_795_344_827)
        #expect(time.description == "2026-11-22T10:53:47Z")
        #expect(Time(rfc3339: "2026-11-22T11:53:47+01:00") == time)
        #expect(Time(rfc3339: "2026-11-22T10:53:47.999Z")?.description == "2026-11-22T10:53:47Z")
        let micro = try #require(MicroTime(rfc3339: "2026-11-22T10:53:47.123456Z"))
        #expect(micro.nanoseconds == 123_456_000)
        #expect(micro.description == "2026-11-22T10:53:47.123456Z")
        #expect(MicroTime(rfc3339: "2026-11-22T10:53:47Z")?.description == "2026-11-22T10:53:47.000000Z")
        #expect(Time(rfc3339: "1969-12-31T23:59:59Z")?.secondsSinceEpoch == -1)
        #expect(Time(rfc3339: "1969-12-31T23:59:59Z")?.description == "1969-12-31T23:59:59Z")
        for bad in ["2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T10:53:47", "2026-11-22T10:53:47.Z", "yesterday"] {
            #expect(Time(rfc3339: bad) == nil, "\(bad)")
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Time.self, from: Data(#""soon""#.utf8)) }
    }

    @Test func resourceMetadataComesFromTheSpec() {
        #expect(CoreV1.Pod.apiVersion == "v1")
        #expect(CoreV1.Pod.plural == "pods")
        #expect(CoreV1.Pod.isNamespaced)
        #expect(AppsV1.Deployment.apiVersion == "apps/v1")
        #expect(CoreV1.Namespace.isNamespaced == false)
        #expect(EventsV1.Event.apiVersion == "events.k8s.io/v1")
        #expect(RBACV1.ClusterRole.plural == "clusterroles")
        #expect(!RBACV1.ClusterRole.isNamespaced)
        #expect(CoreV1.Pod.collectionPath(namespace: "demo") == "/api/v1/namespaces/demo/pods")
        #expect(AppsV1.Deployment.collectionPath(namespace: nil) == "/apis/apps/v1/deployments")
        #expect(CoreV1.Node.collectionPath(namespace: "ignored") == "/api/v1/nodes")
    }
}

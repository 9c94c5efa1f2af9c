import Foundation
import Testing
import KubeConfig
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("describe as kubectl prints it", .timeLimit(.minutes(1)))
struct DescribeTests {
    @Test("a ConfigMap, byte for byte as kubectl 1.32 describes the recorded object (golden file made with kubectl)")
    func configMap() async throws {
        let recording = try Fixtures.recording("apply/03-apply-configmap-changed")
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed(recording.response.body)
        let text = try await KubeClient(transport: cluster, namespace: "demo").resources(CoreV1.ConfigMap.self).describe("app-config")
        #expect(text == (try TableTests.golden("configmap-describe.txt")))
    }

    @Test("labels and annotations on several lines; events as a table with ages")
    func sections() throws {
        let now = Date(timeIntervalSince1970: 1_764_590_400)
        #expect(KubeDescribe.tabulate(KubeDescribe.multiline("Labels", ["b": "2", "a": "1"]) + KubeDescribe.multiline("Annotations", nil))
                == "Labels:       a=1\n              b=2\nAnnotations:  <none>\n")
        var event = CoreV1.Event(involvedObject: CoreV1.ObjectReference(), metadata: MetaV1.ObjectMeta())
        event.type = "Normal"
        event.reason = "Pulled"
        event.message = "Container image pulled"
        event.source = CoreV1.EventSource(component: "kubelet")
        event.count = 3
        event.firstTimestamp = Time(secondsSinceEpoch: 1_764_590_400 - 600, nanoseconds: 0)
        event.lastTimestamp = Time(secondsSinceEpoch: 1_764_590_400 - 42, nanoseconds: 0)
        #expect(KubeDescribe.tabulate(KubeDescribe.describeEvents([event], now: now)) == """
            Events:
              Type    Reason  Age                From     Message
              ----    ------  ----               ----     -------
              Normal  Pulled  42s (x3 over 10m)  kubelet  Container image pulled

            """)
    }
}

extension DescribeTests {
    @Test("a Namespace with a resource quota, byte for byte as kubectl 1.32 describes it (golden file made with kubectl)")
    func namespace() async throws {
        let cluster = FakeCluster(namespaces: [])
        try cluster.seed(#"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"demo","labels":{"kubernetes.io/metadata.name":"demo","team":"shop"},"annotations":{"owner":"platform"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#)
        try cluster.seed(#"{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"compute","namespace":"demo"},"spec":{"hard":{"pods":"10","requests.cpu":"4"}},"status":{"hard":{"pods":"10","requests.cpu":"4"},"used":{"pods":"5","requests.cpu":"1500m"}}}"#)
        let text = try await KubeClient(transport: cluster).resources(CoreV1.Namespace.self).describe("demo")
        #expect(text == (try TableTests.golden("namespace-describe.txt")))
    }

    @Test("a namespace without quotas or limit ranges says so; limit ranges are listed per type and resource")
    func namespaceSections() throws {
        let namespace = CoreV1.Namespace(metadata: MetaV1.ObjectMeta(name: "empty"), status: CoreV1.NamespaceStatus(phase: "Active"))
        #expect(KubeDescribe.namespace(namespace, quotas: [], limitRanges: []) == """
            Name:         empty
            Labels:       <none>
            Annotations:  <none>
            Status:       Active

            No resource quota.

            No LimitRange resource.

            """)
        let limits = CoreV1.LimitRange(metadata: MetaV1.ObjectMeta(name: "defaults"), spec: CoreV1.LimitRangeSpec(limits: [
            CoreV1.LimitRangeItem(default: ["cpu": Quantity("200m")], defaultRequest: ["cpu": Quantity("100m")], type: "Container"),
        ]))
        let text = KubeDescribe.namespace(namespace, quotas: [], limitRanges: [limits])
        #expect(text.contains("Resource Limits\n Type       Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio\n"))
        #expect(text.contains(" Container  cpu       -    -    100m             200m           -\n"))
    }
}

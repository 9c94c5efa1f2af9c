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
        #expect(KubeDescribe.tabulate(KubeDescribe.describeEvents([event], options: KubeDescribe.Options(now: now))) == """
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

/// The golden describe files were printed by kubectl 1.32 (TZ=UTC) against `kubekit-bench serve-exec`, which
/// serves these same recorded objects, at this moment: ages are measured from it.
private let goldenOptions = KubeDescribe.Options(now: Date(timeIntervalSince1970: 1_796_134_629), timeZone: TimeZone(identifier: "UTC")!)

/// A fake cluster holding the recorded demo namespace: pods, the web deployment, its replica sets, the web
/// service with an endpoint slice, node-1 with its lease, and every recorded core event.
private func recordedCluster() throws -> FakeCluster {
    let cluster = FakeCluster(namespaces: ["demo", "kube-node-lease"])
    func seedItems(_ name: String, kind: String, apiVersion: String) throws {
        let list = try JSONDecoder().decode(JSONValue.self, from: Data(try Fixtures.recording(name).response.body.utf8))
        for item in list["items"]?.arrayValue ?? [] {
            guard var object = item.objectValue else { continue }
            object["kind"] = .string(kind)
            object["apiVersion"] = .string(apiVersion)
            try cluster.seed(JSONValue.object(object).jsonText)
        }
    }
    try seedItems("pods/03-list-pods", kind: "Pod", apiVersion: "v1")
    try seedItems("deployments/09-list-replicasets-label-selector", kind: "ReplicaSet", apiVersion: "apps/v1")
    try seedItems("events/01-list-core-events", kind: "Event", apiVersion: "v1")
    try cluster.seed(try Fixtures.recording("deployments/01-get-deployment").response.body)
    try cluster.seed(try Fixtures.recording("apply/04-apply-service").response.body)
    try cluster.seed(try Fixtures.text("describe/node-1.json"))
    try cluster.seed(#"{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"node-1","namespace":"kube-node-lease"},"spec":{"holderIdentity":"node-1","leaseDurationSeconds":40,"renewTime":"2026-11-22T10:55:03.123456Z"}}"#)
    try cluster.seed(#"{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-x7k2p","namespace":"demo","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.0.5"],"conditions":{"ready":true}},{"addresses":["10.244.0.6"],"conditions":{"ready":true}},{"addresses":["10.244.0.9"],"conditions":{"ready":false}}],"ports":[{"name":"http","port":80,"protocol":"TCP"}]}"#)
    return cluster
}

extension DescribeTests {
    @Test("a Pod with its events, byte for byte as kubectl 1.32 describes the recorded pod")
    func pod() async throws {
        let client = KubeClient(transport: try recordedCluster(), namespace: "demo")
        let text = try await client.resources(CoreV1.Pod.self).describe("web-555cfbbb78-bj66h", options: goldenOptions)
        #expect(text == (try TableTests.golden("pod-describe.txt")))
    }

    @Test("a pending Pod (no node, no IPs, args, a scheduling warning dated by its eventTime), byte for byte as kubectl 1.32")
    func pendingPod() async throws {
        let client = KubeClient(transport: try recordedCluster(), namespace: "demo")
        let text = try await client.resources(CoreV1.Pod.self).describe("api-b97456c9b-5jpx9", options: goldenOptions)
        #expect(text == (try TableTests.golden("pod-pending-describe.txt")))
    }

    @Test("a Deployment with its old and new replica sets and events, byte for byte as kubectl 1.32")
    func deployment() async throws {
        let client = KubeClient(transport: try recordedCluster(), namespace: "demo")
        let text = try await client.resources(AppsV1.Deployment.self).describe("web", options: goldenOptions)
        #expect(text == (try TableTests.golden("deployment-describe.txt")))
    }

    @Test("a ReplicaSet with its pods' phases and events, byte for byte as kubectl 1.32")
    func replicaSet() async throws {
        let client = KubeClient(transport: try recordedCluster(), namespace: "demo")
        let text = try await client.resources(AppsV1.ReplicaSet.self).describe("web-555cfbbb78", options: goldenOptions)
        #expect(text == (try TableTests.golden("replicaset-describe.txt")))
    }

    @Test("a Service with its ready endpoints from EndpointSlices, byte for byte as kubectl 1.32")
    func service() async throws {
        let client = KubeClient(transport: try recordedCluster(), namespace: "demo")
        let text = try await client.resources(CoreV1.Service.self).describe("web", options: goldenOptions)
        #expect(text == (try TableTests.golden("service-describe.txt")))
    }

    @Test("a Node with its lease, pods, allocated resources, byte for byte as kubectl 1.32")
    func node() async throws {
        let client = KubeClient(transport: try recordedCluster(), namespace: "demo")
        let text = try await client.resources(CoreV1.Node.self).describe("node-1", options: goldenOptions)
        #expect(text == (try TableTests.golden("node-describe.txt")))
    }
}

extension DescribeTests {
    @Test("an Event through kubectl's generic layout (Title Case labels, nested sections, nulls), byte for byte as kubectl 1.32")
    func event() async throws {
        let list = try JSONDecoder().decode(JSONValue.self, from: Data(try Fixtures.recording("events/01-list-core-events").response.body.utf8))
        guard var event = list["items"]?.arrayValue?.first(where: { $0["metadata"]?["name"] == "web-555cfbbb78-bj66h.18ea5864ba842000" })?.objectValue else {
            Issue.record("the recorded event is missing")
            return
        }
        event["kind"] = "Event"
        event["apiVersion"] = "v1"
        #expect(KubeDescribe.generic(.object(event), events: [], options: goldenOptions) == (try TableTests.golden("event-describe.txt")))
        // Through the client: the server's JSON as it is (the fake cluster gave it a resourceVersion of its own).
        let client = KubeClient(transport: try recordedCluster(), namespace: "demo")
        let text = try await client.events(in: "demo").describe("web-555cfbbb78-bj66h.18ea5864ba842000", options: goldenOptions)
        #expect(text.hasPrefix("Name:             web-555cfbbb78-bj66h.18ea5864ba842000\nNamespace:        demo\n"))
        #expect(text.contains("Event Time:       <nil>\n"))
        #expect(text.hasSuffix("Type:         Normal\nEvents:       <none>\n"))
    }

    @Test("the generic layout: labels as kubectl makes them from keys, arrays item by item, managed fields left out")
    func generic() throws {
        #expect(KubeDescribe.smartLabel("creationTimestamp") == "Creation Timestamp")
        #expect(KubeDescribe.smartLabel("apiVersion") == "API Version")
        #expect(KubeDescribe.smartLabel("uid") == "UID")
        #expect(KubeDescribe.smartLabel("podCIDRs") == "Pod CID Rs")
        #expect(KubeDescribe.smartLabel("x.y/z") == "x.y/z")
        let object: JSONValue = [
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": ["name": "w1", "namespace": "demo", "labels": ["app": "web"], "managedFields": [["manager": "x"]]],
            "spec": ["size": 3, "ports": [80, 443], "enabled": true],
        ]
        #expect(KubeDescribe.generic(object, events: []) == """
            Name:         w1
            Namespace:    demo
            Labels:       app=web
            Annotations:  <none>
            API Version:  example.com/v1
            Kind:         Widget
            Metadata:
            Spec:
              Enabled:  true
              Ports:
                80
                443
              Size:  3
            Events:  <none>

            """)
    }
}

extension DescribeTests {
    @Test("container states, environment references and resource sums as kubectl prints them")
    func containerDetails() throws {
        let options = KubeDescribe.Options(now: Date(timeIntervalSince1970: 1_800_000_000), timeZone: TimeZone(identifier: "UTC")!)
        let terminated = CoreV1.ContainerState(terminated: CoreV1.ContainerStateTerminated(
            exitCode: 137, finishedAt: Time(secondsSinceEpoch: 1_799_999_900), reason: "OOMKilled", startedAt: Time(secondsSinceEpoch: 1_799_999_000)))
        #expect(KubeDescribe.state("Last State", terminated, options: options) == """
                Last State:\tTerminated
                  Reason:\tOOMKilled
                  Exit Code:\t137
                  Started:\tFri, 15 Jan 2027 07:43:20 +0000
                  Finished:\tFri, 15 Jan 2027 07:58:20 +0000

            """)
        let waiting = CoreV1.ContainerState(waiting: CoreV1.ContainerStateWaiting(reason: "CrashLoopBackOff"))
        #expect(KubeDescribe.state("State", waiting, options: options) == "    State:\tWaiting\n      Reason:\tCrashLoopBackOff\n")
        let environment = KubeDescribe.environment([
            CoreV1.EnvVar(name: "PASSWORD", valueFrom: CoreV1.EnvVarSource(secretKeyRef: CoreV1.SecretKeySelector(key: "password", name: "db"))),
            CoreV1.EnvVar(name: "POD", valueFrom: CoreV1.EnvVarSource(fieldRef: CoreV1.ObjectFieldSelector(fieldPath: "metadata.name"))),
        ])
        #expect(environment == """
                Environment:
                  PASSWORD:\t<set to the key 'password' in secret 'db'>\tOptional: false
                  POD:\t (v1:metadata.name)

            """)
        var sum = KubeDescribe.ResourceSum()
        #expect(sum.description == "0")
        sum.add(Quantity("100m"))
        sum.add(Quantity("1400m"))
        #expect(sum.description == "1500m")
        var memory = KubeDescribe.ResourceSum(Quantity("64Mi"))
        memory.add(Quantity("128Mi"))
        #expect(memory.description == "192Mi")
        #expect(KubeDescribe.ResourceSum(Quantity("2")).description == "2")
        #expect(KubeDescribe.ResourceSum(Quantity("3000")).description == "3k")
    }
}

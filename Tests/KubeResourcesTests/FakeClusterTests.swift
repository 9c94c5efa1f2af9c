import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeRuntime
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("FakeCluster: an in-memory API server", .timeLimit(.minutes(1)))
struct FakeClusterTests {
    static let fixedNow = Date(timeIntervalSince1970: 1_764_000_000)

    func cluster() throws -> FakeCluster {
        let cluster = FakeCluster(namespaces: ["default", "demo"], now: { Self.fixedNow })
        try cluster.seed("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: app-config, namespace: demo, labels: {app: web}}
            data: {LOG_LEVEL: warn}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: demo, labels: {app: web, tier: front}}
            spec: {nodeName: n1, containers: [{name: nginx, image: nginx}]}
            status: {phase: Running}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: db-1, namespace: demo, labels: {app: db}}
            spec: {nodeName: n2, containers: [{name: pg, image: postgres}]}
            status: {phase: Pending}
            """)
        return cluster
    }

    @Test("create sets uid, resourceVersion, generation, creationTimestamp; generateName picks a name")
    func create() async throws {
        let cluster = try cluster()
        let before = cluster.resourceVersion
        let client = KubeClient(transport: cluster, namespace: "demo", tier: .write)
        var deployment = AppsV1.Deployment(apiVersion: "apps/v1", kind: "Deployment", metadata: MetaV1.ObjectMeta(generateName: "web-"),
                                           spec: AppsV1.DeploymentSpec(selector: MetaV1.LabelSelector(matchLabels: ["app": "web"]),
                                                                       template: CoreV1.PodTemplateSpec()))
        let created = try await client.deployments().create(deployment)
        let name = try #require(created.metadata?.name)
        #expect(name.hasPrefix("web-") && name.count == 9)
        #expect(created.metadata?.uid?.count == 36)
        #expect(created.metadata?.resourceVersion == String(before + 1))
        #expect(created.metadata?.generation == 1)
        #expect(created.metadata?.creationTimestamp?.description == "2025-11-24T16:00:00Z")
        // A spec change bumps the generation; a label change does not.
        deployment = created
        deployment.metadata?.labels = ["x": "y"]
        #expect(try await client.deployments().replace(deployment).metadata?.generation == 1)
        var scaled = try await client.deployments().get(name)
        scaled.spec?.replicas = 3
        #expect(try await client.deployments().replace(scaled).metadata?.generation == 2)
    }

    @Test("lists filter by label and field selectors")
    func selectors() async throws {
        let pods = KubeClient(transport: try cluster(), namespace: "demo").pods()
        func names(_ options: ListOptions) async throws -> [String] { try await pods.list(options).items.compactMap(\.metadata?.name) }
        #expect(try await names(ListOptions()) == ["db-1", "web-1"])
        #expect(try await names(ListOptions(labelSelector: .equals("app", "web"))) == ["web-1"])
        #expect(try await names(ListOptions(labelSelector: LabelSelector.in("app", ["web", "db"]).exists("tier"))) == ["web-1"])
        #expect(try await names(ListOptions(labelSelector: LabelSelector.notIn("app", ["web"]))) == ["db-1"])
        #expect(try await names(ListOptions(fieldSelector: .equals("status.phase", "Pending"))) == ["db-1"])
        #expect(try await names(ListOptions(fieldSelector: .equals("metadata.name", "web-1"))) == ["web-1"])
        let error = await #expect(throws: KubeError.self) { _ = try await names(ListOptions(fieldSelector: .equals("spec.bogus", "x"))) }
        #expect(error?.message == "field label not supported: spec.bogus")
    }

    @Test("merge, JSON and strategic merge patches")
    func patches() async throws {
        let cluster = try cluster()
        let maps = KubeClient(transport: cluster, namespace: "demo", tier: .write).resources(CoreV1.ConfigMap.self)
        let merged = try await maps.patch("app-config", .merge(.object(["data": .object(["LOG_LEVEL": .null, "MODE": "fast"])])))
        #expect(merged.data == ["MODE": "fast"])
        let patched = try await maps.patch("app-config", .json([.add("/data/EXTRA", .string("1")), .replace("/data/MODE", .string("slow")),
                                                                         .copy(from: "/data/MODE", to: "/data/COPY"), .move(from: "/data/EXTRA", to: "/data/MOVED")]))
        #expect(patched.data == ["MODE": "slow", "COPY": "slow", "MOVED": "1"])
        // Strategic merge: lists merge by the spec's merge keys.
        #expect(try await maps.patch("app-config", .strategicMerge(.object(["data": .object(["A": "b"])]))).data?["A"] == "b")
        let pods = KubeClient(transport: cluster, namespace: "demo", tier: .write).pods()
        let patchedPod = try await pods.patch("web-1", .strategicMerge(.object(["metadata": .object(["finalizers": .array(["example.com/b"])]),
                                                                                "spec": .object(["containers": .array([.object(["name": "sidecar", "image": "envoy"])])])])))
        #expect(patchedPod.spec?.containers?.map(\.name) == ["nginx", "sidecar"])   // merged by name, nginx kept
        #expect(patchedPod.spec?.containers?.first?.image == "nginx")
        #expect(patchedPod.metadata?.finalizers == ["example.com/b"])
    }

    @Test("strategic merge: kubectl set image, env merged by name, $patch delete, finalizers as a set; 415 for custom resources")
    func strategicMerge() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: demo, finalizers: [a]}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - {name: nginx, image: "nginx:1.27", ports: [{containerPort: 80}], env: [{name: MODE, value: slow}, {name: LOG, value: info}]}
                  - {name: sidecar, image: envoy}
            """)
        let deployments = KubeClient(transport: cluster, namespace: "demo", tier: .write).deployments()
        let patched = try await deployments.patch("web", .strategicMerge(.object([
            "metadata": .object(["finalizers": .array(["b", "a"])]),
            "spec": .object(["template": .object(["spec": .object(["containers": .array([
                .object(["name": "nginx", "image": "nginx:1.28", "env": .array([.object(["name": "MODE", "value": "fast"])])]),
                .object(["name": "sidecar", "$patch": "delete"]),
            ])])])]),
        ])))
        let containers = patched.spec?.template?.spec?.containers ?? []
        #expect(containers.map(\.name) == ["nginx"])
        #expect(containers.first?.image == "nginx:1.28")
        #expect(containers.first?.ports?.first?.containerPort == 80)
        #expect(containers.first?.env?.map { "\($0.name ?? "")=\($0.value ?? "")" } == ["MODE=fast", "LOG=info"])
        #expect(patched.metadata?.finalizers == ["a", "b"])
        #expect(patched.metadata?.generation == 2)
    }

    /// Sends a recorded request to the fake and compares the answer with the recorded one: status code and
    /// Status body as JSON.
    func replay(_ name: String, on cluster: FakeCluster) async throws {
        let recording = try Fixtures.recording(name)
        var request = recording.kubeRequest
        for (header, value) in recording.request.headers where header.lowercased() == "content-type" { request.headers.add(header, value) }
        do {
            let (response, _) = try await cluster.data(for: request)
            Issue.record("\(name): expected \(recording.response.status), got \(response.status)")
        } catch let error as KubeError {
            #expect(error.httpStatusCode == recording.response.status, "\(name)")
            let recorded = try Fixtures.json(recording.response.body)
            let answered = try error.status.map { try Fixtures.json(Array(JSONEncoder().encode($0))) } ?? nil
            #expect(answered == recorded, "\(name)")
        }
    }

    @Test("errors carry the real server's Status, compared with the recorded exchanges")
    func errorsMatchRecordings() async throws {
        let cluster = try cluster()
        try cluster.seed(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-f9cfb4c88-2bhrx","namespace":"demo"},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}"#)
        for name in ["errors/01-404-not-found", "errors/02-404-namespace-not-found", "errors/04-409-already-exists",
                     "errors/05-409-conflict-stale-resource-version", "errors/18-415-unsupported-media-type"] {
            try await replay(name, on: cluster)
        }
    }

    @Test("watch from a version replays what came after it, then goes on live; a compacted version is 410")
    func watch() async throws {
        let cluster = try cluster()
        let client = KubeClient(transport: cluster, namespace: "demo", tier: .write)
        let start = cluster.resourceVersion
        _ = try await client.pods().delete("db-1")
        var stream = try await client.pods().watchStream(WatchOptions(resourceVersion: String(start), timeoutSeconds: 30)).makeAsyncIterator()
        guard case .deleted(let deleted)? = try await stream.next() else { Issue.record("expected the delete"); return }
        #expect(deleted.metadata?.name == "db-1")
        _ = try await client.resources(CoreV1.ConfigMap.self).delete("app-config")   // another kind: not seen
        var pod = try await client.pods().get("web-1")
        pod.metadata?.labels?["tier"] = "back"
        _ = try await client.pods().replace(pod)
        guard case .modified(let modified)? = try await stream.next() else { Issue.record("expected the change"); return }
        #expect(modified.metadata?.labels?["tier"] == "back")
        cluster.compact()
        let error = await #expect(throws: KubeError.self) {
            var old = try await client.pods().watchStream(WatchOptions(resourceVersion: String(start))).makeAsyncIterator()
            _ = try await old.next()
        }
        #expect(error?.isGoneOrExpired == true)
        #expect(error?.message.hasPrefix("too old resource version: \(start)") == true)
    }

    @Test("an informer on the fake cluster: live events, then a restart onto a compacted history re-lists and sends the difference")
    func informerAcrossCompaction() async throws {
        let cluster = try cluster()
        let client = KubeClient(transport: cluster, namespace: "demo", tier: .write)
        let informer = Informer(client.pods(), clock: RecordingClock())
        let running = Task { try await informer.run() }
        await informer.waitForSync()
        var events = informer.events.makeAsyncIterator()
        var initial: Set<String> = []
        for _ in 0..<2 { if case .added(let pod)? = await events.next() { initial.insert(pod.metadata?.name ?? "") } }
        #expect(initial == ["db-1", "web-1"])

        try cluster.seed(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api-1","namespace":"demo"},"spec":{"containers":[]}}"#)
        guard case .added(let added)? = await events.next() else { Issue.record("expected api-1"); return }
        #expect(added.metadata?.name == "api-1")

        // Changes while the watch is down, then the history is compacted and the server drops the watch:
        // the informer's resume hits 410, re-lists, and reports just the difference.
        cluster.compact()
        _ = try await client.pods().delete("db-1")
        cluster.compact()
        cluster.dropWatches()
        guard case .deleted(let gone)? = await events.next() else { Issue.record("expected db-1 deleted after the re-list"); return }
        #expect(gone.metadata?.name == "db-1")
        #expect(Set(informer.store.keys) == ["demo/web-1", "demo/api-1"])
        running.cancel()
    }
}

@Suite("FakeCluster: discovery, custom resources, paging, subresources, faults", .timeLimit(.minutes(1)))
struct FakeClusterFeatureTests {
    func cluster() throws -> FakeCluster {
        let cluster = FakeCluster(namespaces: ["default", "demo"])
        try cluster.seed((1...7).map { #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-\#($0)","namespace":"demo"}}"# }.joined(separator: "\n---\n"))
        try cluster.seed("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: demo}
            spec: {replicas: 2, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: nginx}]}}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: demo}
            spec: {containers: [{name: a, image: nginx}]}
            """)
        return cluster
    }

    @Test("a CustomResourceDefinition makes its kind servable, found through aggregated discovery")
    func customResources() async throws {
        let cluster = try cluster()
        try cluster.seed("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.com}
            spec:
              group: example.com
              scope: Namespaced
              names: {plural: widgets, singular: widget, kind: Widget}
              versions: [{name: v1, served: true, storage: true}]
            """)
        let client = KubeClient(transport: cluster, namespace: "demo", tier: .write)
        let widgets = try await client.dynamic(apiVersion: "example.com/v1", kind: "Widget")
        let widget = try DynamicObject(json: .object(["apiVersion": "example.com/v1", "kind": "Widget",
                                                      "metadata": .object(["name": "w1"]), "spec": .object(["size": 3])]))
        _ = try await widgets.create(widget)
        #expect(try await widgets.list().items.compactMap(\.metadata?.name) == ["w1"])
        // Custom resources have no merge keys: the server refuses strategic merge for them.
        let refused = await #expect(throws: KubeError.self) { _ = try await widgets.patch("w1", .strategicMerge(.object(["spec": .object(["size": 4])]))) }
        #expect(refused?.statusCode == 415)
        #expect(cluster.receivedRequests.map(\.target).contains("/apis"))
    }

    @Test("limit and continue page through a list; a token older than a compaction is 410 with the server's message")
    func paging() async throws {
        let cluster = try cluster()
        let maps = KubeClient(transport: cluster, namespace: "demo").resources(CoreV1.ConfigMap.self)
        let first = try await maps.list(ListOptions(limit: 3))
        #expect(first.items.compactMap(\.metadata?.name) == ["cm-1", "cm-2", "cm-3"])
        #expect(first.metadata.remainingItemCount == 4)
        var names: [String] = []
        for try await item in maps.listAll(ListOptions(limit: 3)) { names.append(item.metadata?.name ?? "") }
        #expect(names == (1...7).map { "cm-\($0)" })
        let token = try #require(first.metadata.continue)
        // A write after the first page, then a compaction past the page's version (as etcd compacts).
        try cluster.seed(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-8","namespace":"demo"}}"#)
        cluster.compact()
        let error = await #expect(throws: KubeError.self) { _ = try await maps.list(ListOptions(limit: 3, continueToken: token)) }
        #expect(error?.isGoneOrExpired == true)
        #expect(error?.status?.message?.hasPrefix("The provided continue parameter is too old to display a consistent list result.") == true)
    }

    @Test("scale, status and log subresources; eviction deletes")
    func subresources() async throws {
        let cluster = try cluster()
        let client = KubeClient(transport: cluster, namespace: "demo", tier: .write)
        #expect(try await client.deployments().getScale("web").spec?.replicas == 2)
        #expect(try await client.deployments().scale("web", replicas: 5).spec?.replicas == 5)
        #expect(try await client.deployments().get("web").spec?.replicas == 5)
        var deployment = try await client.deployments().get("web")
        deployment.status = AppsV1.DeploymentStatus(readyReplicas: 5, replicas: 5)
        deployment.spec?.replicas = 9   // ignored by /status
        let updated = try await client.deployments().replaceStatus(deployment)
        #expect(updated.status?.readyReplicas == 5 && updated.spec?.replicas == 5)
        cluster.setLog("line 1\nline 2\n", pod: "web-1", namespace: "demo")
        #expect(try await client.pods().logs("web-1") == "line 1\nline 2\n")
        try await client.pods().evict("web-1")
        await #expect(throws: KubeError.self) { _ = try await client.pods().get("web-1") }
    }

    @Test("injected faults fail the next matching requests, then the cluster answers again")
    func faults() async throws {
        let cluster = try cluster()
        let maps = KubeClient(transport: cluster, namespace: "demo").resources(CoreV1.ConfigMap.self)
        cluster.failNext(2, where: { $0.path.hasSuffix("/cm-1") }, with: .status(503, reason: "ServiceUnavailable", message: "etcd is slow"))
        cluster.failNext(with: .transport("connection reset by peer"))
        let transport = await #expect(throws: KubeError.self) { _ = try await maps.get("cm-2") }
        #expect(transport?.code == .transport && transport?.message == "connection reset by peer")
        for _ in 0..<2 {
            let error = await #expect(throws: KubeError.self) { _ = try await maps.get("cm-1") }
            #expect(error?.statusCode == 503 && error?.message == "etcd is slow")
        }
        #expect(try await maps.get("cm-1").metadata?.name == "cm-1")
    }
}

@Suite("FakeCluster: deletion", .timeLimit(.minutes(1)))
struct FakeClusterDeletionTests {
    @Test("finalizers hold an object with a deletionTimestamp until the last one is removed")
    func finalizers() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","namespace":"demo","finalizers":["example.com/hold"]}}"#)
        let maps = KubeClient(transport: cluster, namespace: "demo", tier: .write).resources(CoreV1.ConfigMap.self)
        _ = try await maps.delete("held")
        var held = try await maps.get("held")
        #expect(held.metadata?.deletionTimestamp != nil)
        held.metadata?.finalizers = []
        _ = try await maps.replace(held)
        let error = await #expect(throws: KubeError.self) { _ = try await maps.get("held") }
        #expect(error?.isNotFound == true)
    }

    @Test("a uid precondition that does not match is the recorded Conflict")
    func uidPrecondition() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-f9cfb4c88-2bhrx","namespace":"demo","uid":"bc3d58a0-a345-449a-8431-1de1d9d81f14"},"spec":{"containers":[]}}"#)
        try await FakeClusterTests().replay("errors/06-409-conflict-uid-precondition", on: cluster)
    }

    @Test("deleting an owner deletes its dependents (background) or releases them (orphan)")
    func garbageCollection() async throws {
        for orphan in [false, true] {
            let cluster = FakeCluster(namespaces: ["demo"])
            try cluster.seed("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: demo, uid: d-1}
                spec: {selector: {matchLabels: {app: web}}, template: {spec: {containers: []}}}
                ---
                apiVersion: apps/v1
                kind: ReplicaSet
                metadata: {name: web-abc, namespace: demo, uid: rs-1, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d-1}]}
                spec: {selector: {matchLabels: {app: web}}, template: {spec: {containers: []}}}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web-abc-1, namespace: demo, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, uid: rs-1}]}
                spec: {containers: []}
                """)
            let client = KubeClient(transport: cluster, namespace: "demo", tier: .write)
            _ = try await client.deployments().delete("web", options: DeleteOptions(propagationPolicy: orphan ? .orphan : .background))
            let replicaSets = try await client.replicaSets().list().items
            let pods = try await client.pods().list().items
            if orphan {
                #expect(replicaSets.map { $0.metadata?.ownerReferences == nil } == [true])
                #expect(pods.count == 1)
            } else {
                #expect(replicaSets.isEmpty && pods.isEmpty)
            }
        }
    }

    @Test("deletecollection deletes what the selector matches")
    func deleteCollection() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed((1...4).map { #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-\#($0)","namespace":"demo","labels":{"odd":"\#($0 % 2 == 1)"}}}"# }
            .joined(separator: "\n---\n"))
        let maps = KubeClient(transport: cluster, namespace: "demo", tier: .write).resources(CoreV1.ConfigMap.self)
        let deleted = try await maps.deleteCollection(ListOptions(labelSelector: .equals("odd", "true")))
        #expect(deleted.items.compactMap(\.metadata?.name) == ["cm-1", "cm-3"])
        #expect(try await maps.list().items.compactMap(\.metadata?.name) == ["cm-2", "cm-4"])
    }

    @Test("a watch-list ends its initial events with the bookmark kubectl and client-go wait for")
    func watchListBookmark() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"demo"},"spec":{"containers":[]}}"#)
        let pods = KubeClient(transport: cluster, namespace: "demo").pods()
        var stream = try await pods.watchStream(WatchOptions(timeoutSeconds: 5, sendInitialEvents: true)).makeAsyncIterator()
        #expect(try await stream.next()?.type == "ADDED")
        guard case .bookmark(let marker)? = try await stream.next() else { Issue.record("no bookmark"); return }
        #expect(marker.metadata?.annotations?["k8s.io/initial-events-end"] == "true")
        #expect(marker.metadata?.resourceVersion == String(cluster.resourceVersion))
    }
}

@Suite("FakeCluster: namespaces", .timeLimit(.minutes(1)))
struct FakeClusterNamespaceTests {
    @Test("a namespace being deleted is Terminating, its content is gone, creates in it are Forbidden")
    func terminating() async throws {
        let cluster = FakeCluster(namespaces: ["default", "old"])
        try cluster.seed(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"old"}}"#)
        let client = KubeClient(transport: cluster, namespace: "old", tier: .write)
        _ = try await client.resources(CoreV1.Namespace.self).delete("old")
        #expect(try await client.resources(CoreV1.Namespace.self).get("old").status?.phase == "Terminating")
        #expect(try await client.resources(CoreV1.ConfigMap.self).list().items.isEmpty)
        let error = await #expect(throws: KubeError.self) {
            _ = try await client.resources(CoreV1.ConfigMap.self).create(CoreV1.ConfigMap(metadata: MetaV1.ObjectMeta(name: "b")))
        }
        #expect(error?.isForbidden == true)
        #expect(error?.message == #"configmaps "b" is forbidden: unable to create new content in namespace old because it is being terminated"#)
        cluster.finishNamespaceDeletions()
        await #expect(throws: KubeError.self) { _ = try await client.resources(CoreV1.Namespace.self).get("old") }
    }
}

@Suite("FakeCluster: controllers (deployments, kubelet)", .timeLimit(.minutes(1)))
struct FakeClusterControllerTests {
    func cluster() throws -> (FakeCluster, KubeClient) {
        let cluster = FakeCluster(namespaces: ["shop"])
        cluster.enableControllers(.all)
        try cluster.seed("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: nginx, image: "nginx:1.27"}]}
            """)
        return (cluster, KubeClient(transport: cluster, namespace: "shop", tier: .write))
    }

    @Test("a deployment gets a ReplicaSet, Running and Ready pods, a complete rollout and events")
    func rollsOut() async throws {
        let (_, client) = try cluster()
        let status = try await client.deployments().rolloutStatus("web")
        #expect(status.isComplete && status.message == #"deployment "web" successfully rolled out"#)
        let pods = try await client.pods().list(ListOptions(labelSelector: .equals("app", "web"))).items
        #expect(pods.count == 2 && pods.allSatisfy { $0.status?.phase == "Running" })
        #expect(try await client.deployments().history("web").map(\.revision) == [1])
        let deployment = try await client.deployments().get("web")
        let events = try await client.events().events(for: deployment)
        #expect(events.contains { $0.reason == "ScalingReplicaSet" && $0.message?.hasPrefix("Scaled up replica set web-") == true })
        _ = try await client.deployments().waitForRollout("web", timeout: .seconds(5)) { _ in }
    }

    @Test("restart makes a new revision and scales the old one down; undo brings the old template back as the next revision")
    func restartAndUndo() async throws {
        let (_, client) = try cluster()
        let before = Set(try await client.pods().list().items.compactMap(\.metadata?.name))
        _ = try await client.deployments().restart("web")
        #expect(try await client.deployments().history("web").map(\.revision) == [1, 2])
        let after = Set(try await client.pods().list().items.compactMap(\.metadata?.name))
        #expect(after.count == 2 && after.isDisjoint(with: before))
        let sets = try await client.replicaSets().list().items
        #expect(sets.map { $0.spec?.replicas ?? -1 }.sorted() == [0, 2])
        _ = try await client.deployments().undoRollout("web")
        #expect(try await client.deployments().history("web").map(\.revision) == [2, 3])
        #expect(try await client.deployments().get("web").spec?.template?.metadata?.annotations?["kubectl.kubernetes.io/restartedAt"] == nil)
        #expect(try await client.deployments().rolloutStatus("web").isComplete)
    }

    @Test("scaling and pausing")
    func scaleAndPause() async throws {
        let (_, client) = try cluster()
        _ = try await client.deployments().scale("web", replicas: 4)
        #expect(try await client.pods().list().items.count == 4)
        _ = try await client.deployments().pause("web")
        var deployment = try await client.deployments().get("web")
        deployment.spec?.template?.spec?.containers?[0].image = "nginx:1.28"
        _ = try await client.deployments().replace(deployment)
        #expect(try await client.deployments().history("web").map(\.revision) == [1])   // paused: no rollout
        _ = try await client.deployments().resume("web")
        #expect(try await client.deployments().history("web").map(\.revision) == [1, 2])
    }
}

@Suite("FakeCluster: server-side apply", .timeLimit(.minutes(1)))
struct FakeClusterApplyTests {
    /// Sends a recorded request (with its content type) and returns the answer's status and body.
    func send(_ name: String, to cluster: FakeCluster) async throws -> (Int, JSONValue?) {
        let recording = try Fixtures.recording(name)
        var request = KubeRequest(KubeRequest.Method(rawValue: recording.request.method), target: recording.request.path,
                                  body: recording.request.body.map { Array($0.utf8) })
        for (header, value) in recording.request.headers where header.lowercased() == "content-type" { request.headers.add("Content-Type", value) }
        do {
            let (response, body) = try await cluster.data(for: request)
            return (response.status, try Fixtures.json(body))
        } catch let error as KubeError {
            return (error.httpStatusCode ?? 0, try error.status.map { try Fixtures.json(Array(JSONEncoder().encode($0))) } ?? nil)
        }
    }

    @Test("the recorded apply sequence: create, another manager edits, a conflicting apply, then force")
    func recordedSequence() async throws {
        let cluster = FakeCluster(namespaces: ["default", "demo"])
        #expect(try await send("apply/01-apply-configmap-create", to: cluster).0 == 201)
        #expect(try await send("apply/02-apply-configmap-unchanged", to: cluster).0 == 200)
        #expect(try await send("apply/06-merge-patch-by-other-manager", to: cluster).0 == 200)
        let (status, body) = try await send("apply/07-apply-conflict", to: cluster)
        #expect(status == 409)
        #expect(body == (try Fixtures.json(try Fixtures.recording("apply/07-apply-conflict").response.body)))
        #expect(try await send("apply/08-apply-conflict-force", to: cluster).0 == 200)
        let maps = KubeClient(transport: cluster, namespace: "demo").resources(CoreV1.ConfigMap.self)
        let map = try await maps.get("app-config")
        #expect(map.data?["LOG_LEVEL"] == "info" && map.data?["CACHE_TTL_SECONDS"] == "300")
        let managers = map.metadata?.managedFields?.map { "\($0.manager ?? "") \($0.operation ?? "")" } ?? []
        #expect(managers.contains("kubekit Apply"))
    }

    @Test("apply errors as recorded: missing field manager, namespace mismatch")
    func recordedErrors() async throws {
        let cluster = FakeCluster(namespaces: ["default", "demo"])
        for name in ["apply/13-apply-missing-field-manager", "apply/14-apply-namespace-mismatch"] {
            let recording = try Fixtures.recording(name)
            let (status, body) = try await send(name, to: cluster)
            #expect(status == recording.response.status, "\(name)")
            #expect(body == (try Fixtures.json(recording.response.body)), "\(name)")
        }
    }

    @Test("apply through the typed API and the manifest applier; fields no longer applied are removed")
    func typedApply() async throws {
        let cluster = FakeCluster(namespaces: ["default", "demo"])
        let client = KubeClient(transport: cluster, namespace: "demo", tier: .write)
        let results = try await client.apply(manifests: """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: demo}
            data: {a: "1", b: "2"}
            """)
        #expect(results.count == 1)
        _ = try await client.apply(manifests: """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: demo}
            data: {a: "1"}
            """)
        #expect(try await client.resources(CoreV1.ConfigMap.self).get("settings").data == ["a": "1"])
    }
}

@Suite("FakeCluster: validation, disruption budgets, graceful deletion, bookmarks, versions", .timeLimit(.minutes(1)))
struct FakeClusterMoreTests {
    @Test("an invalid pod reports every problem at once, as recorded")
    func invalid() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        try await FakeClusterTests().replay("errors/07-422-invalid", on: cluster)
    }

    @Test("an eviction that would break a PodDisruptionBudget is the recorded 429")
    func disruptionBudget() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        let ready = "status: {phase: Running, conditions: [{type: Ready, status: \"True\"}]}"
        try cluster.seed(["q425z", "a1b2c", "d3e4f"].map { suffix in """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-f9cfb4c88-\(suffix), namespace: demo, labels: {app: web}}
            spec: {containers: [{name: nginx, image: nginx}]}
            \(ready)
            """ }.joined(separator: "\n---\n") + """

            ---
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: web-pdb, namespace: demo}
            spec: {minAvailable: 3, selector: {matchLabels: {app: web}}}
            """)
        try await FakeClusterTests().replay("errors/21-429-eviction-blocked-by-pdb", on: cluster)
        // With room in the budget the eviction goes through.
        try cluster.seed("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-extra, namespace: demo, labels: {app: web}}
            spec: {containers: [{name: nginx, image: nginx}]}
            \(ready)
            """)
        let pods = KubeClient(transport: cluster, namespace: "demo", tier: .write).pods()
        try await pods.evict("web-f9cfb4c88-q425z")
        #expect(try await pods.list().items.count == 3)
    }

    @Test("with the kubelet on, a pod is deleted gracefully: marked first, then gone")
    func gracefulDeletion() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        cluster.enableControllers(.kubelet)
        try cluster.seed(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"demo"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#)
        let pods = KubeClient(transport: cluster, namespace: "demo", tier: .write).pods()
        let start = cluster.resourceVersion
        let deleted = try await pods.delete("p")
        if case .deleting(let pod) = deleted {
            #expect(pod.metadata?.deletionGracePeriodSeconds == 30)
        } else {
            Issue.record("expected the marked pod back")
        }
        var stream = try await pods.watchStream(WatchOptions(resourceVersion: String(start), timeoutSeconds: 5)).makeAsyncIterator()
        #expect(try await stream.next()?.type == "MODIFIED")
        #expect(try await stream.next()?.type == "DELETED")
        await #expect(throws: KubeError.self) { _ = try await pods.get("p") }
    }

    @Test("bookmarks on request; list versions that are too new or compacted")
    func bookmarksAndVersions() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"demo"}}"#)
        let maps = KubeClient(transport: cluster, namespace: "demo").resources(CoreV1.ConfigMap.self)
        var stream = try await maps.watchStream(WatchOptions(resourceVersion: String(cluster.resourceVersion), timeoutSeconds: 30)).makeAsyncIterator()
        cluster.sendBookmarks()
        guard case .bookmark(let marker)? = try await stream.next() else { Issue.record("no bookmark"); return }
        #expect(marker.metadata?.resourceVersion == String(cluster.resourceVersion))

        let tooNew = await #expect(throws: KubeError.self) {
            _ = try await cluster.data(for: KubeRequest(path: "/api/v1/namespaces/demo/configmaps", query: [("resourceVersion", "999999")]))
        }
        #expect(tooNew?.statusCode == 504)
        #expect(tooNew?.status?.details?.causes?.first?.reason == "ResourceVersionTooLarge")
        let old = cluster.resourceVersion
        try cluster.seed(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"demo"}}"#)
        cluster.compact()
        let gone = await #expect(throws: KubeError.self) {
            _ = try await cluster.data(for: KubeRequest(path: "/api/v1/namespaces/demo/configmaps",
                                                        query: [("resourceVersion", String(old)), ("resourceVersionMatch", "Exact")]))
        }
        #expect(gone?.isGoneOrExpired == true)
    }
}

@Suite("FakeCluster replays the recorded exchanges it can serve", .timeLimit(.minutes(1)))
struct FakeClusterReplayTests {
    /// A body with the values that legitimately differ between two servers replaced: uids, timestamps,
    /// resourceVersions (and continue tokens, which carry one).
    static func normalized(_ value: JSONValue?) -> JSONValue? {
        let volatile: Set<String> = ["uid", "resourceVersion", "creationTimestamp", "time", "lastTransitionTime", "lastUpdateTime",
                                     "startTime", "startedAt", "finishedAt", "lastProbeTime", "continue", "deletionTimestamp"]
        switch value {
        case .object(let object)?:
            return .object(JSONObject(object.map { ($0.key, volatile.contains($0.key) ? .string("*") : normalized($0.value) ?? .null) }))
        case .array(let items)?:
            return .array(items.map { normalized($0) ?? .null })
        default:
            return value
        }
    }

    /// A cluster holding the items of a recorded list.
    func cluster(seededFrom name: String) throws -> FakeCluster {
        let body = try #require(try Fixtures.json(try Fixtures.recording(name).response.body)?.objectValue)
        let kind = String((body["kind"]?.stringValue ?? "").dropLast(4))   // PodList → Pod
        let items = body["items"]?.arrayValue ?? []
        let namespaces = Set(items.compactMap { $0["metadata"]?["namespace"]?.stringValue })
        let cluster = FakeCluster(namespaces: Array(namespaces).sorted())
        for item in items {
            var object = item.objectValue ?? [:]
            object["apiVersion"] = body["apiVersion"]
            object["kind"] = .string(kind)
            try cluster.seed(JSONValue.object(object).jsonText)
        }
        return cluster
    }

    func replay(_ name: String, on cluster: FakeCluster) async throws {
        let recording = try Fixtures.recording(name)
        let (status, body) = try await FakeClusterApplyTests().send(name, to: cluster)
        #expect(status == recording.response.status, "\(name)")
        #expect(Self.normalized(body) == Self.normalized(try Fixtures.json(recording.response.body)), "\(name)")
    }

    @Test("pod lists: plain, by label, by field, and page by page with the server's own continue tokens")
    func podLists() async throws {
        let cluster = try cluster(seededFrom: "pods/03-list-pods")
        for name in ["pods/03-list-pods", "pods/04-list-pods-label-selector", "pods/09-list-pods-field-selector-running",
                     "pods/05-list-pods-limit-page1", "pods/06-list-pods-limit-page2", "pods/07-list-pods-limit-page3"] {
            try await replay(name, on: cluster)
        }
    }

    @Test("deployment and ReplicaSet lists")
    func workloadLists() async throws {
        try await replay("deployments/02-list-deployments", on: try cluster(seededFrom: "deployments/02-list-deployments"))
        try await replay("deployments/09-list-replicasets-label-selector", on: try cluster(seededFrom: "deployments/09-list-replicasets-label-selector"))
    }
}

extension FakeClusterReplayTests {
    @Test("single objects and subresources: a pod, a deployment, its scale and status")
    func objects() async throws {
        let pods = try cluster(seededFrom: "pods/03-list-pods")
        try await replay("pods/01-get-running-pod", on: pods)
        let deployment = try Fixtures.json(try Fixtures.recording("deployments/01-get-deployment").response.body)
        let cluster = FakeCluster(namespaces: ["demo"])
        try cluster.seed(try #require(deployment).jsonText)
        for name in ["deployments/01-get-deployment", "deployments/03-get-scale"] {
            try await replay(name, on: cluster)
        }
        // The status was recorded later, after more rollouts: seed that state for it.
        let later = FakeCluster(namespaces: ["demo"])
        try later.seed(try #require(try Fixtures.json(try Fixtures.recording("deployments/08-get-status").response.body)).jsonText)
        try await replay("deployments/08-get-status", on: later)
    }
}

@Suite("the fake cluster's endpoint slices", .timeLimit(.minutes(1)))
struct FakeClusterEndpointTests {
    @Test("a service's slice lists its pods' addresses with the named target port resolved; describe shows them")
    func slices() async throws {
        let cluster = FakeCluster(namespaces: ["demo"])
        cluster.enableControllers(.all)
        try cluster.seed("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: demo}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: nginx, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: demo}
            spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http, protocol: TCP}]}
            """)
        let client = KubeClient(transport: cluster, namespace: "demo")
        let slices = try await client.dynamic(apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", in: "demo").list().items
        #expect(slices.count == 1)
        #expect(slices.first?.metadata?.labels?["kubernetes.io/service-name"] == "web")
        #expect(slices.first?["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        let addresses = (slices.first?["endpoints"]?.arrayValue ?? []).compactMap { $0["addresses"]?.arrayValue?.first?.stringValue }
        #expect(addresses.sorted() == ["10.244.0.10", "10.244.0.11"])
        let text = try await client.resources(CoreV1.Service.self).describe("web")
        #expect(text.contains("Type:                     ClusterIP\nIP Family Policy:         SingleStack\nIP Families:              IPv4\nIP:                       10.96.0.1\n"))
        #expect(text.contains("Endpoints:                10.244.0.10:8080,10.244.0.11:8080\n"))
        // The slice goes with its service.
        _ = try await KubeClient(transport: cluster, namespace: "demo", tier: .write).resources(CoreV1.Service.self).delete("web")
        #expect(try await client.dynamic(apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", in: "demo").list().items.isEmpty)
    }
}

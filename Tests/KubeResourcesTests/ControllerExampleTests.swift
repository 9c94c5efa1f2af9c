import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeRuntime
import KubeTesting
import KubeTransport
@testable import KubeResources

// The example of Documentation/TestingYourCode.md, compiled and run: a small controller, tested against the
// fake cluster.

/// Gives every pod without a `team` label the label `team=unassigned`.
struct TeamLabeler {
    let pods: ResourceClient<CoreV1.Pod>

    /// Runs until cancelled: an informer feeds a work queue; one worker reconciles one pod at a time.
    func run() async throws {
        let informer = Informer(pods)
        let queue = WorkQueue<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await informer.run() }
            group.addTask {
                for await event in informer.events {
                    switch event {
                    case .added(let pod), .updated(_, let pod): queue.add(pod.metadata?.name ?? "")
                    case .deleted: break
                    }
                }
            }
            group.addTask {
                while let name = await queue.next() {
                    do {
                        try await reconcile(name, store: informer.store)
                        queue.forget(name)
                    } catch {
                        queue.addRateLimited(name)
                    }
                    queue.done(name)
                }
            }
            try await group.next()
            group.cancelAll()
            queue.shutDown()
        }
    }

    func reconcile(_ name: String, store: InformerStore<CoreV1.Pod>) async throws {
        guard let pod = store.get(name, namespace: pods.namespace), pod.metadata?.labels?["team"] == nil else { return }
        _ = try await pods.patch(name, .merge(.object(["metadata": .object(["labels": .object(["team": "unassigned"])])])))
    }
}

@Suite("Testing your code: a controller against the fake cluster", .timeLimit(.minutes(1)))
struct ControllerExampleTests {
    /// Waits until `condition` holds (checking every 10 ms), for at most `seconds`.
    func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test("existing and new pods get the label; labelled pods are left alone")
    func labelsPods() async throws {
        let cluster = FakeCluster(namespaces: ["default", "shop"])
        try cluster.seed("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop, labels: {app: web}}
            spec: {containers: [{name: nginx, image: nginx}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: db-1, namespace: shop, labels: {app: db, team: data}}
            spec: {containers: [{name: pg, image: postgres}]}
            """)
        let pods = KubeClient(transport: cluster, namespace: "shop", tier: .write).pods()
        let controller = Task { try await TeamLabeler(pods: pods).run() }
        defer { controller.cancel() }

        #expect(try await eventually { try await pods.get("web-1").metadata?.labels?["team"] == "unassigned" })
        try cluster.seed(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api-1","namespace":"shop"},"spec":{"containers":[]}}"#)
        #expect(try await eventually { try await pods.get("api-1").metadata?.labels?["team"] == "unassigned" })
        #expect(try await pods.get("db-1").metadata?.labels?["team"] == "data")
        // Exactly two patches: the controller did not fight its own updates.
        #expect(cluster.receivedRequests.filter { $0.method == .patch }.map(\.path)
                == ["/api/v1/namespaces/shop/pods/web-1", "/api/v1/namespaces/shop/pods/api-1"])
    }
}

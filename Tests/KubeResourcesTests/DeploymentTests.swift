import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("Deployments: restart, pause, resume, rollout status, history, undo", .timeLimit(.minutes(2)))
struct DeploymentTests {
    static let path = "/apis/apps/v1/namespaces/demo/deployments/web"

    func deployment(_ recording: String) throws -> AppsV1.Deployment {
        try JSONDecoder().decode(AppsV1.Deployment.self, from: Data(try Fixtures.body(recording).utf8))
    }

    @Test func restartSendsKubectlsPatch() async throws {
        let (client, transport) = Fixtures.client([
            try Fixtures.recording("deployments/01-get-deployment"),
            try Fixtures.recording("deployments/06-patch-rollout-restart"),
        ])
        let restarted = try await client.deployments().restart("web", at: Time(rfc3339: "2026-11-22T10:52:05Z"),
                                                               options: WriteOptions(fieldManager: "kubectl-rollout"))
        #expect(transport.receivedRequests.map(\.description) == ["GET \(Self.path)", "PATCH \(Self.path)?fieldManager=kubectl-rollout"])
        let patch = transport.receivedRequests[1]
        #expect(patch.headers["Content-Type"] == "application/strategic-merge-patch+json")
        // Byte for byte what kubectl sent (recorded).
        #expect(patch.body == Array((try Fixtures.recording("deployments/06-patch-rollout-restart").request.body ?? "").utf8))
        #expect(restarted.spec?.template?.metadata?.annotations?[DeploymentAnnotations.restartedAt] == "2026-11-22T10:52:05Z")
    }

    @Test func restartWithinTheSameSecondIsRefused() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("deployments/01-get-deployment")])
        let error = await #expect(throws: KubeError.self) {
            try await client.deployments().restart("web", at: Time(rfc3339: "2026-11-22T10:51:37Z"))
        }
        #expect(error?.code == .rollout)
        #expect(error?.message == "failed to create patch for web: if restart has already been triggered within the past second, please wait before attempting to trigger another")
        #expect(transport.receivedRequests.count == 1)
    }

    @Test func pauseThenResume() async throws {
        var paused = try deployment("deployments/01-get-deployment")
        paused.spec?.paused = true
        let pausedBody = String(decoding: try JSONEncoder().encode(paused), as: UTF8.self)
        let get = try Fixtures.recording("deployments/01-get-deployment")
        var patchAnswer = get
        patchAnswer.request.method = "PATCH"
        var pausedAnswer = patchAnswer
        pausedAnswer.response.body = pausedBody
        let (client, transport) = Fixtures.client([get, pausedAnswer])
        try await client.deployments().pause("web")
        #expect(transport.receivedRequests.map(\.description) == ["GET \(Self.path)", "PATCH \(Self.path)"])
        #expect(String(decoding: transport.receivedRequests[1].body ?? [], as: UTF8.self) == #"{"spec":{"paused":true}}"#)
        #expect(transport.receivedRequests[1].headers["Content-Type"] == "application/strategic-merge-patch+json")
        // Resuming a deployment that is not paused is refused without a patch.
        let error = await #expect(throws: KubeError.self) { try await client.deployments().resume("web") }
        #expect(error?.message == "deployments.apps \"web\" is not paused")
        #expect(transport.receivedRequests.count == 3)

        var pausedGet = get
        pausedGet.response.body = pausedBody
        let (second, secondTransport) = Fixtures.client([pausedGet, patchAnswer])
        let again = await #expect(throws: KubeError.self) { try await second.deployments().pause("web") }
        #expect(again?.message == "deployments.apps \"web\" is already paused")
        let restart = await #expect(throws: KubeError.self) { try await second.deployments().restart("web") }
        #expect(restart?.message == "can't restart paused deployment (run rollout resume first)")
        let undo = await #expect(throws: KubeError.self) { _ = try await second.deployments().undoRollout("web") }
        #expect(undo?.message == "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again")
        try await second.deployments().resume("web")
        #expect(String(decoding: secondTransport.receivedRequests.last?.body ?? [], as: UTF8.self) == #"{"spec":{"paused":false}}"#)
    }

    @Test func rolloutStatusMessagesAreKubectls() throws {
        let midRollout = try deployment("deployments/07-get-status-mid-rollout")
        #expect(try RolloutStatus.of(midRollout)
            == RolloutStatus(isComplete: false, message: "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated..."))
        let done = try deployment("deployments/08-get-status")
        #expect(try RolloutStatus.of(done) == RolloutStatus(isComplete: true, message: "deployment \"web\" successfully rolled out"))
        #expect(try RolloutStatus.of(done, revision: 3).isComplete)
        let wrongRevision = #expect(throws: KubeError.self) { try RolloutStatus.of(done, revision: 2) }
        #expect(wrongRevision?.message == "desired revision (2) is different from the running revision (3)")

        var terminating = done
        terminating.status?.replicas = 5
        #expect(try RolloutStatus.of(terminating).message == "Waiting for deployment \"web\" rollout to finish: 2 old replicas are pending termination...")
        var unavailable = done
        unavailable.status?.availableReplicas = 1
        #expect(try RolloutStatus.of(unavailable).message == "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available...")
        var unobserved = done
        unobserved.metadata?.generation = 6
        #expect(try RolloutStatus.of(unobserved).message == "Waiting for deployment spec update to be observed...")
        var failed = done
        failed.status?.conditions = [.init(reason: "ProgressDeadlineExceeded", status: "False", type: "Progressing")]
        let deadline = #expect(throws: KubeError.self) { try RolloutStatus.of(failed) }
        #expect(deadline?.message == "deployment \"web\" exceeded its progress deadline")
    }

    @Test func rolloutProgressFollowsTheWatch() async throws {
        let target = "/apis/apps/v1/namespaces/demo/deployments?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb&timeoutSeconds=290&watch=true"
        let (client, transport) = Fixtures.client([try Fixtures.recording("deployments/10-watch-deployments-during-scale", target: target)])
        var messages: [String] = []
        for try await status in client.deployments().rolloutProgress("web") { messages.append(status.message) }
        #expect(transport.receivedRequests.map(\.description) == ["GET \(target)"])
        #expect(messages == [
            "Waiting for deployment spec update to be observed...",
            "Waiting for deployment \"web\" rollout to finish: 3 out of 4 new replicas have been updated...",
            "Waiting for deployment \"web\" rollout to finish: 3 of 4 updated replicas are available...",
            "deployment \"web\" successfully rolled out",
        ])
    }

    @Test func waitForRolloutTimesOut() async throws {
        let client = KubeClient(transport: SilentTransport(), namespace: "demo", tier: .read)
        let error = await #expect(throws: KubeError.self) {
            try await client.deployments().waitForRollout("web", timeout: .milliseconds(50))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message == "timed out waiting for the condition")
    }

    @Test func historyComesFromOwnedReplicaSets() async throws {
        let (client, transport) = Fixtures.client([
            try Fixtures.recording("deployments/01-get-deployment"),
            try Fixtures.recording("deployments/09-list-replicasets-label-selector"),
        ])
        let history = try await client.deployments().history("web")
        #expect(transport.receivedRequests.map(\.description) == [
            "GET \(Self.path)", "GET /apis/apps/v1/namespaces/demo/replicasets?labelSelector=app%3Dweb",
        ])
        #expect(history.map(\.revision) == [1, 2, 3])
        #expect(history.map { $0.replicaSet.metadata?.name ?? "" } == ["web-555cfbbb78", "web-849c67578b", "web-f9cfb4c88"])
    }

    @Test func undoPatchesTheTemplateOfThePreviousRevision() async throws {
        // The deployment at revision 3 (recorded GET .../status; a full Deployment), its ReplicaSets, and
        // the deployment as the server returned it after going back to revision 2's template.
        let current = try Fixtures.recording("deployments/08-get-status", target: Self.path)
        let afterwards = try Fixtures.recording("deployments/01-get-deployment", method: "PATCH")
        let (client, transport) = Fixtures.client([current, try Fixtures.recording("deployments/09-list-replicasets-label-selector"), afterwards])
        let result = try await client.deployments().undoRollout("web")
        guard case .rolledBack(let revision, let deployment) = result else { Issue.record("not rolled back: \(result)"); return }
        #expect(revision == 2)
        #expect(deployment.metadata?.annotations?[DeploymentAnnotations.revision] == "2")
        let patch = try #require(transport.receivedRequests.last)
        #expect(patch.description == "PATCH \(Self.path)")
        #expect(patch.headers["Content-Type"] == "application/json-patch+json")
        let operations = try #require(try Fixtures.json(patch.body)?.arrayValue)
        #expect(operations.count == 2)
        #expect(operations[0]["op"] == "replace" && operations[0]["path"] == "/spec/template")
        #expect(operations[0]["value"]?["metadata"]?["labels"] == ["app": "web"])  // pod-template-hash removed
        #expect(operations[0]["value"]?["metadata"]?["annotations"]?["kubectl.kubernetes.io/restartedAt"] == "2026-11-22T10:51:37Z")
        #expect(operations[1] == ["op": "replace", "path": "/metadata/annotations", "value": ["deployment.kubernetes.io/revision": "3"]])
    }

    @Test func undoToTheCurrentTemplateIsSkipped() async throws {
        let (client, transport) = Fixtures.client([
            try Fixtures.recording("deployments/01-get-deployment"),
            try Fixtures.recording("deployments/09-list-replicasets-label-selector"),
        ])
        #expect(try await client.deployments().undoRollout("web", toRevision: 2) == .skipped(revision: 2))
        let missing = await #expect(throws: KubeError.self) { _ = try await client.deployments().undoRollout("web", toRevision: 9) }
        #expect(missing?.message == "unable to find specified revision 9 in history")
        #expect(transport.receivedRequests.allSatisfy { $0.method == .get })
    }
}

/// A transport that never answers (until cancelled).
struct SilentTransport: KubeTransport {
    func send(_ request: KubeRequest) async throws -> KubeResponse {
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
}

import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("Writes: create, replace, patch, apply, delete, scale, status", .timeLimit(.minutes(2)))
struct WriteTests {
    static let newPod = CoreV1.Pod(
        metadata: .init(labels: ["app": "web"], name: "web-f9cfb4c88-2bhrx", namespace: "demo"),
        spec: .init(containers: [.init(image: "nginx:1.27", name: "nginx")]))

    @Test func createPostsTheObjectAndSurfacesAlreadyExists() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("errors/04-409-already-exists")])
        let error = await #expect(throws: KubeError.self) { try await client.pods().create(Self.newPod) }
        #expect(error?.isAlreadyExists == true)
        #expect(error?.message == "pods \"web-f9cfb4c88-2bhrx\" already exists")
        let request = try #require(transport.receivedRequests.first)
        #expect(request.description == "POST /api/v1/namespaces/demo/pods")
        #expect(request.headers["Content-Type"] == "application/json")
        // The body leaves nil fields out (no "status": null) and carries what was set.
        let body = try #require(try Fixtures.json(request.body))
        #expect(body == (try Fixtures.json(#"{"metadata":{"labels":{"app":"web"},"name":"web-f9cfb4c88-2bhrx","namespace":"demo"},"spec":{"containers":[{"image":"nginx:1.27","name":"nginx"}]}}"#)))
    }

    @Test func createInvalidGivesTheCauses() async throws {
        let (client, _) = Fixtures.client([try Fixtures.recording("errors/07-422-invalid")])
        let pod = CoreV1.Pod(metadata: .init(name: "Invalid_Name!"), spec: .init(containers: [.init(name: "app")]))
        let error = await #expect(throws: KubeError.self) { try await client.pods().create(pod) }
        #expect(error?.isInvalid == true)
        #expect(error?.status?.details?.causes?.contains { $0.field == "metadata.name" } == true)
    }

    @Test func createNeedsANamespaceBeforeSending() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("errors/14-405-method-not-allowed-create-all-namespaces")])
        let error = await #expect(throws: KubeError.self) { try await client.podsInAllNamespaces.create(Self.newPod) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "creating pods needs a namespace")
        #expect(transport.receivedRequests.isEmpty)
    }

    @Test func replaceWithStaleVersionConflicts() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("errors/05-409-conflict-stale-resource-version")])
        let configMap = CoreV1.ConfigMap(
            data: ["LOG_LEVEL": "warn"], metadata: .init(name: "app-config", namespace: "demo", resourceVersion: "890"))
        let error = await #expect(throws: KubeError.self) { try await client.resources(CoreV1.ConfigMap.self).replace(configMap) }
        #expect(error?.isConflict == true)
        let request = try #require(transport.receivedRequests.first)
        #expect(request.description == "PUT /api/v1/namespaces/demo/configmaps/app-config")
        #expect(try Fixtures.json(request.body)?["metadata"]?["resourceVersion"] == "890")
    }

    @Test func replaceWithoutANameFailsBeforeSending() async throws {
        let (client, transport) = Fixtures.client([])
        let error = await #expect(throws: KubeError.self) { try await client.resources(CoreV1.ConfigMap.self).replace(CoreV1.ConfigMap()) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.location?.field == "metadata.name")
        #expect(transport.receivedRequests.isEmpty)
    }

    @Test func mergePatchWithFieldManager() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("apply/06-merge-patch-by-other-manager")])
        let updated = try await client.resources(CoreV1.ConfigMap.self)
            .patch("app-config", .merge(["data": ["LOG_LEVEL": "debug"]]), options: WriteOptions(fieldManager: "kubectl-edit"))
        let request = try #require(transport.receivedRequests.first)
        #expect(request.description == "PATCH /api/v1/namespaces/demo/configmaps/app-config?fieldManager=kubectl-edit")
        #expect(request.headers["Content-Type"] == "application/merge-patch+json")
        #expect(String(decoding: request.body ?? [], as: UTF8.self) == #"{"data":{"LOG_LEVEL":"debug"}}"#)
        #expect(updated.data?["LOG_LEVEL"] == "debug")
    }

    @Test func strictFieldValidationRejectsUnknownFields() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("apply/18-merge-patch-unknown-field-strict")])
        let error = await #expect(throws: KubeError.self) {
            try await client.deployments().patch("web", .merge(["spec": ["replicaz": 2]]), options: WriteOptions(fieldValidation: .strict))
        }
        #expect(transport.receivedRequests.first?.description == "PATCH /apis/apps/v1/namespaces/demo/deployments/web?fieldValidation=Strict")
        #expect(error?.isInvalid == true || error?.isBadRequest == true)
    }

    @Test func jsonPatchBody() throws {
        let patch = Patch.json([.replace("/spec/replicas", 3), .remove("/metadata/annotations/\(JSONPatchOperation.escape("a/b~c"))"),
                                .move(from: "/a", to: "/b")])
        #expect(patch.contentType == "application/json-patch+json")
        #expect(String(decoding: patch.body, as: UTF8.self)
            == #"[{"op":"replace","path":"/spec/replicas","value":3},{"op":"remove","path":"/metadata/annotations/a~1b~0c"},{"op":"move","path":"/b","from":"/a"}]"#)
    }

    @Test(arguments: [
        ("apply/01-apply-configmap-create", ApplyOptions(), "PATCH /api/v1/namespaces/demo/configmaps/app-config?fieldManager=kubekit&fieldValidation=Strict"),
        ("apply/08-apply-conflict-force", ApplyOptions(force: true), "PATCH /api/v1/namespaces/demo/configmaps/app-config?fieldManager=kubekit&fieldValidation=Strict&force=true"),
    ])
    func serverSideApply(recording: String, options: ApplyOptions, expected: String) async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording(recording)])
        // What was applied, as the recording's YAML, decoded into the typed model.
        let yaml = try #require(try Fixtures.recording(recording).request.body)
        let manifest = try #require(try YAMLReader.documents(in: yaml).first?.root?.json)
        var configMap = try JSONDecoder().decode(CoreV1.ConfigMap.self, from: Data(manifest.jsonText.utf8))
        configMap.metadata?.managedFields = [MetaV1.ManagedFieldsEntry(manager: "must-not-be-sent")]
        let applied = try await client.resources(CoreV1.ConfigMap.self).apply(configMap, options: options)
        let request = try #require(transport.receivedRequests.first)
        #expect(request.description == expected)
        #expect(request.headers["Content-Type"] == "application/apply-patch+yaml")
        let sent = try #require(try Fixtures.json(request.body))
        #expect(sent == manifest)  // apiVersion and kind filled in, managedFields left out
        #expect(applied.data == configMap.data)
    }

    @Test func applyConflictNamesTheFields() async throws {
        let (client, _) = Fixtures.client([try Fixtures.recording("apply/07-apply-conflict")])
        let configMap = CoreV1.ConfigMap(data: ["LOG_LEVEL": "info"], metadata: .init(name: "app-config"))
        let error = await #expect(throws: KubeError.self) { try await client.resources(CoreV1.ConfigMap.self).apply(configMap) }
        #expect(error?.isConflict == true)
        #expect(error?.status?.details?.causes?.first?.field == ".data.LOG_LEVEL")
    }

    @Test func deleteReturnsTheTerminatingPod() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/11-delete-pod")])
        let result = try await client.pods().delete("web-555cfbbb78-7wgws")
        #expect(transport.receivedRequests.map(\.description) == ["DELETE /api/v1/namespaces/demo/pods/web-555cfbbb78-7wgws"])
        #expect(transport.receivedRequests[0].body == nil)
        let pod = try #require(result.object)
        #expect(pod.metadata?.deletionTimestamp != nil)
        #expect(pod.metadata?.deletionGracePeriodSeconds == 30)
    }

    @Test func deleteWithOptionsSendsDeleteOptions() async throws {
        let recorded = try Fixtures.recording("pods/12-delete-pod-force-uid-precondition",
                                              target: "/api/v1/namespaces/demo/pods/web-555cfbbb78-7wgws")
        let (client, transport) = Fixtures.client([recorded])
        let options = DeleteOptions(gracePeriodSeconds: 0, preconditionUID: "99df15c5-1137-4c41-baed-2ffa8300d432")
        _ = try await client.pods().delete("web-555cfbbb78-7wgws", options: options)
        let request = try #require(transport.receivedRequests.first)
        #expect(request.headers["Content-Type"] == "application/json")
        // The recorded request's body (curl's), which the server accepted.
        #expect(try Fixtures.json(request.body) == (try Fixtures.json(recorded.request.body ?? "")))
    }

    @Test func deleteWithStaleUIDPreconditionConflicts() async throws {
        let (client, _) = Fixtures.client([try Fixtures.recording("errors/06-409-conflict-uid-precondition")])
        let error = await #expect(throws: KubeError.self) {
            try await client.pods().delete("web-f9cfb4c88-2bhrx", options: DeleteOptions(preconditionUID: "00000000-0000-0000-0000-000000000000"))
        }
        #expect(error?.isConflict == true)
        #expect(error?.message.contains("the UID in the precondition") == true)
    }

    @Test func deleteOptionsModel() throws {
        let options = DeleteOptions(gracePeriodSeconds: 5, propagationPolicy: .foreground, preconditionResourceVersion: "7", dryRun: true)
        let json = try Fixtures.json(KubeCoding.encode(options.model))
        #expect(json == (try Fixtures.json(#"{"apiVersion":"v1","kind":"DeleteOptions","dryRun":["All"],"gracePeriodSeconds":5,"preconditions":{"resourceVersion":"7"},"propagationPolicy":"Foreground"}"#)))
        #expect(DeleteOptions().isEmpty)
    }

    @Test func statusSubresource() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("deployments/08-get-status")])
        let deployment = try await client.deployments().getStatus("web")
        #expect(transport.receivedRequests.map(\.description) == ["GET /apis/apps/v1/namespaces/demo/deployments/web/status"])
        #expect(deployment.status?.conditions?.contains { $0.type == "Available" } == true)
    }

    @Test func scaleSubresource() async throws {
        let (client, transport) = Fixtures.client([
            try Fixtures.recording("deployments/03-get-scale"),
            try Fixtures.recording("deployments/04-patch-scale-merge"),
            try Fixtures.recording("deployments/05-put-scale"),
        ])
        let deployments = client.deployments()
        let current = try await deployments.getScale("web")
        let patched = try await deployments.scale("web", replicas: 5)
        let replaced = try await deployments.replaceScale(
            "web", AutoscalingV1.Scale(metadata: .init(name: "web", namespace: "demo", resourceVersion: "709"), spec: .init(replicas: 3)))
        #expect(transport.receivedRequests.map(\.description) == [
            "GET /apis/apps/v1/namespaces/demo/deployments/web/scale",
            "PATCH /apis/apps/v1/namespaces/demo/deployments/web/scale",
            "PUT /apis/apps/v1/namespaces/demo/deployments/web/scale",
        ])
        #expect(transport.receivedRequests[1].headers["Content-Type"] == "application/merge-patch+json")
        #expect(String(decoding: transport.receivedRequests[1].body ?? [], as: UTF8.self) == #"{"spec":{"replicas":5}}"#)
        #expect(try Fixtures.json(transport.receivedRequests[2].body) == (try Fixtures.json(try Fixtures.recording("deployments/05-put-scale").request.body ?? "")))
        #expect(current.status?.selector == "app=web")
        #expect(patched.spec?.replicas == 5)
        #expect(replaced.spec?.replicas == 3)
        #expect(replaced.metadata?.resourceVersion == "710")
    }

    @Test func deleteCollectionSendsSelectorsAndOptions() async throws {
        // The list the server answers a delete-collection with (the recorded PodList of the same pods).
        let target = "/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb"
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/04-list-pods-label-selector", method: "DELETE", target: target)])
        let deleted = try await client.pods().deleteCollection(ListOptions(labelSelector: .equals("app", "web")),
                                                                options: DeleteOptions(propagationPolicy: .background))
        let request = try #require(transport.receivedRequests.first)
        #expect(request.description == "DELETE \(target)")
        #expect(try Fixtures.json(request.body) == ["apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"])
        #expect(!deleted.items.isEmpty && deleted.items.allSatisfy { $0.metadata?.labels?["app"] == "web" })
        let error = await #expect(throws: KubeError.self) { _ = try await client.podsInAllNamespaces.deleteCollection() }
        #expect(error?.code == .invalidArgument)
    }

    @Test func statusWrites() async throws {
        let path = "/apis/apps/v1/namespaces/demo/deployments/web/status"
        let (client, transport) = Fixtures.client([
            try Fixtures.recording("deployments/08-get-status", method: "PUT"),
            try Fixtures.recording("deployments/08-get-status", method: "PATCH"),
        ])
        let current = try JSONDecoder().decode(AppsV1.Deployment.self, from: Data(try Fixtures.body("deployments/08-get-status").utf8))
        let replaced = try await client.deployments().replaceStatus(current)
        let patched = try await client.deployments().patchStatus("web", .merge(["status": ["observedGeneration": 5]]))
        #expect(transport.receivedRequests.map(\.description) == ["PUT \(path)", "PATCH \(path)"])
        #expect(try Fixtures.json(transport.receivedRequests[0].body)?["status"]?["observedGeneration"] == 5)
        #expect(transport.receivedRequests[1].headers["Content-Type"] == "application/merge-patch+json")
        #expect(replaced == current && patched == current)
    }

    @Test func namesAreCheckedBeforeSending() async throws {
        let (client, transport) = Fixtures.client([])
        for bad in ["", ".", "..", "a/b", "100%"] {
            let error = await #expect(throws: KubeError.self) { try await client.pods().get(bad) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(transport.receivedRequests.isEmpty)
    }
}

import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("Discovery, dynamic objects and manifest apply", .timeLimit(.minutes(2)))
struct DynamicTests {
    static let aggregated = ["discovery/08-api-aggregated-v2", "discovery/07-apis-aggregated-v2"]

    static func recordings(_ names: [String]) throws -> [Recording] { try names.map { try Fixtures.recording($0) } }

    @Test func aggregatedDiscoveryMapsKindsWithOneExchange() async throws {
        let (client, transport) = Fixtures.client(try Self.recordings(Self.aggregated), tier: .read)
        let deployments = try await client.resourceInfo(apiVersion: "apps/v1", kind: "Deployment")
        let namespaces = try await client.resourceInfo(apiVersion: "v1", kind: "Namespace")
        let widgets = try await client.resourceInfo(apiVersion: "example.com/v1", kind: "Widget")
        #expect(deployments == APIResourceInfo(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", singular: "deployment",
                                               isNamespaced: true, verbs: deployments.verbs, shortNames: ["deploy"]))
        #expect(deployments.verbs.contains("patch"))
        #expect(!namespaces.isNamespaced && namespaces.collectionPath(namespace: "x") == "/api/v1/namespaces")
        #expect(widgets.collectionPath(namespace: "demo") == "/apis/example.com/v1/namespaces/demo/widgets")
        let requests = transport.receivedRequests
        #expect(requests.map(\.description) == ["GET /api", "GET /apis"])
        #expect(requests.allSatisfy { $0.headers["Accept"] == KubeClient.aggregatedDiscoveryAccept })
        let all = try await client.serverResources()
        #expect(all.contains { $0.plural == "pods" } && all.contains { $0.plural == "cronjobs" })
        #expect(!all.contains { $0.plural.contains("/") })
        #expect(transport.receivedRequests.count == 2)
    }

    @Test func aMissRefreshesOnceThenNamesTheKind() async throws {
        let (client, transport) = Fixtures.client(try Self.recordings(Self.aggregated), tier: .read)
        _ = try await client.resourceInfo(apiVersion: "v1", kind: "Pod")
        let error = await #expect(throws: KubeError.self) { try await client.resourceInfo(apiVersion: "example.com/v1", kind: "Gizmo") }
        #expect(error?.code == .resourceNotMapped)
        #expect(error?.message == "no matches for kind \"Gizmo\" in version \"example.com/v1\"")
        #expect(error?.hint == "ensure CRDs are installed first")
        #expect(transport.receivedRequests.map(\.description) == ["GET /api", "GET /apis", "GET /api", "GET /apis"])
    }

    @Test func legacyDiscoveryFetchesOnlyTheGroupVersionNeeded() async throws {
        let (client, transport) = Fixtures.client(
            try Self.recordings(["discovery/02-api", "discovery/05-apps-v1", "discovery/09-example-com-v1"]), tier: .read)
        let deployments = try await client.resourceInfo(apiVersion: "apps/v1", kind: "Deployment")
        let widgets = try await client.resourceInfo(apiVersion: "example.com/v1", kind: "widget")  // case-insensitive fallback
        _ = try await client.resourceInfo(apiVersion: "apps/v1", kind: "StatefulSet")
        #expect(deployments.plural == "deployments" && deployments.isNamespaced)
        #expect(widgets.kind == "Widget" && widgets.plural == "widgets")
        #expect(transport.receivedRequests.map(\.description) == ["GET /api", "GET /apis/apps/v1", "GET /apis/example.com/v1"])
    }

    @Test func dynamicObjectsKeepEveryField() async throws {
        let (client, transport) = Fixtures.client(try Self.recordings(Self.aggregated + ["pods/01-get-running-pod"]), tier: .read)
        let pods = try await client.dynamic(apiVersion: "v1", kind: "Pod")
        let pod = try await pods.get("web-555cfbbb78-bj66h")
        #expect(transport.receivedRequests.last?.description == "GET /api/v1/namespaces/demo/pods/web-555cfbbb78-bj66h")
        #expect(pod.kind == "Pod" && pod.name == "web-555cfbbb78-bj66h" && pod.namespace == "demo")
        #expect(pod["status"]?["phase"] == "Running")
        #expect(pod.description == "Pod demo/web-555cfbbb78-bj66h")
        // Encoding gives the server's JSON back.
        let original = try Fixtures.json(try Fixtures.body("pods/01-get-running-pod"))
        #expect(try Fixtures.json(KubeCoding.encode(pod)) == original)
        #expect(pod.json == original)
    }

    @Test func dynamicObjectFromAManifestKeepsFieldOrder() throws {
        let json = try #require(try YAMLReader.documents(in: "kind: Widget\napiVersion: example.com/v1\nmetadata: {name: w}\nspec: {size: 3}\nstatus: {}\nzeta: 1\n").first?.root?.json)
        let object = try DynamicObject(json: json)
        #expect(Array(object.fields.keys) == ["spec", "status", "zeta"])
        #expect(object["spec"]?["size"] == 3)
        let bad = #expect(throws: KubeError.self) { try DynamicObject(json: ["metadata": ["name": 5]]) }
        #expect(bad?.code == .invalidManifest)
        #expect(bad?.location?.field == "metadata.name")
    }

    // MARK: Manifest apply

    static let notFound = "apply/10-get-after-dry-run"  // a recorded 404 Status for a ConfigMap GET
    static let configMapPath = "/api/v1/namespaces/demo/configmaps/app-config"

    func manifest(_ recording: String) throws -> String { try Fixtures.recording(recording).request.body ?? "" }

    @Test func createdUnchangedAndConfiguredComeFromTheServer() async throws {
        let cases: [(get: Recording, patch: String, expected: ManifestApplyResult.Operation)] = [
            (try Fixtures.recording(Self.notFound, target: Self.configMapPath), "apply/01-apply-configmap-create", .created),
            (try Fixtures.recording("apply/01-apply-configmap-create", method: "GET", target: Self.configMapPath), "apply/02-apply-configmap-unchanged", .unchanged),
            (try Fixtures.recording("apply/02-apply-configmap-unchanged", method: "GET", target: Self.configMapPath), "apply/03-apply-configmap-changed", .configured),
        ]
        for (get, patch, expected) in cases {
            let (client, transport) = Fixtures.client(try Self.recordings(Self.aggregated) + [get, try Fixtures.recording(patch)])
            let yaml = try manifest(patch)
            let results = try await client.apply(manifests: yaml, source: "app.yaml")
            #expect(results.count == 1)
            #expect(results[0].operation == expected, "\(patch)")
            #expect(results[0].description == "configmap/app-config \(expected.rawValue)")
            #expect(results[0].object?.name == "app-config")
            let requests = transport.receivedRequests
            #expect(requests.map(\.description) == ["GET /api", "GET /apis", "GET \(Self.configMapPath)", "PATCH \(Self.configMapPath)?fieldManager=kubekit&fieldValidation=Strict"])
            #expect(requests[3].headers["Content-Type"] == "application/apply-patch+yaml")
            #expect(try Fixtures.json(requests[3].body) == (try Fixtures.json(yaml)))
        }
    }

    @Test func dryRunIsCreatedWithoutPersisting() async throws {
        let path = "/api/v1/namespaces/demo/configmaps/app-config-preview"
        let (client, transport) = Fixtures.client(try Self.recordings(Self.aggregated + [Self.notFound, "apply/09-apply-dry-run"]))
        let results = try await client.apply(manifests: try manifest("apply/09-apply-dry-run"), options: ManifestApplyOptions(dryRun: true))
        #expect(transport.receivedRequests.last?.description == "PATCH \(path)?dryRun=All&fieldManager=kubekit&fieldValidation=Strict")
        #expect(results.map(\.description) == ["configmap/app-config-preview created (server dry run)"])
    }

    @Test func manyDocumentsInDependencyOrderWithBadOnesReported() async throws {
        let service = try manifest("apply/04-apply-service").replacingOccurrences(of: "  namespace: demo\n", with: "")
        let text = """
            # web stack
            \(try manifest("apply/05-apply-deployment"))---
            kind: ConfigMap
            metadata: {name: no-api-version}
            ---
            \(service)---
            bad: [unclosed
            ---
            \(try manifest("apply/01-apply-configmap-create"))
            """
        let recordings = try Self.recordings(Self.aggregated) + [
            try Fixtures.recording(Self.notFound, target: Self.configMapPath),
            try Fixtures.recording("apply/01-apply-configmap-create"),
            try Fixtures.recording(Self.notFound, target: "/api/v1/namespaces/demo/services/web"),
            try Fixtures.recording("apply/04-apply-service"),
            try Fixtures.recording("deployments/01-get-deployment"),
            try Fixtures.recording("apply/05-apply-deployment"),
        ]
        let (client, transport) = Fixtures.client(recordings)
        let results = try await client.apply(manifests: text, source: "stack.yaml")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let bad = try #require(lines.firstIndex(of: "bad: [unclosed")) + 1
        let noVersion = try #require(lines.firstIndex(of: "kind: ConfigMap")) + 1
        // Parse errors first (libyaml notices the unclosed sequence on the next line), then the objects,
        // ConfigMap before Service before Deployment.
        #expect(results.map(\.description) == [
            "document 3 (line \(bad + 1)) object/<unnamed>: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence, line \(bad))",
            "document 1 (line \(noVersion)) configmap/no-api-version: the object has no apiVersion",
            "configmap/app-config created",
            "service/web created",
            "deployment.apps/web configured",
        ])
        #expect(results[0].document == 3 && results[0].error?.code == .yamlSyntax)
        #expect(results.map(\.document) == [3, 1, 4, 2, 0])
        #expect(results[1].error?.location?.file == "stack.yaml")
        let patches = transport.receivedRequests.filter { $0.method == .patch }
        #expect(patches.map(\.path) == [Self.configMapPath, "/api/v1/namespaces/demo/services/web", "/apis/apps/v1/namespaces/demo/deployments/web"])
        // The Service named no namespace: it gets the client's.
        #expect(try Fixtures.json(patches[1].body)?["metadata"]?["namespace"] == "demo")
    }

    @Test func stopOnErrorAndInputOrder() async throws {
        let (client, transport) = Fixtures.client(try Self.recordings(Self.aggregated))
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
        let results = try await client.apply(manifests: text, options: ManifestApplyOptions(order: .input, stopOnError: true))
        #expect(results.map(\.description) == ["document 0 (line 1) pod/<unnamed>: from web-: cannot use generate name with apply"])
        #expect(!transport.receivedRequests.contains { $0.method == .patch })
    }

    @Test func unknownKindsAndNamespaceMismatches() async throws {
        let (client, transport) = Fixtures.client(try Self.recordings(Self.aggregated))
        let text = "apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: demo}\n"
        let results = try await client.apply(manifests: text, source: "m.yaml", options: ManifestApplyOptions(namespace: "other"))
        #expect(results.map { $0.error?.message ?? "" } == [
            "the namespace from the provided object \"demo\" does not match the namespace \"other\". You must pass '--namespace=demo' to perform this operation.",
            "resource mapping not found for name: \"g\" namespace: \"other\" from \"m.yaml\": no matches for kind \"Gizmo\" in version \"example.com/v1\"",
        ])
        #expect(results[1].error?.hint == "ensure CRDs are installed first")
        #expect(results[1].error?.code == .resourceNotMapped)
        #expect(!transport.receivedRequests.contains { $0.method == .patch })
    }

    @Test func installOrderPutsDependenciesFirst() throws {
        #expect(ManifestParsing.priority("Namespace") < ManifestParsing.priority("Deployment"))
        #expect(ManifestParsing.priority("Widget") == ManifestParsing.installOrder.count)
    }
}

@Suite("resource arguments as kubectl reads them", .timeLimit(.minutes(1)))
struct ResolveResourceTests {
    @Test("plural, singular, short name, kind and group-qualified names find the resource; core wins for events")
    func resolves() async throws {
        let client = KubeClient(transport: FakeCluster(), namespace: "default")
        for argument in ["pods", "pod", "po", "Pod", "PODS"] {
            #expect(try await client.resolveResource(argument).plural == "pods")
        }
        for argument in ["deploy", "deployments.apps", "deploy.apps", "deployments.v1.apps", "Deployment"] {
            let info = try await client.resolveResource(argument)
            #expect(info.apiVersion == "apps/v1" && info.plural == "deployments")
        }
        #expect(try await client.resolveResource("events").group == "")
        #expect(try await client.resolveResource("events.events.k8s.io").group == "events.k8s.io")
        #expect(try await client.resolveResource("svc").kind == "Service")
    }

    @Test("an unknown name is kubectl's error")
    func unknown() async throws {
        let client = KubeClient(transport: FakeCluster(), namespace: "default")
        let error = await #expect(throws: KubeError.self) { try await client.resolveResource("widgets") }
        #expect(error?.code == .resourceNotMapped)
        #expect(error?.message == "the server doesn't have a resource type \"widgets\"")
    }
}

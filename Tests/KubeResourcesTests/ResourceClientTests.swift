import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("ResourceClient verbs against recorded kube-apiserver exchanges", .timeLimit(.minutes(2)))
struct ResourceClientTests {
    @Test func getDecodesTheRecordedPod() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/01-get-running-pod")])
        let pod = try await client.pods().get("web-555cfbbb78-bj66h")
        #expect(transport.receivedRequests.map(\.description) == ["GET /api/v1/namespaces/demo/pods/web-555cfbbb78-bj66h"])
        #expect(transport.receivedRequests[0].body == nil)
        #expect(pod.metadata?.name == "web-555cfbbb78-bj66h")
        #expect(pod.status?.phase == "Running")
        #expect(pod.spec?.containers?.first?.name == "nginx")
    }

    @Test func getWithConsistencySendsResourceVersion() async throws {
        let recorded = try Fixtures.recording("pods/01-get-running-pod", target: "/api/v1/namespaces/demo/pods/web-555cfbbb78-bj66h?resourceVersion=0")
        let (client, transport) = Fixtures.client([recorded])
        _ = try await client.pods().get("web-555cfbbb78-bj66h", consistency: .any)
        #expect(transport.receivedRequests.map(\.description) == ["GET /api/v1/namespaces/demo/pods/web-555cfbbb78-bj66h?resourceVersion=0"])
    }

    @Test func getOfAMissingPodThrowsNotFound() async throws {
        let (client, _) = Fixtures.client([try Fixtures.recording("errors/01-404-not-found")])
        let error = await #expect(throws: KubeError.self) { try await client.pods().get("does-not-exist") }
        #expect(error?.isNotFound == true)
        #expect(error?.message == "pods \"does-not-exist\" not found in namespace \"demo\"")
    }

    @Test func listWithSelectorsAndLimit() async throws {
        let (client, transport) = Fixtures.client([
            try Fixtures.recording("pods/04-list-pods-label-selector"),
            try Fixtures.recording("pods/09-list-pods-field-selector-running"),
            try Fixtures.recording("pods/05-list-pods-limit-page1"),
        ])
        let pods = client.pods()
        let labelled = try await pods.list(ListOptions(labelSelector: .equals("app", "web")))
        let running = try await pods.list(ListOptions(fieldSelector: .equals("status.phase", "Running")))
        let page = try await pods.list(ListOptions(limit: 2))
        #expect(transport.receivedRequests.map(\.description) == [
            "GET /api/v1/namespaces/demo/pods?labelSelector=app%3Dweb",
            "GET /api/v1/namespaces/demo/pods?fieldSelector=status.phase%3DRunning",
            "GET /api/v1/namespaces/demo/pods?limit=2",
        ])
        #expect(!labelled.items.isEmpty && labelled.items.allSatisfy { $0.metadata?.labels?["app"] == "web" })
        #expect(running.items.allSatisfy { $0.status?.phase == "Running" })
        #expect(page.items.count == 2)
        #expect(page.continueToken?.hasPrefix("eyJ2Ijoi") == true)
        #expect(page.resourceVersion == "496")
    }

    @Test func listInAllNamespaces() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/08-list-pods-all-namespaces")])
        let list = try await client.podsInAllNamespaces.list()
        #expect(transport.receivedRequests.map(\.description) == ["GET /api/v1/pods"])
        #expect(Set(list.items.compactMap(\.metadata?.namespace)).count > 1)
    }

    @Test func listAllFollowsContinueTokens() async throws {
        let (client, transport) = Fixtures.client([
            try Fixtures.recording("pods/05-list-pods-limit-page1"),
            try Fixtures.recording("pods/06-list-pods-limit-page2"),
            try Fixtures.recording("pods/07-list-pods-limit-page3"),
            try Fixtures.recording("pods/03-list-pods"),
        ])
        let names = try await client.pods().listAll(ListOptions(limit: 2)).collect().compactMap(\.metadata?.name)
        let requests = transport.receivedRequests
        #expect(requests.count == 3)
        #expect(requests[0].queryValue("continue") == nil)
        #expect(requests[1].queryValue("continue") == "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDk2LCJzdGFydCI6Ii9hcGktYjk3NDU2YzliLTg5NHBiXHUwMDAwIn0")
        #expect(requests.allSatisfy { $0.queryValue("limit") == "2" && $0.queryValue("resourceVersion") == nil })
        // The pages were recorded at the same resourceVersion (496) as the unpaged list: same pods, same order.
        let whole = try await client.pods().list().items.compactMap(\.metadata?.name)
        #expect(names == whole)
        #expect(names.count == 5)
    }
}

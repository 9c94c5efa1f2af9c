import Foundation
import Testing
import KubeErrors
import KubeTransport
@testable import KubeTesting

enum Recordings {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Recordings")
    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }
}

@Suite("RecordedTransport replays exchanges recorded from kube-apiserver v1.36.2", .timeLimit(.minutes(2)))
struct RecordedTransportTests {
    @Test func everyRecordingLoads() throws {
        var count = 0
        for area in ["apply", "deployments", "discovery", "errors", "events", "pods"] {
            let recordings = try Recording.load(from: Recordings.url(area))
            #expect(!recordings.isEmpty)
            #expect(recordings.allSatisfy { $0.request.path.hasPrefix("/") && $0.response.status >= 200 })
            count += recordings.count
        }
        #expect(count == 86)  // every .json file under Tests/Recordings
    }

    @Test func getReturnsTheRecordedBytes() async throws {
        let recording = try #require(try Recording.load(from: Recordings.url("pods/01-get-running-pod.json")).first)
        let transport = RecordedTransport([recording])
        let (response, body) = try await transport.data(for: KubeRequest(path: recording.request.path))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(body == Array(recording.response.body.utf8))
        #expect(transport.receivedRequests == [KubeRequest(path: recording.request.path)])
    }

    @Test func queryOrderAndEncodingDoNotMatterButValuesDo() async throws {
        let transport = try RecordedTransport(contentsOf: Recordings.url("pods"))
        // 04 was recorded as ?labelSelector=app%3Dweb.
        let (_, body) = try await transport.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods", query: [("labelSelector", "app=web")]))
        #expect(String(decoding: body, as: UTF8.self).contains("\"app\": \"web\""))
        let error = await #expect(throws: KubeError.self) {
            try await transport.send(KubeRequest(path: "/api/v1/namespaces/demo/pods", query: [("labelSelector", "app=db")]))
        }
        #expect(error?.message == "no recording matches GET /api/v1/namespaces/demo/pods?labelSelector=app%3Ddb")
        #expect(error?.hint?.hasPrefix("Closest recorded requests:\n  GET /api/v1/namespaces/demo/pods") == true)
    }

    @Test func pagesFollowTheirContinueTokens() async throws {
        let transport = try RecordedTransport(contentsOf: Recordings.url("pods"))
        var request = KubeRequest(path: "/api/v1/namespaces/demo/pods", query: [("limit", "2")])
        var names = 0
        var pages = 0
        while true {
            let (_, body) = try await transport.data(for: request)
            let list = try JSONDecoder().decode(PodList.self, from: Data(body))
            names += list.items.count
            pages += 1
            guard let token = list.metadata.continue, !token.isEmpty, pages < 10 else { break }
            request = KubeRequest(path: "/api/v1/namespaces/demo/pods", query: [("limit", "2"), ("continue", token)])
        }
        #expect(pages == 3)
        #expect(names == 5)
    }

    @Test func errorResponsesThrowLikeTheRealTransport() async throws {
        let transport = try RecordedTransport(contentsOf: Recordings.url("errors"))
        let error = await #expect(throws: KubeError.self) {
            try await transport.send(KubeRequest(path: "/api/v1/namespaces/demo/pods/does-not-exist"))
        }
        #expect(error?.isNotFound == true)
        #expect(error?.description == "pods \"does-not-exist\" not found in namespace \"demo\"")
    }

    @Test func bodyMatchingAsJSON() async throws {
        let recording = Recording(
            request: .init(method: "POST", path: "/api/v1/namespaces/demo/configmaps", body: #"{"kind": "ConfigMap", "data": {"a": "1"}}"#),
            response: .init(status: 201, headers: ["content-type": "application/json"], body: #"{"kind":"ConfigMap"}"#))
        let transport = RecordedTransport([recording], bodyMatching: .json)
        let (created, _) = try await transport.data(for: KubeRequest(.post, path: "/api/v1/namespaces/demo/configmaps",
                                                                   body: Array(#"{"data":{"a":"1"},"kind":"ConfigMap"}"#.utf8)))
        #expect(created.status == 201)
        await #expect(throws: KubeError.self) {
            try await transport.send(KubeRequest(.post, path: "/api/v1/namespaces/demo/configmaps", body: Array(#"{"kind":"Secret"}"#.utf8)))
        }
    }

    @Test func repeatedRequestsReplayInOrderThenRepeatTheLast() async throws {
        let make = { (text: String) in Recording(request: .init(method: "GET", path: "/x"), response: .init(status: 200, body: text)) }
        let transport = RecordedTransport([make("one"), make("two")])
        var bodies: [String] = []
        for _ in 0..<3 { bodies.append(String(decoding: try await transport.data(for: KubeRequest(path: "/x")).1, as: UTF8.self)) }
        #expect(bodies == ["one", "two", "two"])
    }

    @Test func watchStreamsReplayLineByLine() async throws {
        let recording = try #require(try Recording.load(from: Recordings.url("pods/10-watch-pods.json")).first)
        let transport = RecordedTransport([recording])
        let response = try await transport.send(KubeRequest(.get, target: recording.request.path))
        var types: [String] = []
        for try await line in response.body.lines where !line.isEmpty {
            struct Event: Decodable { var type: String }
            types.append(try JSONDecoder().decode(Event.self, from: Data(line)).type)
        }
        #expect(Set(types).isSuperset(of: ["MODIFIED", "ADDED", "DELETED", "BOOKMARK"]))
    }
}

struct PodList: Decodable {
    struct Meta: Decodable { var `continue`: String? }
    struct Item: Decodable {}
    var metadata: Meta
    var items: [Item]
}

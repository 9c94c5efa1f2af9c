import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("Watch: one stream, and the resilient watch that resumes and re-lists", .timeLimit(.minutes(2)))
struct WatchTests {
    static let watchFrom496 = "/api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=496&timeoutSeconds=8&watch=true"

    @Test func oneStreamDecodesEveryEvent() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/10-watch-pods", target: Self.watchFrom496)])
        let stream = try await client.pods().watchStream(WatchOptions(resourceVersion: "496", timeoutSeconds: 8))
        var events: [String] = []
        for try await event in stream {
            events.append("\(event.type) \(event.object?.metadata?.name ?? "-") \(event.object?.metadata?.resourceVersion ?? "")")
        }
        #expect(transport.receivedRequests.map(\.description) == ["GET \(Self.watchFrom496)"])
        #expect(transport.receivedRequests[0].kind == .stream)
        #expect(events == [
            "MODIFIED web-555cfbbb78-l79ph 497", "MODIFIED web-555cfbbb78-mzj7h 498", "ADDED web-555cfbbb78-7wgws 499",
            "MODIFIED web-555cfbbb78-7wgws 505", "MODIFIED web-555cfbbb78-mzj7h 508", "MODIFIED web-555cfbbb78-7wgws 511",
            "MODIFIED web-555cfbbb78-mzj7h 512", "DELETED web-555cfbbb78-mzj7h 513", "MODIFIED web-555cfbbb78-7wgws 516",
            "MODIFIED web-555cfbbb78-7wgws 519", "BOOKMARK - 519", "BOOKMARK - 522",
        ])
    }

    @Test func anErrorEventThrowsTheStatus() async throws {
        let target = "/api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=1&timeoutSeconds=5&watch=true"
        let (client, _) = Fixtures.client([try Fixtures.recording("errors/15-410-watch-too-old-resource-version", target: target)])
        let stream = try await client.pods().watchStream(WatchOptions(resourceVersion: "1", timeoutSeconds: 5))
        let error = await #expect(throws: KubeError.self) { for try await _ in stream {} }
        #expect(error?.isGoneOrExpired == true)
        #expect(error?.httpStatusCode == 410)
        #expect(error?.message.contains("too old resource version") == true)
    }

    @Test func watchListEndsItsInitialEventsWithABookmark() async throws {
        let target = "/api/v1/namespaces/demo/pods?allowWatchBookmarks=true&labelSelector=app%3Dweb&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=3&watch=true"
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/19-watch-list-send-initial-events", target: target)])
        let stream = try await client.pods().watchStream(WatchOptions(labelSelector: .equals("app", "web"), timeoutSeconds: 3, sendInitialEvents: true))
        var events: [WatchEvent<CoreV1.Pod>] = []
        for try await event in stream { events.append(event) }
        #expect(transport.receivedRequests.map(\.description) == ["GET \(target)"])
        #expect(events.map(\.type) == ["ADDED", "ADDED", "ADDED", "BOOKMARK"])
        guard case .bookmark(let marker) = events.last else { Issue.record("no bookmark"); return }
        #expect(marker.metadata?.annotations?["k8s.io/initial-events-end"] == "true")
        #expect(marker.metadata?.resourceVersion == "1167")
    }

    @Test func resilientWatchRelistsOnGoneAndResumesFromTheLastVersion() async throws {
        let recordings = [
            try Fixtures.recording("errors/15-410-watch-too-old-resource-version",
                                   target: "/api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=1&timeoutSeconds=8&watch=true"),
            try Fixtures.recording("pods/03-list-pods", target: "/api/v1/namespaces/demo/pods?limit=500"),
            try Fixtures.recording("pods/10-watch-pods", target: Self.watchFrom496),
            // After the stream ends: a re-watch from the last bookmark's version (522).
            try Fixtures.recording("pods/18-watch-pods-initial-state",
                                   target: "/api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=522&timeoutSeconds=8&watch=true"),
        ]
        let (client, transport) = Fixtures.client(recordings)
        let watch = client.pods().watch(WatchOptions(resourceVersion: "1", timeoutSeconds: 8))
            .pacing(restartDelay: .milliseconds(1), initialBackoff: .milliseconds(1), maximumBackoff: .milliseconds(2))
        let seen = try await Self.first(14, of: watch)
        #expect(transport.receivedRequests.map(\.description) == [
            "GET /api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=1&timeoutSeconds=8&watch=true",
            "GET /api/v1/namespaces/demo/pods?limit=500",
            "GET \(Self.watchFrom496)",
            "GET /api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=522&timeoutSeconds=8&watch=true",
        ])
        // Bookmarks move the position but are not delivered.
        #expect(seen == [
            "RELISTED 5", "MODIFIED 497", "MODIFIED 498", "ADDED 499", "MODIFIED 505", "MODIFIED 508", "MODIFIED 511",
            "MODIFIED 512", "DELETED 513", "MODIFIED 516", "MODIFIED 519", "ADDED 1138", "ADDED 1078", "ADDED 1082",
        ])
    }

    @Test("410 Gone, then a 503 on the re-list, then 200: the watch carries on and delivers every event once")
    func relistFailuresBackOffInsteadOfEndingTheWatch() async throws {
        let unavailable = Recording(request: .init(method: "GET", path: "/api/v1/namespaces/demo/pods?limit=500"),
                                    response: .init(status: 503, headers: ["Content-Type": "application/json"],
                                                    body: #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd leader changed","reason":"ServiceUnavailable","code":503}"#))
        let recordings = [
            try Fixtures.recording("errors/15-410-watch-too-old-resource-version",
                                   target: "/api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=1&timeoutSeconds=8&watch=true"),
            unavailable,
            try Fixtures.recording("pods/03-list-pods", target: "/api/v1/namespaces/demo/pods?limit=500"),
            try Fixtures.recording("pods/10-watch-pods", target: Self.watchFrom496),
        ]
        let (client, transport) = Fixtures.client(recordings)
        let clock = RecordingClock()
        let watch = client.pods().watch(WatchOptions(resourceVersion: "1", timeoutSeconds: 8))
            .pacing(restartDelay: .seconds(1), initialBackoff: .milliseconds(800), maximumBackoff: .seconds(30), clock: clock)
        let seen = try await Self.first(11, of: watch)
        #expect(transport.receivedRequests.map(\.description) == [
            "GET /api/v1/namespaces/demo/pods?allowWatchBookmarks=true&resourceVersion=1&timeoutSeconds=8&watch=true",
            "GET /api/v1/namespaces/demo/pods?limit=500",
            "GET /api/v1/namespaces/demo/pods?limit=500",
            "GET \(Self.watchFrom496)",
        ])
        #expect(seen == [
            "RELISTED 5", "MODIFIED 497", "MODIFIED 498", "ADDED 499", "MODIFIED 505", "MODIFIED 508", "MODIFIED 511",
            "MODIFIED 512", "DELETED 513", "MODIFIED 516", "MODIFIED 519",
        ])
        #expect(clock.sleeps == [.milliseconds(800), .seconds(1)], "one backoff after the 503, the restart pause before the watch")
    }

    @Test func resilientWatchStopsOnPermanentErrors() async throws {
        let (client, _) = Fixtures.client([
            try Fixtures.recording("errors/12-403-forbidden-impersonation",
                                   target: "/api/v1/namespaces/demo/pods?allowWatchBookmarks=true&timeoutSeconds=290&watch=true"),
        ])
        let error = await #expect(throws: KubeError.self) { for try await _ in client.pods().watch() {} }
        #expect(error?.isForbidden == true)
    }

    @Test func peekTypeReadsTheLeadingField() {
        #expect(WatchEventDecoding.peekType(Array(#"{"type":"ADDED","object":{}}"#.utf8)) == "ADDED")
        #expect(WatchEventDecoding.peekType(Array(#"{"object":{},"type":"ADDED"}"#.utf8)) == nil)
    }

    @Test func eventsInAnotherFieldOrderStillDecode() throws {
        let request = KubeRequest(path: "/api/v1/pods")
        let event = try WatchEventDecoding.decode(Array(#"{"object":{"metadata":{"name":"a"}},"type":"DELETED"}"#.utf8),
                                                  as: CoreV1.Pod.self, request: request)
        #expect(event.type == "DELETED")
        #expect(event.object?.metadata?.name == "a")
    }

    /// The first `count` events of a watch as `TYPE resourceVersion` (`RELISTED n` for a re-list).
    static func first(_ count: Int, of watch: ResourceWatch<CoreV1.Pod>) async throws -> [String] {
        var seen: [String] = []
        for try await event in watch {
            if case .relisted(let pods) = event {
                seen.append("RELISTED \(pods.count)")
            } else {
                seen.append("\(event.type) \(event.object?.metadata?.resourceVersion ?? "")")
            }
            if seen.count == count { break }
        }
        return seen
    }
}

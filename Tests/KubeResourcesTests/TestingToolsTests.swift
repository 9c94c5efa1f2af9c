import Foundation
import Testing
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

/// KubeTesting as a user meets it: shipped recordings, matching rules, a scripted transport, a clean end.
@Suite("KubeTesting for users", .timeLimit(.minutes(1)))
struct TestingToolsTests {
    static let watchRecording = Fixtures.root.appendingPathComponent("pods/10-watch-pods.json")

    @Test("a shipped watch recording (watch=1, as curl sent it) answers watch(), which ends after the recorded events")
    func recordedWatchEndsCleanly() async throws {
        let transport = try RecordedTransport(contentsOf: Self.watchRecording, matching: .ignoringWatchParameters)
        var kinds: [String] = []
        // A recording clock: the watch's pause before reconnecting returns at once.
        let watch = KubeClient(transport: transport, namespace: "demo").pods().watch()
            .pacing(restartDelay: .seconds(1), initialBackoff: .seconds(1), maximumBackoff: .seconds(30), clock: RecordingClock())
        for try await event in watch {
            switch event {
            case .added: kinds.append("ADDED")
            case .modified: kinds.append("MODIFIED")
            case .deleted: kinds.append("DELETED")
            default: kinds.append("other")
            }
        }
        #expect(kinds == ["MODIFIED", "MODIFIED", "ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED", "MODIFIED", "MODIFIED"])
        // The reconnect from the last resourceVersion found the script over.
        #expect(transport.receivedRequests.count == 2)
        #expect(transport.receivedRequests.last?.query.contains { $0.name == "resourceVersion" } == true)
    }

    @Test("without loosened matching the same request is refused, naming the closest recording")
    func exactMatchingRefuses() async throws {
        let transport = try RecordedTransport(contentsOf: Self.watchRecording)
        let error = await #expect(throws: KubeError.self) {
            for try await _ in KubeClient(transport: transport, namespace: "demo").pods().watch() {}
        }
        #expect(error?.code == .unsupported)
        #expect(error?.hint?.contains("watch=1") == true)
    }

    @Test("ignored query items and value order")
    func queryMatching() async throws {
        let recording = Recording(request: .init(method: "GET", path: "/api/v1/pods?command=b&command=a&limit=5"),
                                  response: .init(status: 200, body: "{}"))
        let loose = RecordedTransport([recording], matching: .init(ignoredQueryItems: ["limit"], ignoresQueryValueOrder: true))
        _ = try await loose.send(KubeRequest(path: "/api/v1/pods", query: [("command", "a"), ("command", "b"), ("limit", "500")]))
        let strict = RecordedTransport([recording])
        await #expect(throws: KubeError.self) {
            try await strict.send(KubeRequest(path: "/api/v1/pods", query: [("command", "a"), ("command", "b"), ("limit", "5")]))
        }
        _ = try await strict.send(KubeRequest(path: "/api/v1/pods", query: [("command", "b"), ("command", "a"), ("limit", "5")]))
    }

    @Test("a recording retargeted to the request the code sends")
    func retargeting() async throws {
        let recording = try #require(try Recording.load(from: Self.watchRecording).first)
        let request = KubeRequest(path: "/api/v1/namespaces/demo/pods", query: [("watch", "true")], kind: .stream)
        let retargeted = recording.answering(request)
        #expect(retargeted.request.path == "/api/v1/namespaces/demo/pods?watch=true")
        #expect(retargeted.response == recording.response)
        let transport = RecordedTransport([retargeted])
        let (_, body) = try await transport.data(for: request)
        #expect(body.count == recording.response.body.utf8.count)
        #expect(recording.retargeted(to: "/x", method: "post").request.method == "POST")
    }

    @Test("a scripted transport: a response per request, errors as the server's Status, a clean end for a watch")
    func scripted() async throws {
        let pod = try Fixtures.body("pods/01-get-running-pod")
        let watchBody = try Fixtures.body("pods/10-watch-pods")
        let calls = Counter()
        let transport = ScriptedTransport { request in
            switch (request.method, request.kind) {
            case (.get, .stream):
                guard calls.increment() == 1 else { throw ScriptedTransport.endOfScript(request) }
                return .json(watchBody)
            case (.get, _) where request.path.hasSuffix("/web-555cfbbb78-bj66h"):
                return .json(pod)
            case (.delete, _):
                return .status(403, reason: "Forbidden", message: #"pods "web-0" is forbidden: User "bot" cannot delete resource "pods""#)
            default:
                throw ScriptedTransport.endOfScript(request)
            }
        }
        let pods = KubeClient(transport: transport, namespace: "demo", tier: .write).pods()
        #expect(try await pods.get("web-555cfbbb78-bj66h").metadata?.name == "web-555cfbbb78-bj66h")
        let error = await #expect(throws: KubeError.self) { try await pods.delete("web-0") }
        #expect(error?.isForbidden == true)
        #expect(error?.message == #"pods "web-0" is forbidden: User "bot" cannot delete resource "pods""#)
        var events = 0
        for try await _ in pods.watch().pacing(restartDelay: .seconds(1), initialBackoff: .seconds(1), maximumBackoff: .seconds(30),
                                               clock: RecordingClock()) { events += 1 }
        #expect(events == 10)
        #expect(transport.receivedRequests.map(\.method) == [.get, .delete, .get, .get])
    }
}

/// A thread-safe counter for closures.
final class Counter: Sendable {
    private let value = Locked(0)
    /// Adds one and returns the new value.
    @discardableResult func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}

import Foundation
import Testing
import KubeErrors
import KubeRuntime
import KubeTesting
import KubeTransport
@testable import KubeResources

/// A pod as JSON (namespace demo).
private func pod(_ name: String, version: String, node: String = "n1", phase: String = "Running") -> String {
    #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"\#(name)","namespace":"demo","resourceVersion":"\#(version)","labels":{"app":"web"}},"spec":{"nodeName":"\#(node)"},"status":{"phase":"\#(phase)"}}"#
}

private func list(_ pods: [String], version: String) -> String {
    #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"\#(version)"},"items":[\#(pods.joined(separator: ","))]}"#
}

private func line(_ type: String, _ object: String) -> String { #"{"type":"\#(type)","object":\#(object)}"# }

@Suite("Informer: list, watch, re-list on 410", .timeLimit(.minutes(1)))
struct InformerTests {
    /// A script: list (a, b) → watch (add c, modify a, delete b) → 410 → re-list (a changed, c, d new) → end.
    func script() -> ScriptedTransport {
        let calls = Locked((lists: 0, watches: 0))
        return ScriptedTransport { request in
            let isWatch = request.query.contains { $0.name == "watch" }
            if !isWatch {
                let number = calls.withLock { $0.lists += 1; return $0.lists }
                return number == 1
                    ? .json(list([pod("a", version: "1"), pod("b", version: "2")], version: "10"))
                    : .json(list([pod("a", version: "30", phase: "Failed"), pod("c", version: "11"), pod("d", version: "31", node: "n2")], version: "31"))
            }
            switch calls.withLock({ $0.watches += 1; return $0.watches }) {
            case 1:
                #expect(request.query.contains { $0 == ("resourceVersion", "10") })
                return .json([line("ADDED", pod("c", version: "11")), line("MODIFIED", pod("a", version: "12", node: "n2")),
                              line("DELETED", pod("b", version: "13"))].joined(separator: "\n") + "\n")
            case 2:
                return .status(410, reason: "Expired", message: "too old resource version: 13 (25)")
            default:
                throw ScriptedTransport.endOfScript(request)
            }
        }
    }

    @Test("events carry the old object, the store and indexes follow, a 410 re-list sends only the difference")
    func lifecycle() async throws {
        let transport = script()
        let informer = Informer(KubeClient(transport: transport, namespace: "demo").pods(),
                                indexers: ["node": { [$0.spec?.nodeName ?? ""] }], clock: RecordingClock())
        #expect(!informer.hasSynced)
        try await informer.run()
        #expect(informer.hasSynced)
        var seen: [String] = []
        for await event in informer.events {
            switch event {
            case .added(let new): seen.append("+\(new.metadata?.name ?? "")@\(new.metadata?.resourceVersion ?? "")")
            case .updated(let old, let new): seen.append("~\(new.metadata?.name ?? "")@\(old.metadata?.resourceVersion ?? "")→\(new.metadata?.resourceVersion ?? "")")
            case .deleted(let old): seen.append("-\(old.metadata?.name ?? "")@\(old.metadata?.resourceVersion ?? "")")
            }
        }
        // The list's adds come in no particular order.
        #expect(Set(seen.prefix(2)) == ["+a@1", "+b@2"])
        #expect(Array(seen[2..<5]) == ["+c@11", "~a@1→12", "-b@2"])
        #expect(Set(seen.dropFirst(5)) == ["~a@12→30", "+d@31"])   // c unchanged: no event
        #expect(Set(informer.store.keys) == ["demo/a", "demo/c", "demo/d"])
        #expect(informer.store.get("a", namespace: "demo")?.status?.phase == "Failed")
        #expect(Set(informer.store.byIndex("node", "n1").compactMap(\.metadata?.name)) == ["a", "c"])
        #expect(informer.store.byIndex("node", "n2").compactMap(\.metadata?.name) == ["d"])
    }

    @Test("waitForSync returns once the first list is stored; resync delivers every object again")
    func syncAndResync() async throws {
        let transport = ScriptedTransport { request in
            if request.query.contains(where: { $0.name == "watch" }) {
                // Hold the watch open until the test ends it.
                try await Task.sleep(for: .seconds(60))
                throw ScriptedTransport.endOfScript(request)
            }
            return .json(list([pod("a", version: "1")], version: "5"))
        }
        let informer = Informer(KubeClient(transport: transport, namespace: "demo").pods(), resyncPeriod: .seconds(30), clock: ImmediateClock())
        let running = Task { try await informer.run() }
        await informer.waitForSync()
        #expect(informer.store.count == 1)
        var events = informer.events.makeAsyncIterator()
        guard case .added = await events.next() else { Issue.record("expected the list's add first"); return }
        guard case .updated(let old, let new)? = await events.next() else { Issue.record("expected a resync"); return }
        #expect(old == new)
        running.cancel()
    }
}

/// A clock whose sleeps return at once (a resync loop then runs as fast as it is read).
struct ImmediateClock: Clock {
    typealias Duration = Swift.Duration
    struct Instant: InstantProtocol {
        var offset: Swift.Duration
        func advanced(by duration: Swift.Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Swift.Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }
    var now: Instant { Instant(offset: .zero) }
    var minimumResolution: Swift.Duration { .zero }
    func sleep(until deadline: Instant, tolerance: Swift.Duration?) async throws {
        try Task.checkCancellation()
        await Task.yield()
    }
}

@Suite("WorkQueue: de-duplication, one worker per item, rate limits", .timeLimit(.minutes(1)))
struct WorkQueueTests {
    @Test("an item waiting is queued once; one being processed comes back after done")
    func deduplication() async {
        let queue = WorkQueue<String>()
        queue.add("a"); queue.add("b"); queue.add("a")
        #expect(queue.count == 2)
        let first = await queue.next()
        #expect(first == "a")
        queue.add("a")                 // while processing: not handed out again yet
        #expect(await queue.next() == "b")
        #expect(queue.count == 0)
        queue.done("a")                // now it comes back
        #expect(await queue.next() == "a")
        queue.done("a"); queue.done("b")
        queue.shutDown()
        #expect(await queue.next() == nil)
    }

    @Test("a waiting worker gets the next item at once")
    func waitingWorker() async {
        let queue = WorkQueue<Int>()
        async let item = queue.next()
        try? await Task.sleep(for: .milliseconds(10))
        queue.add(7)
        #expect(await item == 7)
    }

    @Test("rate-limited delays double per failure up to the maximum; forget resets")
    func rateLimits() async throws {
        let clock = RecordingClock()
        let queue = WorkQueue<String>(baseDelay: .milliseconds(5), maximumDelay: .seconds(1), clock: clock)
        #expect((0..<10).map { queue.delay(afterFailures: $0) } == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40),
                                                                    .milliseconds(80), .milliseconds(160), .milliseconds(320), .milliseconds(640),
                                                                    .seconds(1), .seconds(1)])
        queue.addRateLimited("x")
        queue.addRateLimited("x")
        #expect(queue.failures(of: "x") == 2)
        #expect(await queue.next() == "x")   // the delayed add arrives (the recording clock does not wait)
        queue.forget("x")
        #expect(queue.failures(of: "x") == 0)
        queue.shutDown()
    }
}

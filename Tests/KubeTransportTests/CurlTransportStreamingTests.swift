import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeRetry
@testable import KubeTransport

@Suite("CurlTransport streaming, cancellation, timeouts, auth and retries", .timeLimit(.minutes(2)))
struct CurlTransportStreamingTests {
    @Test func chunkedStreamsArriveAsLines() async throws {
        let events = (1...500).map { #"{"type":"MODIFIED","object":{"n":\#($0)}}"# + "\n" }
        let server = try LoopbackServer { _ in
            LoopbackServer.Response(parts: events.enumerated().flatMap { index, event in
                index % 100 == 99 ? [.data(Array(event.utf8)), .pause(milliseconds: 20)] : [.data(Array(event.utf8))]
            })
        }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let response = try await transport.send(KubeRequest(path: "/api/v1/pods", query: [("watch", "true")], kind: .stream))
        var lines: [String] = []
        for try await line in response.body.lines { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines.count == 500)
        #expect(lines.first == #"{"type":"MODIFIED","object":{"n":1}}"#)
        #expect(lines.last == #"{"type":"MODIFIED","object":{"n":500}}"#)
    }

    @Test("a slow consumer pauses the transfer: buffered bytes stay bounded on a 48 MB stream")
    func backPressureBoundsMemory() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.lines(count: 3 * 1024, size: 16 * 1024)]) }
        var configuration = CurlTransport.Configuration.testing()
        configuration.highWatermark = 1 << 20
        configuration.lowWatermark = 256 << 10
        let transport = CurlTransport(server.client(), configuration: configuration)
        defer { transport.shutdownNow() }
        let response = try await transport.send(KubeRequest(path: "/watch", kind: .stream))
        var total = 0
        var chunks = 0
        for try await chunk in response.body {
            total += chunk.count
            chunks += 1
            if chunks % 64 == 0 { try await Task.sleep(for: .milliseconds(5)) }  // a slow consumer
        }
        #expect(total == 3 * 1024 * 16 * 1024)
        let peak = response.body.stream.peakBufferedBytes
        #expect(peak <= configuration.highWatermark + 512 * 1024, "peak buffer \(peak) bytes")
    }

    @Test func cancellingTheTaskAbortsTheTransferPromptly() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.data(Array("first\n".utf8)), .pause(milliseconds: 30_000)]) }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let task = Task {
            let response = try await transport.send(KubeRequest(path: "/watch", kind: .stream))
            var lines = 0
            for try await _ in response.body.lines { lines += 1 }
            return lines
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        task.cancel()
        let result = await task.result
        // Not a speed target: the server's 30 s pause is what an uncancelled transfer would wait out.
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func cancellingBeforeTheHeadArrivesThrowsCancellation() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.pause(milliseconds: 30_000)]) }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        // The server writes its head at once; delay the head by using a handler that pauses first.
        let task = Task { try await transport.data(for: KubeRequest(path: "/slow")) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let started = ContinuousClock.now
        let result = await task.result
        #expect(ContinuousClock.now - started < .seconds(15), "aborted, not waited out (the server pauses 30 s)")
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func requestTimeout() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.pause(milliseconds: 30_000), .data([])]) }
        var configuration = CurlTransport.Configuration.testing(retry: .disabled)
        configuration.requestTimeout = .milliseconds(400)
        let transport = CurlTransport(server.client(), configuration: configuration)
        defer { transport.shutdownNow() }
        let started = ContinuousClock.now
        let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/slow")) }
        #expect(error?.code == .timeout)
        #expect(error?.isTimeout == true)
        #expect(ContinuousClock.now - started < .seconds(15), "the budget ended the call, not the server's 30 s pause")
    }

    @Test func streamIdleTimeout() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.data(Array("one\n".utf8)), .pause(milliseconds: 10_000)]) }
        var configuration = CurlTransport.Configuration.testing(retry: .disabled)
        configuration.streamIdleTimeout = .seconds(1)
        let transport = CurlTransport(server.client(), configuration: configuration)
        defer { transport.shutdownNow() }
        let response = try await transport.send(KubeRequest(path: "/watch", kind: .stream))
        var lines: [String] = []
        let error = await #expect(throws: KubeError.self) {
            for try await line in response.body.lines { lines.append(String(decoding: line, as: UTF8.self)) }
        }
        #expect(lines == ["one"])
        #expect(error?.code == .timeout)
    }

    @Test func connectionResetMidBodyIsAClearErrorNotAPartialObject() async throws {
        let server = try LoopbackServer(http2: false) { _ in
            LoopbackServer.Response(parts: [.data(Array(#"{"kind":"PodList","items":[{"metadata":"#.utf8)), .pause(milliseconds: 50), .reset])
        }
        let transport = CurlTransport(server.client(), configuration: .testing(retry: .disabled))
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api/v1/pods")) }
        #expect(error?.code == .transport)
        #expect(error?.message.hasPrefix("stream error when reading the response body after 39 bytes") == true, "\(error?.message ?? "")")
    }

    @Test func unauthorizedRefreshesOnceAndResends() async throws {
        let server = try LoopbackServer { request in
            request.header("authorization") == "Bearer fresh"
                ? .json("{}")
                : .json(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#, status: 401)
        }
        let provider = SequenceCredentialProvider(["stale", "fresh"])
        let transport = CurlTransport(server.client(credentials: provider), configuration: .testing())
        defer { transport.shutdownNow() }
        let (response, _) = try await transport.data(for: KubeRequest(.post, path: "/api/v1/namespaces/demo/configmaps", body: Array("{}".utf8)))
        #expect(response.status == 200)
        #expect(server.requests.map { $0.header("authorization") } == ["Bearer stale", "Bearer fresh"])
        #expect(await provider.refreshes == 1)
    }

    @Test func unauthorizedTwiceThrowsWithAHint() async throws {
        let server = try LoopbackServer { _ in
            .json(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#, status: 401)
        }
        let provider = SequenceCredentialProvider(["one", "two", "three"])
        let transport = CurlTransport(server.client(credentials: provider), configuration: .testing())
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.send(KubeRequest(path: "/api")) }
        #expect(error?.code == .unauthorized)
        #expect(error?.isUnauthorized == true)
        #expect(error?.hint?.contains("even after they were refreshed once") == true)
        #expect(server.requests.count == 2)
        #expect(await provider.refreshes == 1)
    }

    @Test func concurrentUnauthorizedRequestsShareOneRefresh() async throws {
        let server = try LoopbackServer { request in
            request.header("authorization") == "Bearer fresh" ? .json("{}") : .json("{}", status: 401)
        }
        let provider = SequenceCredentialProvider(["stale", "fresh"])
        let transport = CurlTransport(server.client(credentials: provider), configuration: .testing())
        defer { transport.shutdownNow() }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<10 { group.addTask { try await transport.data(for: KubeRequest(path: "/api")).0.status } }
            for try await status in group { #expect(status == 200) }
        }
        #expect(await provider.refreshes == 1)
    }

    @Test func tooManyRequestsWithRetryAfterIsRetriedForEveryVerb() async throws {
        let attempts = Counter()
        let server = try LoopbackServer { _ in
            attempts.increment() == 1
                ? .json(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Too many requests","reason":"TooManyRequests","code":429}"#,
                        status: 429, headers: [("Retry-After", "2")])
                : .json("{}", status: 201)
        }
        let clock = RecordingClock()
        let transport = CurlTransport(server.client(), configuration: .testing(clock))
        defer { transport.shutdownNow() }
        let (response, _) = try await transport.data(for: KubeRequest(.post, path: "/api/v1/namespaces/demo/pods", body: Array("{}".utf8)))
        #expect(response.status == 201)
        #expect(server.requests.count == 2)
        #expect(clock.sleeps.count == 1)
        #expect(clock.sleeps == [.seconds(2)])
    }

    @Test func serviceUnavailableWithoutRetryAfterOnlyRetriesIdempotentRequests() async throws {
        let server = try LoopbackServer { _ in .json("", status: 503) }
        let clock = RecordingClock()
        let transport = CurlTransport(server.client(), configuration: .testing(clock, retry: RetryPolicy(maxAttempts: 3, jitter: 0)))
        defer { transport.shutdownNow() }
        let post = await #expect(throws: KubeError.self) { try await transport.send(KubeRequest(.post, path: "/api/v1/namespaces/demo/pods", body: [])) }
        #expect(post?.isServiceUnavailable == true)
        #expect(server.requests.count == 1)
        let get = await #expect(throws: KubeError.self) { try await transport.send(KubeRequest(path: "/api/v1/namespaces/demo/pods")) }
        #expect(get?.isServiceUnavailable == true)
        #expect(server.requests.count == 4)
        #expect(clock.sleeps == [.milliseconds(200), .milliseconds(400)])
        #expect(get?.message.contains("(after 3 attempts in ") == true)
    }

    @Test func connectionRefusedIsRetriedEvenForPOSTAndThenReported() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let client = server.client()
        server.stop()
        let clock = RecordingClock()
        // The 2 s window is real time, which a loaded machine (or ThreadSanitizer) can use up on the first
        // attempt alone; RetryPolicyTests checks the window, this test the attempts and the message.
        let policy = RetryPolicy(maxAttempts: 3, connectionRetryWindow: .seconds(60), jitter: 0)
        let transport = CurlTransport(client, configuration: .testing(clock, retry: policy))
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.send(KubeRequest(.post, path: "/api/v1/namespaces/demo/pods", body: [])) }
        #expect(error?.code == .transport)
        #expect(error?.message.contains("refused") == true)
        #expect(error?.message.contains("127.0.0.1:\(server.port)") == true)
        #expect(error?.message.contains("after 3 attempts") == true)
        #expect(clock.sleeps.count == 2, "never reached the server, so even a POST is retried")
    }
}

/// A thread-safe counter for server handlers.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    func decrement() -> Int { value.withLock { $0 -= 1; return $0 } }
}

private extension Duration {
    static func / (lhs: Duration, rhs: Duration) -> Double { lhs.seconds / rhs.seconds }
}

import Synchronization

@Suite("Response heads arrive before the body", .timeLimit(.minutes(2)))
struct ResponseHeadTests {
    @Test("send returns as soon as the headers are in, even when the first body byte is far away")
    func headBeforeBody() async throws {
        let server = try LoopbackServer { _ in
            LoopbackServer.Response(headers: [("Content-Type", "application/json"), ("X-Check", "yes")],
                                    parts: [.pause(milliseconds: 30_000), .data(Array("{}\n".utf8))])
        }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let started = ContinuousClock.now
        let response = try await transport.send(KubeRequest(path: "/watch", kind: .stream))
        // Not a speed target: waiting for the body would take the server's 30 s pause.
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(response.headers["x-check"] == "yes")
        #expect(response.headers["Content-Type"] == "application/json")
        response.body.cancel()
    }
}

@Suite("Cancellation edge cases", .timeLimit(.minutes(2)))
struct CancellationEdgeTests {
    @Test("a request sent from an already-cancelled task fails at once instead of hanging")
    func alreadyCancelledTask() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            return try await transport.data(for: KubeRequest(path: "/api")).0.status
        }
        task.cancel()
        // Poll rather than await: a hanging request must fail this test, not hang the test run.
        let finished = Counter()
        Task { _ = try? await task.value; _ = finished.increment() }
        // Generous: under ThreadSanitizer with the whole suite running, 5 s was once not enough.
        let deadline = ContinuousClock.now + .seconds(20)
        while finished.increment() == 1, ContinuousClock.now < deadline {
            _ = finished.decrement()
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(ContinuousClock.now < deadline, "the request from a cancelled task never finished")
    }
}

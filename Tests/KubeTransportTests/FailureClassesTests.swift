import Foundation
import Logging
import InMemoryLogging
import NIOCore
import NIOPosix
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeRetry
@testable import KubeTransport

/// One test per failure class of "trustworthy under failure": how many attempts, what the error says.
/// Waits between attempts go to a recording clock, so nothing here sleeps for the retry policy.
@Suite("Failure classes: bounded attempts, clear errors", .timeLimit(.minutes(2)))
struct FailureClassesTests {
    func transport(_ client: ClientConfiguration, _ clock: RecordingClock = RecordingClock(),
                   _ edit: (inout CurlTransport.Configuration) -> Void = { _ in }) -> CurlTransport {
        var configuration = CurlTransport.Configuration()
        configuration.clock = clock
        edit(&configuration)
        return CurlTransport(client, configuration: configuration)
    }

    @Test("TLS verification failures are not retried and name the kubeconfig field to fix")
    func tlsFailuresAreFinal() async throws {
        let server = try LoopbackServer(tls: .server(certificate: "named-server")) { _ in .json("{}") }
        for (client, reason) in [(server.client(ca: "wrong-ca.pem"), "not signed by a trusted certificate authority"),
                                 (server.client(), "not valid for the host name 127.0.0.1"),
                                 (server.client(ca: nil), "not signed by a trusted certificate authority")] {
            var named = client
            named.clusterName = "prod"
            let clock = RecordingClock()
            let transport = transport(named, clock)
            defer { transport.shutdownNow() }
            let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api")) }
            #expect(error?.message.hasPrefix("the TLS certificate of 127.0.0.1:\(server.port) could not be verified: its certificate is \(reason)") == true)
            #expect(error?.hint?.contains("certificate-authority-data of the cluster \"prod\"") == true)
            #expect(clock.sleeps.isEmpty)
        }
        #expect(server.requests.isEmpty)
    }

    @Test("a GET answered 500 every time: 3 attempts, 0.2 s and 0.4 s apart, then the server's message")
    func internalErrorsThreeTimes() async throws {
        let status = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Get \"https://10.0.0.7:10250/containerLogs/demo/web/app\": dial tcp 10.0.0.7:10250: connect: connection refused","code":500}"#
        let server = try LoopbackServer { _ in .json(status, status: 500) }
        let clock = RecordingClock()
        let transport = transport(server.client(), clock) { $0.retryPolicy.jitter = 0 }
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods/web/log")) }
        #expect(server.requests.count == 3)
        #expect(clock.sleeps == [.milliseconds(200), .milliseconds(400)])
        #expect(error?.httpStatusCode == 500)
        #expect(error?.message.hasPrefix("Get \"https://10.0.0.7:10250/containerLogs/demo/web/app\": dial tcp") == true)
        #expect(error?.message.contains("(after 3 attempts in ") == true)
    }

    @Test("an HTML 502 page from a proxy: 3 attempts, then a bounded excerpt")
    func proxyErrorPage() async throws {
        let server = try LoopbackServer { _ in
            LoopbackServer.Response(status: 502, headers: [("Content-Type", "text/html")],
                                    parts: [.data(Array("<html><body><h1>502 Bad Gateway</h1></body></html>".utf8))])
        }
        let clock = RecordingClock()
        let transport = transport(server.client(), clock)
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api")) }
        #expect(server.requests.count == 3)
        #expect(error?.httpStatusCode == 502)
    }

    @Test("a peer that closes every connection right after accepting: 3 quick attempts, then host:port and what happened")
    func closedRightAfterAccept() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let accepted = Counter()
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                _ = accepted.increment()
                return channel.close()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        for scheme in ["https", "http"] {
            let client = ClientConfiguration(server: URL(string: "\(scheme)://127.0.0.1:\(port)")!, authentication: [],
                                             credentials: StaticCredentialProvider(Credentials()))
            let clock = RecordingClock()
            // A wide window: the real 2 s one is checked in RetryPolicyTests, not against a loaded machine.
            let transport = transport(client, clock) { $0.retryPolicy.connectionRetryWindow = .seconds(60) }
            defer { transport.shutdownNow() }
            let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api")) }
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
            #expect(error?.message.contains("after 3 attempts") == true, "\(error?.message ?? "")")
            #expect(clock.sleeps.count == 2)
        }
        #expect(accepted.increment() == 7)
        try await channel.close()
        try await group.shutdownGracefully()
    }

    @Test("response headers, then no body byte: a 'stalled' error after the stall timeout, not a hang")
    func headersThenSilence() async throws {
        let server = try LoopbackServer { _ in
            LoopbackServer.Response(status: 200, parts: [.data(Array("{".utf8)), .pause(milliseconds: 30_000)])
        }
        let transport = transport(server.client()) { $0.stallTimeout = .seconds(1) }
        defer { transport.shutdownNow() }
        let response = try await transport.send(KubeRequest(path: "/api/v1/pods"))
        let error = await #expect(throws: KubeError.self) { try await response.body.collect(upTo: 1 << 20) }
        #expect(error?.code == .timeout)
        #expect(error?.message.hasPrefix("the response from 127.0.0.1:\(server.port) stalled") == true)
    }

    @Test("one time budget per call: a wait that would pass it is not started, and the error says so")
    func timeBudget() async throws {
        let server = try LoopbackServer { _ in
            .json(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server is shutting down","code":503}"#,
                  status: 503, headers: [("Retry-After", "10")])
        }
        let clock = RecordingClock()
        let transport = transport(server.client(), clock)
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) {
            try await transport.send(KubeRequest(.post, path: "/api/v1/namespaces/demo/pods", body: [], timeout: .seconds(30)))
        }
        // 10 s and 20 s of waiting fit in 30 s with 10 s to spare for the attempts themselves (real time, slower
        // under ThreadSanitizer beside the other suites); a third wait would reach 30 s plus that time.
        #expect(clock.sleeps.count == 2, "10 s and 20 s fit in 30 s; 30 s does not")
        #expect(server.requests.count == 3)
        // The time includes the attempts themselves (real time: slower under ThreadSanitizer), so no digits here.
        #expect(error?.message.hasPrefix("the server is shutting down (gave up after 3 attempts in ") == true)
        #expect(error?.message.hasSuffix("the next retry in 10 s would pass the call's time budget of 30 s)") == true)
    }

    @Test("a transport shut down while a request waits to retry does not send it again")
    func shutdownDuringARetryWait() async throws {
        let server = try LoopbackServer { _ in .json("", status: 503) }
        let clock = ActionClock()
        let transport = transport(server.client(), RecordingClock()) { $0.clock = clock }
        clock.action = { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api")) }
        #expect(error?.message == "the transport has been shut down")
        #expect(server.requests.count == 1)
    }

    @Test("retries log at debug only")
    func retriesAreQuiet() async throws {
        let server = try LoopbackServer { _ in .json("", status: 503) }
        let handler = InMemoryLogHandler()
        let transport = transport(server.client()) {
            $0.logger = Logger(label: "t") { _ in handler }
            $0.logger.logLevel = .trace
        }
        defer { transport.shutdownNow() }
        _ = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api")) }
        #expect(handler.entries.contains { "\($0.message)" == "retrying request" && $0.level == .debug })
        #expect(!handler.entries.contains { $0.level >= .info })
    }
}

@Suite("Header values cannot inject headers", .timeLimit(.minutes(1)))
struct HeaderInjectionTests {
    @Test func lineBreaksInHeadersAreRefusedBeforeSending() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        for headers: HTTPHeaders in [["X-Note": "a\r\nX-Evil: 1"], ["X-Note": "a\nb"], ["Bad Name": "x"], ["X-Nul": "a\u{0}b"]] {
            let error = await #expect(throws: KubeError.self) { try await transport.send(KubeRequest(path: "/api", headers: headers)) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("has an invalid name or a line break in its value") == true)
            #expect(error?.message.contains("X-Evil") == false, "the value is never echoed")
        }
        let impersonating = CurlTransport(server.client(impersonation: Impersonation(user: "alice\r\nX-Evil: 1")), configuration: .testing())
        defer { impersonating.shutdownNow() }
        let impersonationError = await #expect(throws: KubeError.self) { try await impersonating.send(KubeRequest(path: "/api")) }
        #expect(impersonationError?.code == .invalidArgument)
        #expect(server.requests.isEmpty)
    }
}

/// A clock whose sleeps return at once after running `action` (set before use).
final class ActionClock: Clock, @unchecked Sendable {
    // @unchecked: `action` is set once before the clock is used and only read afterwards.
    typealias Instant = ContinuousClock.Instant
    var action: @Sendable () -> Void = {}
    var now: Instant { ContinuousClock.now }
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws { action() }
}

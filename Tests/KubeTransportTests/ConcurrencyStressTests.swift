import Foundation
import Logging
import InMemoryLogging
import Testing
import KubeConfig
import KubeErrors
@testable import KubeTransport

/// Load on the loopback server: many concurrent requests and many back-pressured streams. Bounded in count,
/// and the suite's time limit fails CI instead of stalling it if anything hangs.
@Suite("Concurrency under load", .timeLimit(.minutes(3)), .serialized)
struct ConcurrencyStressTests {
    @Test("1000 concurrent GETs queue on at most 2 HTTP/2 connections")
    func thousandConcurrentGETs() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.pause(milliseconds: 20), .data(Array("{}".utf8))]) }
        var configuration = CurlTransport.Configuration.testing()
        // This test is about queueing, not speed: under ThreadSanitizer, beside the other suites, a TLS
        // handshake or the queue's tail can take longer than the testing defaults (5 s, 10 s) allow. The
        // suite's time limit still fails a hang.
        configuration.connectTimeout = .seconds(60)
        configuration.requestTimeout = .seconds(120)
        let handler = InMemoryLogHandler()
        configuration.logger = Logger(label: "t") { _ in handler }
        configuration.logger.logLevel = .debug
        let transport = CurlTransport(server.client(), configuration: configuration)

        defer { transport.shutdownNow() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<1000 {
                group.addTask { try await transport.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods/p\(index)")).0.status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 1000 && statuses.allSatisfy { $0 == 200 })
        #expect(server.requests.count == 1000, "no request was sent twice")
        #expect(server.connectionCount <= 2, "\(server.connectionCount) connections for 1000 concurrent GETs")
        #expect(!handler.entries.contains { "\($0.message)" == "retrying request" })
    }

    @Test("1000 streams with tiny watermarks and random consumer delays all finish: no lost wake-up")
    func backPressureWithoutLostWakeUps() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.lines(count: 48, size: 100)]) }
        var configuration = CurlTransport.Configuration.testing()
        configuration.highWatermark = 128
        configuration.lowWatermark = 32
        let transport = CurlTransport(server.client(), configuration: configuration)
        defer { transport.shutdownNow() }
        let totals = try await withThrowingTaskGroup(of: Int.self) { group in
            var started = 0
            var totals: [Int] = []
            func start() {
                group.addTask {
                    let response = try await transport.send(KubeRequest(path: "/watch", kind: .stream))
                    var total = 0
                    var generator = SystemRandomNumberGenerator()
                    for try await chunk in response.body {
                        total += chunk.count
                        switch Int.random(in: 0..<8, using: &generator) {
                        case 0: try await Task.sleep(for: .microseconds(Int.random(in: 50...500, using: &generator)))
                        case 1: await Task.yield()
                        default: break
                        }
                    }
                    return total
                }
                started += 1
            }
            while started < 100 { start() }
            while let total = try await group.next() {
                totals.append(total)
                if started < 1000 { start() }
            }
            return totals
        }
        #expect(totals.count == 1000)
        #expect(totals.allSatisfy { $0 == 48 * 100 })
    }
}

@Suite("Body stream: refusal and resume race", .timeLimit(.minutes(2)))
struct BodyStreamRaceTests {
    /// Plays libcurl's part the way the engine does: the resume handler is armed before the first write, a
    /// refused chunk is offered again only after a resume. A lost wake-up leaves a producer paused forever.
    @Test func producerAndConsumerOnDifferentThreadsNeverStall() async throws {
        for round in 0..<1000 {
            let (body, writer) = KubeResponseBody.makeStream(highWatermark: 8, lowWatermark: 2)
            let resumed = ResumeSignal()
            writer.onResume { resumed.signal() }
            let chunks = 40
            Thread.detachNewThread {
                var index = 0
                while index < chunks {
                    if writer.write([UInt8(index % 256), 0, 0, 0]) {
                        index += 1
                    } else {
                        resumed.wait()
                    }
                }
                writer.finish()
            }
            var received = 0
            for try await chunk in body {
                #expect(chunk.first == UInt8(received % 256), "round \(round)")
                received += 1
                if received % 3 == 0 { await Task.yield() }
            }
            #expect(received == chunks)
        }
    }
}

/// A counting semaphore that a resume handler signals (runs on the consumer's thread).
final class ResumeSignal: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func signal() { semaphore.signal() }
    func wait() { semaphore.wait() }
}

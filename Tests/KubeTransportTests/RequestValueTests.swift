import Foundation
import InMemoryLogging
import Logging
import Testing
import KubeConfig
import KubeErrors
import KubeRetry
@testable import KubeTransport

@Suite("Request values, headers, warnings and bodies", .timeLimit(.minutes(2)))
struct RequestValueTests {
    @Test func queriesAreSortedAndEncodedLikeGo() {
        let request = KubeRequest(.get, path: "/api/v1/pods", query: [
            ("watch", "true"), ("fieldSelector", "status.phase=Running,spec.nodeName!=n 1"), ("labelSelector", "app in (a,b)"),
            ("command", "b"), ("command", "a"),
        ])
        #expect(request.query.map(\.name) == ["command", "command", "fieldSelector", "labelSelector", "watch"])
        #expect(request.query.filter { $0.name == "command" }.map(\.value) == ["b", "a"], "values of one name keep their order")
        #expect(request.target == "/api/v1/pods?command=b&command=a&fieldSelector=status.phase%3DRunning%2Cspec.nodeName%21%3Dn+1&labelSelector=app+in+%28a%2Cb%29&watch=true")
        #expect(KubeRequest.percentEncode("a-_.~Z9 /é") == "a-_.~Z9+%2F%C3%A9")
    }

    @Test func requestsCompareByValue() {
        let one = KubeRequest(.get, path: "/p", query: [("b", "2"), ("a", "1")], timeout: .seconds(1))
        let two = KubeRequest(.get, path: "/p", query: [("a", "1"), ("b", "2")])
        #expect(one == two)
        #expect(one.hashValue == two.hashValue)
        #expect(one != KubeRequest(.get, path: "/p", query: [("a", "1")]))
        #expect(one != KubeRequest(.delete, path: "/p", query: [("a", "1"), ("b", "2")]))
        #expect(KubeRequest(.get, target: "/p?b=2&a=1") == two)
        #expect(KubeRequest(.get, target: "/p?labelSelector=app%3Dweb+x").queryValue("labelSelector") == "app=web x")
    }

    @Test func idempotencyFollowsTheMethod() {
        #expect(KubeRequest(.get, path: "/").isIdempotent)
        #expect(KubeRequest(.delete, path: "/").isIdempotent)
        #expect(!KubeRequest(.post, path: "/").isIdempotent)
        #expect(!KubeRequest(.put, path: "/").isIdempotent)
        #expect(!KubeRequest(.patch, path: "/", headers: ["Content-Type": "application/merge-patch+json"]).isIdempotent)
        #expect(KubeRequest(.patch, path: "/", headers: ["Content-Type": "application/apply-patch+yaml"]).isIdempotent)
        #expect(KubeRequest(.put, path: "/", isIdempotent: true).isIdempotent)
    }

    @Test func headersAreCaseInsensitiveAndRedactedWhenPrinted() {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Authorization": "Bearer s3cret"]
        headers.add("Warning", "a")
        headers.add("warning", "b")
        #expect(headers["content-type"] == "application/json")
        #expect(headers.values(for: "WARNING") == ["a", "b"])
        headers.replace("WARNING", with: "c")
        #expect(headers.values(for: "warning") == ["c"])
        #expect(!headers.description.contains("s3cret"))
        #expect(headers.description.contains("Authorization: <redacted>"))
    }

    @Test func warningHeaderParsing() {
        let warnings = KubeWarning.parse([
            #"299 - "unknown field \"spec.replica\"""#,
            #"299 - "first", 299 - "second" "Sat, 22 Nov 2026 10:00:00 GMT""#,
            #"199 agent "low code kept""#,
            #"300 - "bad code", 29 - "short code", 299  "no agent""#,
            "garbage",
        ])
        #expect(warnings.map(\.text) == [#"unknown field "spec.replica""#, "first", "second", "low code kept"])
        #expect(warnings[3].code == 199)
        #expect(warnings[0].description == #"Warning: unknown field "spec.replica""#)
    }

    @Test func linesAreSplitAcrossChunkBoundaries() async throws {
        let (body, writer) = KubeResponseBody.makeStream()
        for chunk in ["{\"a\"", ":1}\n{\"b\":2", "}\n", "\n", "{\"c\":3}"] { writer.write(Array(chunk.utf8)) }
        writer.finish()
        var lines: [String] = []
        for try await line in body.lines { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == [#"{"a":1}"#, #"{"b":2}"#, "", #"{"c":3}"#])
    }

    @Test func collectEnforcesItsLimit() async throws {
        let error = await #expect(throws: KubeError.self) {
            try await KubeResponseBody.bytes(Array(repeating: 1, count: 1001)).collect(upTo: 1000)
        }
        #expect(error?.code == .responseTooLarge)
        #expect(try await KubeResponseBody.bytes([1, 2, 3]).collect(upTo: 3) == [1, 2, 3])
    }

    @Test func aFailedStreamReportsItsError() async throws {
        let (body, writer) = KubeResponseBody.makeStream()
        writer.write(Array("partial".utf8))
        writer.finish(throwing: KubeError(code: .transport, message: "reset"))
        let error = await #expect(throws: KubeError.self) { try await body.collect(upTo: 100) }
        #expect(error?.message == "reset")
    }

    @Test func droppingABodyCancelsTheProducer() async throws {
        let cancelled = Counter()
        do {
            let (body, writer) = KubeResponseBody.makeStream()
            writer.onCancel { _ = cancelled.increment() }
            writer.write([1])
            _ = body
        }
        #expect(cancelled.increment() == 2, "the cancel handler ran once when the body was dropped")
    }
}

@Suite("CurlTransport configuration details", .timeLimit(.minutes(2)))
struct CurlTransportDetailTests {
    @Test func theConfiguredProxyIsUsed() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let closedProxy = try LoopbackServer(tls: .none) { _ in .json("{}") }
        let proxyPort = closedProxy.port
        closedProxy.stop()
        var client = server.client()
        client.proxyURL = URL(string: "http://127.0.0.1:\(proxyPort)")
        let transport = CurlTransport(client, configuration: .testing(retry: .disabled))
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.send(KubeRequest(path: "/api")) }
        #expect(error?.message.contains("\(proxyPort)") == true, "the failure names the proxy's port: \(error?.message ?? "")")
        #expect(server.requests.isEmpty)
    }

    @Test func debugLogsCarryRequestLinesButNoSecrets() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let handler = InMemoryLogHandler()
        var configuration = CurlTransport.Configuration.testing()
        var logger = Logger(label: "t") { _ in handler }
        logger.logLevel = .trace
        configuration.logger = logger
        let transport = CurlTransport(server.client(token: "very-secret-token"), configuration: configuration)
        defer { transport.shutdownNow() }
        _ = try await transport.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods", query: [("limit", "1")]))
        let lines = handler.entries.map { "\($0.message) \($0.metadata)" }
        #expect(lines.contains { $0.hasPrefix("GET /api/v1/namespaces/demo/pods?limit=1 200") && $0.contains("HTTP/2") && $0.contains("duration") })
        #expect(!lines.joined().contains("very-secret-token"))
    }

    @Test func disableCompressionDropsAcceptEncoding() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        var client = server.client()
        client.disableCompression = true
        let transport = CurlTransport(client, configuration: .testing())
        defer { transport.shutdownNow() }
        _ = try await transport.data(for: KubeRequest(path: "/api"))
        #expect(server.requests.first?.header("accept-encoding") == nil)
    }

    @Test func aCallerSuppliedAuthorizationHeaderIsLeftAlone() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        _ = try await transport.data(for: KubeRequest(path: "/api", headers: ["Authorization": "Bearer from-caller"]))
        #expect(server.requests.first?.headers.filter { $0.0.lowercased() == "authorization" }.map(\.1) == ["Bearer from-caller"])
    }
}

@Suite("Body lines", .timeLimit(.minutes(2)))
struct BodyLineTests {
    @Test("lines split across chunk boundaries, empty lines kept, a last line without newline delivered")
    func linesAcrossChunks() async throws {
        let (body, writer) = KubeResponseBody.makeStream()
        for chunk in ["ab", "c\nde\n\nf", "g\n", "h\ni\nj", "", "tail"] { writer.write(Array(chunk.utf8)) }
        writer.finish()
        var lines: [String] = []
        for try await line in body.lines { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == ["abc", "de", "", "fg", "h", "i", "jtail"])
    }
}

import Foundation
import InMemoryLogging
import Logging
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeRetry
@testable import KubeTransport

@Suite("CurlTransport against a real loopback HTTPS server", .timeLimit(.minutes(2)))
struct CurlTransportTests {
    @Test func getOverTLSWithHTTP2SendsTheExpectedRequest() async throws {
        let server = try LoopbackServer { _ in .json(#"{"kind":"Pod","metadata":{"name":"web-0"}}"#) }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let request = KubeRequest(.get, path: "/api/v1/namespaces/demo/pods", query: [("labelSelector", "app=web,tier in (a b)"), ("limit", "2")])
        let (response, body) = try await transport.data(for: request)
        #expect(response.status == 200)
        #expect(response.httpVersion == "HTTP/2")
        #expect(String(decoding: body, as: UTF8.self) == #"{"kind":"Pod","metadata":{"name":"web-0"}}"#)
        let received = try #require(server.requests.first)
        #expect(received.method == "GET")
        #expect(received.uri == "/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb%2Ctier+in+%28a+b%29&limit=2")
        #expect(received.httpVersion == "HTTP/2")
        #expect(received.header("user-agent") == KubeKitVersion.userAgent)
        #expect(received.header("user-agent")?.hasPrefix("KubeKit/0.1.0 (linux/") == true)
        #expect(received.header("accept") == "application/json")
        #expect(received.header("authorization") == "Bearer test-token")
        #expect(received.header("accept-encoding") == "gzip")
    }

    @Test func http11WhenTheServerDoesNotOfferHTTP2() async throws {
        let server = try LoopbackServer(http2: false) { _ in .json("{}") }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let (response, _) = try await transport.data(for: KubeRequest(path: "/version"))
        #expect(response.httpVersion == "HTTP/1.1")
        #expect(server.requests.first?.httpVersion == "HTTP/1.1")
    }

    @Test func bodiesMethodsAndContentType() async throws {
        let server = try LoopbackServer { request in .json(#"{"echo":\#(request.body.count)}"#, status: request.method == "POST" ? 201 : 200) }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let body = Array(#"{"apiVersion":"v1","kind":"ConfigMap"}"#.utf8) + Array(repeating: UInt8(ascii: " "), count: 4000)
        let (created, _) = try await transport.data(for: KubeRequest(.post, path: "/api/v1/namespaces/demo/configmaps", body: body))
        #expect(created.status == 201)
        let patch = KubeRequest(.patch, path: "/apis/apps/v1/namespaces/demo/deployments/web",
                                headers: ["Content-Type": "application/merge-patch+json"], body: Array(#"{"spec":{"replicas":5}}"#.utf8))
        _ = try await transport.data(for: patch)
        _ = try await transport.data(for: KubeRequest(.delete, path: "/api/v1/namespaces/demo/pods/web-0"))
        let requests = server.requests
        #expect(requests.map(\.method) == ["POST", "PATCH", "DELETE"])
        #expect(requests[0].body == body)
        #expect(requests[0].header("content-type") == "application/json")
        #expect(requests[0].header("expect") == nil)
        #expect(requests[1].header("content-type") == "application/merge-patch+json")
        #expect(requests[1].body == Array(#"{"spec":{"replicas":5}}"#.utf8))
    }

    @Test func clientCertificateAuthentication() async throws {
        let server = try LoopbackServer(tls: .server(requireClientCertificate: true)) { _ in .json("{}") }
        let withCertificate = CurlTransport(server.client(token: nil, clientCertificate: true), configuration: .testing(retry: .disabled))
        defer { withCertificate.shutdownNow() }
        let (response, _) = try await withCertificate.data(for: KubeRequest(path: "/api"))
        #expect(response.status == 200)
        #expect(server.requests.first?.header("authorization") == nil)

        let without = CurlTransport(server.client(token: nil), configuration: .testing(retry: .disabled))
        defer { without.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await without.data(for: KubeRequest(path: "/api")) }
        #expect(error?.code == .transport)
        #expect(server.requests.count == 1)
    }

    @Test func aServerSignedByAnotherCAIsRejected() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let clock = RecordingClock()
        let transport = CurlTransport(server.client(ca: "wrong-ca.pem"), configuration: .testing(clock))
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.data(for: KubeRequest(path: "/api")) }
        #expect(error?.code == .transport)
        #expect(error?.message.contains("could not be verified: its certificate is not signed by a trusted certificate authority") == true)
        #expect(server.requests.isEmpty)
        #expect(error?.request?.path == "/api")
    }

    @Test func insecureSkipsVerificationAndWarns() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let handler = InMemoryLogHandler()
        var configuration = CurlTransport.Configuration.testing()
        configuration.logger = Logger(label: "t") { _ in handler }
        let transport = CurlTransport(server.client(ca: nil, insecure: true), configuration: configuration)
        defer { transport.shutdownNow() }
        let (response, _) = try await transport.data(for: KubeRequest(path: "/api"))
        #expect(response.status == 200)
        #expect(handler.entries.contains { $0.level == .warning && "\($0.message)".contains("verification is disabled") })
    }

    @Test func tlsServerNameIsUsedForVerification() async throws {
        let server = try LoopbackServer(tls: .server(certificate: "named-server")) { _ in .json("{}") }
        let named = CurlTransport(server.client(tlsServerName: "kube-apiserver.internal"), configuration: .testing(retry: .disabled))
        defer { named.shutdownNow() }
        let (response, _) = try await named.data(for: KubeRequest(path: "/api"))
        #expect(response.status == 200)
        #expect(server.requests.first?.header("host") == "127.0.0.1:\(server.port)" || server.requests.first?.header(":authority") == "127.0.0.1:\(server.port)")

        let plain = CurlTransport(server.client(), configuration: .testing(retry: .disabled))
        defer { plain.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await plain.data(for: KubeRequest(path: "/api")) }
        #expect(error?.message.contains("could not be verified") == true)
    }

    @Test func concurrentRequestsShareOneHTTP2Connection() async throws {
        let server = try LoopbackServer { _ in LoopbackServer.Response(parts: [.pause(milliseconds: 1500), .data(Array("{}".utf8))]) }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<20 {
                group.addTask { try await transport.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods/p\(index)")).0.status }
            }
            for try await status in group { #expect(status == 200) }
        }
        let elapsed = ContinuousClock.now - started
        #expect(server.requests.count == 20)
        #expect(server.connectionCount == 1, "HTTP/2 should multiplex all 20 requests on one connection")
        // Not a speed target: one after the other, 20 requests of 1.5 s each take 30 s.
        #expect(elapsed < .seconds(15), "20 requests that each take 1.5 s ran in \(elapsed): not concurrent")
    }

    @Test func connectionsAreReusedAcrossSequentialRequests() async throws {
        let server = try LoopbackServer(http2: false) { _ in .json("{}") }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        for _ in 0..<5 { _ = try await transport.data(for: KubeRequest(path: "/api")) }
        #expect(server.connectionCount == 1)
    }

    @Test func serverPathPrefixAndImpersonation() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let transport = CurlTransport(
            server.client(pathPrefix: "/k8s/clusters/c-1", impersonation: Impersonation(user: "jane", groups: ["dev", "ops"])),
            configuration: .testing())
        defer { transport.shutdownNow() }
        _ = try await transport.data(for: KubeRequest(path: "/api/v1/pods"))
        let received = try #require(server.requests.first)
        #expect(received.uri == "/k8s/clusters/c-1/api/v1/pods")
        #expect(received.header("impersonate-user") == "jane")
        #expect(received.headers.filter { $0.0.lowercased() == "impersonate-group" }.map(\.1) == ["dev", "ops"])
    }

    @Test func plainHTTPNeverCarriesCredentials() async throws {
        let server = try LoopbackServer(tls: .none) { _ in .json("{}") }
        let transport = CurlTransport(server.client(ca: nil, scheme: "http"), configuration: .testing())
        defer { transport.shutdownNow() }
        _ = try await transport.data(for: KubeRequest(path: "/api"))
        #expect(server.requests.first?.header("authorization") == nil)
    }

    @Test func apiErrorsBecomeKubeErrorsWithTheirStatus() async throws {
        let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}"#
        let server = try LoopbackServer { _ in .json(status, status: 404) }
        let transport = CurlTransport(server.client(), configuration: .testing())
        defer { transport.shutdownNow() }
        let error = await #expect(throws: KubeError.self) { try await transport.send(KubeRequest(path: "/api/v1/namespaces/demo/pods/nope")) }
        #expect(error?.isNotFound == true)
        #expect(error?.description == "pods \"nope\" not found in namespace \"demo\"")
        #expect(server.requests.count == 1, "404 is not retried")
    }

    @Test func warningHeadersAreSurfacedAndLoggedOnce() async throws {
        let server = try LoopbackServer { _ in
            .json("{}", headers: [("Warning", #"299 - "unknown field \"spec.replica\"""#), ("Warning", #"299 - "v1beta1 is deprecated", 199 - "ignored low code""#)])
        }
        let handler = InMemoryLogHandler()
        var configuration = CurlTransport.Configuration.testing()
        configuration.logger = Logger(label: "t") { _ in handler }
        let transport = CurlTransport(server.client(), configuration: configuration)
        defer { transport.shutdownNow() }
        let (first, _) = try await transport.data(for: KubeRequest(path: "/a"))
        _ = try await transport.data(for: KubeRequest(path: "/b"))
        #expect(first.warnings.map(\.text) == [#"unknown field "spec.replica""#, "v1beta1 is deprecated", "ignored low code"])
        let logged = handler.entries.filter { $0.level == .warning }.map { "\($0.message)" }
        #expect(logged == [#"Warning: unknown field "spec.replica""#, "Warning: v1beta1 is deprecated"])
    }
}

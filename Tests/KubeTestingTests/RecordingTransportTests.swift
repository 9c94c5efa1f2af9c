import Foundation
import Testing
import KubeErrors
import KubeTransport
@testable import KubeTesting

@Suite("RecordingTransport records redacted exchanges", .timeLimit(.minutes(2)))
struct RecordingTransportTests {
    let secret = #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"data":{"password":"aHVudGVyMg=="},"stringData":{"user":"admin"}}"#
    let tokenRequest = #"{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","status":{"token":"eyJhbGciOi.secret","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#

    func base() -> RecordedTransport {
        RecordedTransport([
            Recording(request: .init(method: "GET", path: "/api/v1/namespaces/demo/secrets/db"),
                      response: .init(status: 200, headers: ["content-type": "application/json", "set-cookie": "s=1"], body: secret)),
            Recording(request: .init(method: "POST", path: "/api/v1/namespaces/demo/serviceaccounts/default/token"),
                      response: .init(status: 201, headers: ["content-type": "application/json"], body: tokenRequest)),
            Recording(request: .init(method: "GET", path: "/api/v1/namespaces/demo/pods"),
                      response: .init(status: 200, headers: ["content-type": "application/json"], body: "{\n  \"kind\": \"PodList\",\n  \"items\": []\n}")),
            Recording(request: .init(method: "GET", path: "/api/v1/namespaces/demo/pods/gone"),
                      response: .init(status: 404, headers: ["content-type": "application/json"],
                                      body: #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"gone\" not found","reason":"NotFound","code":404}"#)),
        ])
    }

    @Test func secretsTokensAndCredentialsAreRedacted() async throws {
        let recorder = RecordingTransport(wrapping: base())
        let (_, secretBody) = try await recorder.data(for: KubeRequest(
            path: "/api/v1/namespaces/demo/secrets/db", headers: ["Authorization": "Bearer real-token", "Accept": "application/json"]))
        #expect(String(decoding: secretBody, as: UTF8.self) == secret, "the caller still sees the real body")
        _ = try await recorder.data(for: KubeRequest(.post, path: "/api/v1/namespaces/demo/serviceaccounts/default/token", body: Array("{}".utf8)))
        _ = try await recorder.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods"))
        try await Task.sleep(for: .milliseconds(50))
        let recordings = recorder.recordings
        #expect(recordings.count == 3)
        let all = try String(decoding: JSONEncoder().encode(recordings), as: UTF8.self)
        for leaked in ["real-token", "aHVudGVyMg==", "admin", "eyJhbGciOi", "s=1"] {
            #expect(!all.contains(leaked), "\(leaked) was recorded")
        }
        #expect(recordings[0].request.headers == ["Accept": "application/json"])
        #expect(recordings[0].response.body.contains(#""password":"UkVEQUNURUQ=""#))
        #expect(recordings[0].response.body.contains(#""user":"REDACTED""#))
        #expect(recordings[1].response.body.contains(#""token":"REDACTED""#))
        #expect(recordings[1].response.body.contains("2030-01-01T00:00:00Z"))
        #expect(recordings[2].response.body == "{\n  \"kind\": \"PodList\",\n  \"items\": []\n}", "unchanged bodies keep their bytes")
    }

    @Test func failuresAreRecordedWithTheirStatus() async throws {
        let recorder = RecordingTransport(wrapping: base())
        let error = await #expect(throws: KubeError.self) { try await recorder.send(KubeRequest(path: "/api/v1/namespaces/demo/pods/gone")) }
        #expect(error?.isNotFound == true)
        let recording = try #require(recorder.recordings.first)
        #expect(recording.response.status == 404)
        #expect(recording.response.body.contains("\"reason\":\"NotFound\""))
    }

    @Test func writtenRecordingsReplay() async throws {
        let recorder = RecordingTransport(wrapping: base())
        _ = try await recorder.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods"))
        _ = await #expect(throws: KubeError.self) { try await recorder.send(KubeRequest(path: "/api/v1/namespaces/demo/pods/gone")) }
        try await Task.sleep(for: .milliseconds(50))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kubekit-recording-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try recorder.write(to: file)
        let replay = try RecordedTransport(contentsOf: file)
        let (response, body) = try await replay.data(for: KubeRequest(path: "/api/v1/namespaces/demo/pods"))
        #expect(response.status == 200)
        #expect(String(decoding: body, as: UTF8.self).contains("PodList"))
        let error = await #expect(throws: KubeError.self) { try await replay.send(KubeRequest(path: "/api/v1/namespaces/demo/pods/gone")) }
        #expect(error?.description == "pods \"gone\" not found in namespace \"demo\"")
    }

    @Test func watchStreamsAreRedactedPerLine() {
        let stream = "{\"type\":\"ADDED\",\"object\":\(secret)}\n{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Secret\",\"metadata\":{\"resourceVersion\":\"9\"}}}\n"
        let redacted = Redaction.default.redact(body: stream)
        #expect(!redacted.contains("aHVudGVyMg=="))
        #expect(redacted.split(separator: "\n").count == 2)
        #expect(redacted.hasSuffix("\"resourceVersion\":\"9\"}}}\n"))
    }
}

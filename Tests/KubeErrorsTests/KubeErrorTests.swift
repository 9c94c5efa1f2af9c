import Foundation
import Testing
@testable import KubeErrors

@Suite("KubeError construction, classification and redaction", .timeLimit(.minutes(2)))
struct KubeErrorTests {
    @Test func htmlFromAProxyGivesStatusAndBoundedExcerpt() {
        let html = "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1>" + String(repeating: "x", count: 5000) + "</body></html>"
        let error = KubeError.api(statusCode: 502, contentType: "text/html", body: Array(html.utf8),
                                  request: .init(method: "GET", path: "/api/v1/namespaces/demo/pods"))
        #expect(error.isInternalError)
        #expect(error.statusCode == 502)
        #expect(error.message.hasPrefix("an error on the server (\"<html><head><title>502 Bad Gateway</title></head> <body>"))
        #expect(error.message.hasSuffix("…\") has prevented the request from succeeding (get pods)"))
        #expect(error.message.utf8.count < KubeError.maximumBodyExcerptBytes + 200)
    }

    @Test func emptyBodyStillNamesTheStatus() {
        let error = KubeError.api(statusCode: 503, body: [], request: .init(method: "GET", path: "/apis/metrics.k8s.io/v1beta1/nodes"))
        #expect(error.isServiceUnavailable)
        #expect(error.description == "the server is currently unable to handle the request (get nodes.metrics.k8s.io)")
    }

    @Test func unknownStatusCodeWithoutBody() {
        let error = KubeError.api(statusCode: 418, body: [])
        #expect(error.description == "the server responded with the status code 418 but did not return more information")
        #expect(error.reason == nil)
    }

    @Test func jsonThatIsNotAStatusIsNotTrustedAsOne() {
        let body = Array(#"{"error":"quota exceeded"}"#.utf8)
        let error = KubeError.api(statusCode: 429, contentType: "application/json", retryAfter: "7", body: body)
        #expect(error.isTooManyRequests)
        #expect(error.status?.reason == .tooManyRequests)
        #expect(error.message.contains(#"{"error":"quota exceeded"}"#))
        #expect(error.suggestedRetryDelaySeconds == 7)
        #expect(error.hint == "The server asked to retry after 7 seconds.")
    }

    @Test func conflictOnPostIsAlreadyExists() {
        let post = KubeError.api(statusCode: 409, body: [], request: .init(method: "POST", path: "/api/v1/namespaces/demo/pods"))
        let put = KubeError.api(statusCode: 409, body: [], request: .init(method: "PUT", path: "/api/v1/namespaces/demo/pods/a"))
        #expect(post.isAlreadyExists && !post.isConflict)
        #expect(put.isConflict && !put.isAlreadyExists)
    }

    @Test func statusWithZeroCodeGetsTheHTTPCode() {
        let body = Array(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"boom","reason":"InternalError","code":0}"#.utf8)
        let error = KubeError.api(statusCode: 500, contentType: "application/json", body: body)
        #expect(error.status?.code == 500)
        #expect(error.isInternalError)
        #expect(error.description == "boom")
    }

    @Test func unknownReasonFallsBackToTheCodeButOnlyForUnknownReasons() {
        let unknown = KubeError(status: KubeStatus(message: "x", reason: "SomethingNew", code: 404))
        #expect(unknown.isNotFound)
        #expect(unknown.reason == "SomethingNew")
        let known = KubeError(status: KubeStatus(message: "x", reason: .conflict, code: 404))
        #expect(!known.isNotFound)
        #expect(known.isConflict)
    }

    @Test func serverTimeoutSuggestsDelayEvenWhenZero() {
        let error = KubeError(status: KubeStatus(message: "slow", reason: .serverTimeout, details: .init(retryAfterSeconds: 0), code: 500))
        #expect(error.isServerTimeout)
        #expect(error.suggestedRetryDelaySeconds == 0)
        let other = KubeError(status: KubeStatus(message: "x", reason: .internalError, details: .init(retryAfterSeconds: 0), code: 500))
        #expect(other.suggestedRetryDelaySeconds == nil)
    }

    @Test func nonAPIErrorsAreNeverClassifiedAsAPIFailures() {
        let error = KubeError(code: .fileNotFound, message: "kubeconfig /x does not exist")
        #expect(!error.isNotFound)
        #expect(error.status == nil)
        #expect(error.description == "kubeconfig /x does not exist")
    }

    @Test func clientSideTimeoutCountsAsTimeout() {
        #expect(KubeError(code: .timeout, message: "timed out").isTimeout)
        #expect(KubeError(code: .unauthorized, message: "still 401").isUnauthorized)
    }

    @Test func locationAndHintFormatting() {
        let error = KubeError(code: .invalidBase64, message: "client-key-data is not valid base64",
                              location: .init(file: "/home/me/.kube/config", line: 12, column: 22, field: "users[0].user.client-key-data"),
                              hint: "Re-encode the file.")
        #expect(error.description == "/home/me/.kube/config:12:22: users[0].user.client-key-data: client-key-data is not valid base64\nRe-encode the file.")
        #expect(KubeError.SourceLocation(field: "a.b").description == "a.b")
        #expect(KubeError.SourceLocation(line: 3).description == "<input>:3")
        #expect(error.debugDescription.hasPrefix("KubeError(invalidBase64): /home/me"))
        #expect(KubeError.Code.invalidBase64.description == "invalidBase64")
    }

    @Test(arguments: [
        ("GET", "/api/v1/namespaces/demo/pods/web-0/log?follow=true", "", "v1", "pods", "demo", "web-0", "log", "get pods/log web-0"),
        ("PATCH", "/apis/apps/v1/namespaces/demo/deployments/web/scale", "apps", "v1", "deployments", "demo", "web", "scale", "patch deployments.apps/scale web"),
        ("GET", "/api/v1/namespaces/demo", "", "v1", "namespaces", nil, "demo", nil, "get namespaces demo"),
        ("PUT", "/api/v1/namespaces/demo/finalize", "", "v1", "namespaces", nil, "demo", "finalize", "put namespaces/finalize demo"),
        ("GET", "/api/v1/pods", "", "v1", "pods", nil, nil, nil, "get pods"),
        ("GET", "/apis/example.com/v1/widgets", "example.com", "v1", "widgets", nil, nil, nil, "get widgets.example.com"),
    ] as [(String, String, String, String, String, String?, String?, String?, String)])
    func requestContextParsing(method: String, path: String, group: String, version: String, resource: String,
                               namespace: String?, name: String?, subresource: String?, text: String) {
        let context = KubeError.RequestContext(method: method, path: path)
        #expect(context.group == group)
        #expect(context.version == version)
        #expect(context.resource == resource)
        #expect(context.namespace == namespace)
        #expect(context.name == name)
        #expect(context.subresource == subresource)
        #expect(context.description == text)
        #expect(!context.path.contains("?"))
    }

    @Test func nonAPIPathsKeepOnlyMethodAndPath() {
        let context = KubeError.RequestContext(method: "get", path: "/version")
        #expect(context.resource == nil)
        #expect(context.description == "get /version")
    }

    @Test func sensitiveValuesNeverPrint() {
        struct Holder { var token = Sensitive("s3cr3t-token"); var key = Sensitive(Array("-----BEGIN PRIVATE KEY-----".utf8)) }
        let holder = Holder()
        var dumped = ""
        dump(holder, to: &dumped)
        for text in ["\(holder)", String(describing: holder), String(reflecting: holder), dumped, "\(holder.token)", "\(holder.key)"] {
            #expect(!text.contains("s3cr3t"), "leaked in: \(text)")
            #expect(!text.contains("PRIVATE"), "leaked in: \(text)")
        }
        #expect("\(holder.token)" == "<redacted 12 characters>")
        #expect("\(holder.key)" == "<redacted 27 bytes>")
        #expect(holder.token.value == "s3cr3t-token")
    }
}

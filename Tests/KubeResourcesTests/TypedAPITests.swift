import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("Pods: logs and eviction", .timeLimit(.minutes(2)))
struct PodTests {
    static let logPath = "/api/v1/namespaces/demo/pods/web-555cfbbb78-8ltcv/log"

    @Test func logErrorsComeFromTheKubeletProxy() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/15-pod-log-kubelet-unreachable")])
        let error = await #expect(throws: KubeError.self) { try await client.pods().logs("web-555cfbbb78-8ltcv") }
        #expect(transport.receivedRequests.map(\.description) == ["GET \(Self.logPath)"])
        #expect(error?.httpStatusCode == 500)
        #expect(error?.message.contains("connect: connection refused") == true)
    }

    @Test func logOptionsBecomeQueryParameters() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/16-pod-log-with-options-kubelet-unreachable")])
        _ = try? await client.pods().logs("web-555cfbbb78-8ltcv", options: LogOptions(container: "nginx", timestamps: true, tailLines: 20))
        #expect(transport.receivedRequests.map(\.description) == ["GET \(Self.logPath)?container=nginx&tailLines=20&timestamps=true"])
        #expect(transport.receivedRequests[0].kind == .unary)
    }

    @Test func everyLogOption() throws {
        var request = KubeRequest(path: Self.logPath)
        let options = LogOptions(container: "c", follow: true, previous: true, sinceTime: Time(rfc3339: "2026-11-22T10:51:28Z"),
                                 timestamps: true, tailLines: 0, limitBytes: 1024, stream: .stderr, insecureSkipTLSVerifyBackend: true)
        try options.apply(to: &request)
        #expect(request.encodedQuery
            == "container=c&follow=true&insecureSkipTLSVerifyBackend=true&limitBytes=1024&previous=true&sinceTime=2026-11-22T10%3A51%3A28Z&stream=Stderr&tailLines=0&timestamps=true")
    }

    @Test func badLogOptionsFailBeforeSending() async throws {
        let (client, transport) = Fixtures.client([])
        for options in [LogOptions(sinceSeconds: 5, sinceTime: Time(secondsSinceEpoch: 0)), LogOptions(sinceSeconds: 0),
                        LogOptions(tailLines: -1), LogOptions(limitBytes: 0)] {
            let error = await #expect(throws: KubeError.self) { try await client.pods().logs("p", options: options) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(transport.receivedRequests.isEmpty)
    }

    @Test func aPendingPodHasAnEmptyLog() async throws {
        let (client, _) = Fixtures.client([try Fixtures.recording("pods/17-pod-log-pending-pod")])
        #expect(try await client.pods().logs("api-b97456c9b-5jpx9") == "")
    }

    @Test func followedLogLinesStream() async throws {
        // No fixture holds a successful log (the recorded cluster's kubelet was unreachable), so this
        // exchange is written here: plain text, as the kubelet sends it, with a non-UTF-8 byte.
        let recording = Recording(request: .init(method: "GET", path: "\(Self.logPath)?follow=true&timestamps=true"),
                                  response: .init(status: 200, headers: ["content-type": "text/plain"],
                                                  body: "2026-11-22T10:51:28.1Z started\n2026-11-22T10:51:29.2Z ready\n"))
        let (client, transport) = Fixtures.client([recording])
        var lines: [String] = []
        for try await line in try await client.pods().logLines("web-555cfbbb78-8ltcv", options: LogOptions(follow: true, timestamps: true)) {
            lines.append(line)
        }
        #expect(lines == ["2026-11-22T10:51:28.1Z started", "2026-11-22T10:51:29.2Z ready"])
        #expect(transport.receivedRequests[0].kind == .stream)
    }

    @Test func evictionPostsAnEviction() async throws {
        let recorded = try Fixtures.recording("pods/14-evict-pod")
        let (client, transport) = Fixtures.client([recorded])
        try await client.pods().evict("web-555cfbbb78-l79ph")
        let request = try #require(transport.receivedRequests.first)
        #expect(request.description == "POST /api/v1/namespaces/demo/pods/web-555cfbbb78-l79ph/eviction")
        #expect(request.headers["Content-Type"] == "application/json")
        #expect(try Fixtures.json(request.body) == (try Fixtures.json(recorded.request.body ?? "")))
    }

    @Test func evictionBlockedByABudgetIsTooManyRequests() async throws {
        let (client, _) = Fixtures.client([try Fixtures.recording("errors/21-429-eviction-blocked-by-pdb")])
        let error = await #expect(throws: KubeError.self) { try await client.pods().evict("web-f9cfb4c88-q425z") }
        #expect(error?.isTooManyRequests == true)
        #expect(error?.message.contains("disruption budget") == true)
    }
}

@Suite("Safety tiers", .timeLimit(.minutes(2)))
struct TierTests {
    @Test func aReadClientCannotWrite() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("pods/01-get-running-pod")], tier: .read)
        _ = try await client.pods().get("web-555cfbbb78-bj66h")
        let writes: [@Sendable () async throws -> Void] = [
            { _ = try await client.pods().create(WriteTests.newPod) },
            { _ = try await client.pods().delete("web-555cfbbb78-bj66h") },
            { _ = try await client.pods().patch("x", .merge(["a": 1])) },
            { try await client.pods().evict("x") },
            { _ = try await client.deployments().scale("web", replicas: 1) },
            { _ = try await client.deployments().restart("web") },
            { _ = try await client.apply(manifests: "kind: ConfigMap") },
        ]
        for write in writes {
            let error = await #expect(throws: KubeError.self) { try await write() }
            #expect(error?.code == .tierDenied)
            #expect(error?.message.hasSuffix("needs the write tier; this client has the read tier") == true)
        }
        #expect(transport.receivedRequests.count == 1)
    }

    @Test func theMessageNamesVerbResourceAndTier() async throws {
        let (client, _) = Fixtures.client([], tier: .read)
        let error = await #expect(throws: KubeError.self) { _ = try await client.deployments().delete("web") }
        #expect(error?.message == "delete deployments.apps needs the write tier; this client has the read tier")
        #expect(error?.hint?.contains("tier: .write") == true)
    }

    @Test func withTierSharesTheTransport() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("apply/06-merge-patch-by-other-manager")], tier: .read)
        let writer = client.withTier(.write)
        _ = try await writer.resources(CoreV1.ConfigMap.self).patch("app-config", .merge(["data": ["LOG_LEVEL": "debug"]]),
                                                                    options: WriteOptions(fieldManager: "kubectl-edit"))
        #expect(transport.receivedRequests.count == 1)
        #expect(AccessTier.read < .write && AccessTier.write < .full)
    }
}

@Suite("Label and field selectors", .timeLimit(.minutes(2)))
struct SelectorTests {
    @Test func labelSelectorSyntax() throws {
        let selector = LabelSelector.equals("app", "web").notEquals("tier", "cache").in("env", ["prod", "stage"])
            .notIn("zone", ["a"]).exists("release").doesNotExist("canary")
        #expect(selector.description == "app=web,tier!=cache,env in (prod,stage),zone notin (a),release,!canary")
        try selector.validate()
        let literal: LabelSelector = ["tier": "frontend", "app": "web"]
        #expect(literal.description == "app=web,tier=frontend")
    }

    @Test("a raw selector keeps the requirements added to it")
    func rawSelectorPlusRequirements() async throws {
        #expect(LabelSelector(raw: "app=web").equals("tier", "db").description == "app=web,tier=db")
        #expect(LabelSelector(raw: "").equals("tier", "db").description == "tier=db")
        #expect(!LabelSelector(raw: "").equals("tier", "db").isEmpty)
        let (client, transport) = Fixtures.client([])
        _ = try? await client.pods().list(ListOptions(labelSelector: LabelSelector(raw: "app=web").equals("tier", "db")))
        #expect(transport.receivedRequests.first?.queryValue("labelSelector") == "app=web,tier=db")
    }

    @Test func labelSelectorFromTheAPIObjectIsSortedByKey() throws {
        let api = MetaV1.LabelSelector(
            matchExpressions: [.init(key: "env", operator: "In", values: ["prod"]), .init(key: "canary", operator: "DoesNotExist")],
            matchLabels: ["app": "web"])
        #expect(try LabelSelector(api).description == "app=web,!canary,env in (prod)")
        let bad = MetaV1.LabelSelector(matchExpressions: [.init(key: "a", operator: "Within", values: ["b"])])
        let error = #expect(throws: KubeError.self) { try LabelSelector(bad) }
        #expect(error?.location?.field == "matchExpressions[0].operator")
    }

    @Test(arguments: [
        (LabelSelector.equals("app", "web server"), "value \"web server\""),
        (LabelSelector.exists("-app"), "key \"-app\""),
        (LabelSelector.exists("Example.com/app"), "invalid prefix"),
        (LabelSelector.in("app", []), "needs at least one value"),
        (LabelSelector.exists(String(repeating: "a", count: 64)), "no more than 63 characters"),
    ])
    func invalidLabelSelectors(selector: LabelSelector, problem: String) async throws {
        let error = #expect(throws: KubeError.self) { try selector.validate() }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains(problem) == true, "\(error?.message ?? "")")
        let (client, transport) = Fixtures.client([])
        await #expect(throws: KubeError.self) { _ = try await client.pods().list(ListOptions(labelSelector: selector)) }
        #expect(transport.receivedRequests.isEmpty)
    }

    @Test func labelSelectorMatching() {
        let selector = LabelSelector.equals("app", "web").notIn("tier", ["cache"]).doesNotExist("canary")
        #expect(selector.matches(["app": "web"]))
        #expect(selector.matches(["app": "web", "tier": "front"]))
        #expect(!selector.matches(["app": "web", "tier": "cache"]))
        #expect(!selector.matches(["app": "web", "canary": "1"]))
        #expect(!selector.matches([:]))
    }

    @Test func fieldSelectorEscapesValues() {
        let selector = FieldSelector.equals("metadata.name", "a,b=c\\d").notEquals("status.phase", "Running")
        #expect(selector.description == #"metadata.name=a\,b\=c\\d,status.phase!=Running"#)
    }

    @Test func aServerRejectedSelectorIsABadRequest() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("errors/09-400-unknown-field-selector")])
        let error = await #expect(throws: KubeError.self) { _ = try await client.pods().list(ListOptions(fieldSelector: .equals("spec.foo", "bar"))) }
        #expect(transport.receivedRequests.map(\.description) == ["GET /api/v1/namespaces/demo/pods?fieldSelector=spec.foo%3Dbar"])
        #expect(error?.isBadRequest == true)
        #expect(error?.message.contains("spec.foo") == true)
    }
}

@Suite("List options and expired continue tokens", .timeLimit(.minutes(2)))
struct ListOptionTests {
    @Test func consistencyParameters() throws {
        func query(_ options: ListOptions) throws -> String {
            var request = KubeRequest(path: "/api/v1/pods")
            try options.apply(to: &request)
            return request.encodedQuery
        }
        #expect(try query(ListOptions()) == "")
        #expect(try query(ListOptions(consistency: .any)) == "resourceVersion=0")
        #expect(try query(ListOptions(consistency: .notOlderThan("42"))) == "resourceVersion=42&resourceVersionMatch=NotOlderThan")
        #expect(try query(ListOptions(limit: 10, consistency: .exact("42"))) == "limit=10&resourceVersion=42&resourceVersionMatch=Exact")
        // A continue token carries the snapshot: no resourceVersion with it.
        #expect(try query(ListOptions(limit: 10, continueToken: "t", consistency: .exact("42"))) == "continue=t&limit=10")
        #expect(throws: KubeError.self) { try query(ListOptions(limit: 0)) }
    }

    static let expiredToken = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDk2LCJzdGFydCI6Ii9hcGktYjk3NDU2YzliLTg5NHBiXHUwMDAwIn0"

    /// Page 1 (recorded), then the 410 the server gave for page 2's token after compaction (recorded).
    func expiringPages(_ more: [Recording] = []) throws -> [Recording] {
        [try Fixtures.recording("pods/05-list-pods-limit-page1"), try Fixtures.recording("errors/22-410-list-continue-token-after-compaction")] + more
    }

    @Test func failByDefault() async throws {
        let (client, _) = Fixtures.client(try expiringPages())
        var names: [String] = []
        let error = await #expect(throws: KubeError.self) {
            for try await pod in client.pods().listAll(ListOptions(limit: 2)) { names.append(pod.metadata?.name ?? "") }
        }
        #expect(names == ["api-b97456c9b-5jpx9", "api-b97456c9b-894pb"])
        #expect(error?.isResourceExpired == true)
    }

    @Test func continueInconsistentlyUsesTheTokenFromTheStatus() async throws {
        let fresh = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoiYXBpLWI5NzQ1NmM5Yi04OTRwYlx1MDAwMCJ9"
        let rest = try Fixtures.recording("pods/07-list-pods-limit-page3", target: "/api/v1/namespaces/demo/pods?continue=\(fresh)&limit=2")
        let (client, transport) = Fixtures.client(try expiringPages([rest]))
        let names = try await client.pods().listAll(ListOptions(limit: 2), onExpired: .continueInconsistently).collect().compactMap(\.metadata?.name)
        #expect(names == ["api-b97456c9b-5jpx9", "api-b97456c9b-894pb", "web-555cfbbb78-mzj7h"])
        #expect(transport.receivedRequests.map { $0.queryValue("continue") } == [nil, Self.expiredToken, fresh])
    }

    @Test func restartListsAgainFromTheStart() async throws {
        // After the 410 the list starts over: page 1 answers again (the recording keeps answering), and so on.
        let (client, transport) = Fixtures.client(try expiringPages())
        var iterator = client.pods().listAll(ListOptions(limit: 2), onExpired: .restart).makeAsyncIterator()
        var names: [String] = []
        for _ in 0..<3 { names.append(try await iterator.next()?.metadata?.name ?? "") }
        #expect(names == ["api-b97456c9b-5jpx9", "api-b97456c9b-894pb", "api-b97456c9b-5jpx9"])
        #expect(transport.receivedRequests.map { $0.queryValue("continue") } == [nil, Self.expiredToken, nil])
    }
}

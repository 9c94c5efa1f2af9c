// kubekit-bench: KubeKit's client for the peer benchmark harness (../shared/bench in the project's
// workspace). Each command does one workload in one process through the typed API (full generated
// models) and prints the count as its last line.
//
//   kubekit-bench get-pod NAME [--kubeconfig FILE] [--namespace NS] [--repeat N] [--concurrency C]   (W2, W3)
//   kubekit-bench list-pods [--kubeconfig FILE] [--namespace NS] [--limit N]                        (W1, W5)
//   kubekit-bench watch-pods [--kubeconfig FILE] [--namespace NS] [--resume]                        (W4)
//   kubekit-bench yaml FILE [--strict]                                           (manifest reading, no server)
//   kubekit-bench yaml-input configmap|list|documents N FILE                  (writes a yaml benchmark input)
//   kubekit-bench exec-cat BYTES [--pod NAME] [--kubeconfig FILE] [--namespace NS] [--test-server]
//   kubekit-bench port-forward-copy BYTES [--pod NAME] [--port P] [--kubeconfig FILE] [--test-server]
//   kubekit-bench serve-exec SECONDS KUBECONFIG          (the test server for `kubectl exec`, side by side)
//   kubekit-bench informer-pods [--events N] [--kubeconfig FILE] [--namespace NS]
//   kubekit-bench fake-list N                      (KubeTesting's FakeCluster: seed N pods, list them, no server)
//
// Every command that talks to a server takes --timeout SECONDS: the per-call time budget (default 30).
// get-pod: N GETs of one pod (sequential, or C in flight), each decoded; prints the number decoded.
// list-pods: one list, or with --limit every page following continue tokens; prints the pods decoded.
// yaml: reads FILE as `kubectl apply -f` would (ManifestReader) and serializes every object to the JSON
//   apply would send; prints the number of objects. Time and peak memory come from the harness (or
//   /usr/bin/time -v).
// yaml-input: writes the large inputs of Documentation/YAML.md: a ConfigMap with N keys, a JSON List of N
//   ConfigMaps, or N small YAML documents.
// exec-cat: runs `head -c BYTES /dev/zero` in pod NAME (default: web) and reads stdout to the end; prints
//   the bytes read, and the throughput on stderr. With --test-server it runs against KubeKit's in-process
//   exec server (TLS on loopback, Tests/KubeStreamTestServer) instead of a kubeconfig's cluster.
// port-forward-copy: forwards a local port to port P of pod NAME (default 7; the test server echoes every
//   port) and sends BYTES through one local TCP connection, reading them back; prints the bytes echoed.
// serve-exec: runs the in-process exec server for SECONDS with kubectl's discovery and pod lookups answered
//   from Tests/Recordings, and writes a kubeconfig for it to KUBECONFIG (namespace demo, pod
//   web-555cfbbb78-bj66h), so `kubectl exec` can be timed on the same server.
// informer-pods: an Informer on the namespace's pods (list, then watch) until N events were delivered
//   (default: the list's objects + 50,000); prints the objects held, and on stderr the resident memory the
//   store added per 1,000 objects and the events per second of the watch phase.
// fake-list: seeds a FakeCluster with N pods and lists them through KubeClient (typed decoding included) 5
//   times; prints N, and on stderr the seeding time and the fastest and slowest list.
// watch-pods: one watch request, every event decoded until the stream ends; prints the events decoded.
//   With --resume, the resilient watch (re-watch from the last resourceVersion, re-list on 410) runs until
//   SIGINT or SIGTERM, then prints the number of distinct events (type, uid, resourceVersion) and exits 0.

import Dispatch
import Foundation
import KubeConfig
import KubeErrors
import KubeResources
import KubeRuntime
import KubeStreamTestServer
import KubeTesting
import KubeTransport
#if canImport(Glibc)
import Glibc
#endif

struct Arguments {
    var command = ""
    var positional: [String] = []
    var options: [String: String] = [:]
    static let flags: Set<String> = ["resume", "strict", "test-server"]

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        command = iterator.next() ?? ""
        while let argument = iterator.next() {
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2))
                options[name] = Self.flags.contains(name) ? "true" : iterator.next() ?? ""
            } else {
                positional.append(argument)
            }
        }
    }

    func int(_ name: String) -> Int? { options[name].flatMap(Int.init) }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("kubekit-bench: \(message)\n".utf8))
    exit(2)
}

func makeClient(_ arguments: Arguments) throws -> (KubeClient, CurlTransport) {
    let loader = KubeconfigLoader(explicitPaths: arguments.options["kubeconfig"].map { [$0] } ?? [])
    let configuration = try loader.load(ConfigOverrides(namespace: arguments.options["namespace"]))
    var settings = CurlTransport.Configuration()
    if let seconds = arguments.options["timeout"].flatMap(Double.init) {
        settings.requestTimeout = .milliseconds(Int64(seconds * 1000))
    }
    let transport = CurlTransport(configuration, configuration: settings)
    return (KubeClient(transport: transport, namespace: configuration.namespace, tier: .read), transport)
}

/// A full-tier client for the streaming commands: the in-process test server, or the kubeconfig's cluster.
func makeStreamingClient(_ arguments: Arguments) throws -> (KubeClient, CurlTransport, StreamTestServer?) {
    guard arguments.options["test-server"] != nil else {
        let (client, transport) = try makeClient(arguments)
        return (client.withTier(.full), transport, nil)
    }
    let server = try StreamTestServer()
    let configuration = ClientConfiguration(server: URL(string: "https://127.0.0.1:\(server.port)")!,
                                            certificateAuthority: StreamTestServer.resource("ca.pem"))
    let transport = CurlTransport(configuration)
    return (KubeClient(transport: transport, namespace: "default", tier: .full), transport, server)
}

func report(_ what: String, bytes: Int, since start: ContinuousClock.Instant) {
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    FileHandle.standardError.write(Data(String(format: "%@: %d bytes in %.3f s (%.1f MB/s)\n", what, bytes, seconds,
                                               Double(bytes) / seconds / 1_000_000).utf8))
}

func execCat(_ arguments: Arguments) async throws -> Int {
    guard let bytes = arguments.positional.first.flatMap(Int.init) else { fail("exec-cat needs a byte count") }
    let (client, transport, server) = try makeStreamingClient(arguments)
    defer { transport.shutdownNow(); server?.stop() }
    let start = ContinuousClock.now
    let session = try await client.pods().exec(arguments.options["pod"] ?? "web", command: ["head", "-c", "\(bytes)", "/dev/zero"],
                                               options: ExecOptions(stdout: true, stderr: true))
    async let errors = session.stderr.collect()
    var total = 0
    for try await chunk in session.stdout { total += chunk.count }
    _ = try await errors
    let status = try await session.status()
    guard status.exitCode == 0 else { fail("the command exited with \(status.exitCode)") }
    report("exec-cat", bytes: total, since: start)
    return total
}

func portForwardCopy(_ arguments: Arguments) async throws -> Int {
    guard let bytes = arguments.positional.first.flatMap(Int.init) else { fail("port-forward-copy needs a byte count") }
    let (client, transport, server) = try makeStreamingClient(arguments)
    defer { transport.shutdownNow(); server?.stop() }
    let forwarder = try await client.pods().forward(arguments.options["pod"] ?? "web",
                                                    ports: [PortMapping(local: 0, remote: arguments.int("port") ?? 7)])
    let start = ContinuousClock.now
    let echoed = try await LoopbackClient.echo(port: forwarder.mappings[0].local, count: bytes).received
    report("port-forward-copy", bytes: echoed, since: start)
    await forwarder.close()
    return echoed
}

/// A list document filtered by the request's equality label and field selectors (`a=b`, `a!=b`, comma-separated),
/// as kube-apiserver would: kubectl describe asks for an object's events, a replica set's pods, a node's pods.
func selected(_ uri: String, from documents: [String: (contentType: String, body: String)]) -> (contentType: String, body: String)? {
    guard let components = URLComponents(string: uri), let document = documents[components.path],
          let items = components.queryItems, items.contains(where: { $0.name == "labelSelector" || $0.name == "fieldSelector" }),
          var list = (try? JSONSerialization.jsonObject(with: Data(document.body.utf8))) as? [String: Any],
          let objects = list["items"] as? [[String: Any]] else { return nil }
    func value(_ object: [String: Any], _ path: String) -> String {
        var current: Any? = object
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return current.map { "\($0)" } ?? ""
    }
    var tests: [([String: Any]) -> Bool] = []
    for item in items {
        for term in (item.value ?? "").split(separator: ",").map(String.init) where !term.isEmpty {
            let negated = term.contains("!=")
            let parts = term.components(separatedBy: negated ? "!=" : "=")
            let (key, expected) = (parts[0], parts.count > 1 ? parts[1] : "")
            if item.name == "labelSelector" {
                tests.append { ((($0["metadata"] as? [String: Any])?["labels"] as? [String: String])?[key] == expected) != negated }
            } else if item.name == "fieldSelector" {
                tests.append { (value($0, key) == expected) != negated }
            }
        }
    }
    list["items"] = objects.filter { object in tests.allSatisfy { $0(object) } }
    return (document.contentType, String(decoding: (try? JSONSerialization.data(withJSONObject: list)) ?? Data(), as: UTF8.self))
}

/// A recorded exchange (its first, for a recorded sequence): the request's path, the response's content type
/// and body.
func recorded(_ name: String, in recordings: URL) throws -> (path: String, contentType: String, body: String) {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: recordings.appendingPathComponent(name + ".json")))
    guard let recording = (json as? [[String: Any]])?.first ?? json as? [String: Any],
          let request = recording["request"] as? [String: Any], let response = recording["response"] as? [String: Any],
          let path = request["path"] as? String, let body = response["body"] as? String else { fail("cannot read \(name)") }
    let headers = response["headers"] as? [String: String] ?? [:]
    return (path, headers.first { $0.key.lowercased() == "content-type" }?.value ?? "application/json", body)
}

/// Each item of a recorded list at `collection/NAME`, with the kind and apiVersion lists leave out (for
/// `kubectl describe KIND NAME`).
func serveItems(of list: String, kind: String, apiVersion: String, at collection: String,
                into documents: inout [String: (contentType: String, body: String)]) throws {
    let items = (try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
    for item in items {
        var object = item
        object["kind"] = kind
        object["apiVersion"] = apiVersion
        let name = (item["metadata"] as? [String: Any])?["name"] as? String ?? ""
        documents["\(collection)/\(name)"] = ("application/json", String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }
}

func serveExec(_ arguments: Arguments) async throws -> Int {
    guard arguments.positional.count == 2, let seconds = Int(arguments.positional[0]) else { fail("serve-exec needs SECONDS KUBECONFIG") }
    let recordings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Recordings")
    var documents: [String: (contentType: String, body: String)] = [:]
    for name in ["discovery/01-version", "discovery/08-api-aggregated-v2", "discovery/07-apis-aggregated-v2", "pods/01-get-running-pod",
                 "pods/20-list-pods-as-table", "apply/03-apply-configmap-changed"] {
        let exchange = try recorded(name, in: recordings)
        documents[exchange.path] = (exchange.contentType, exchange.body)
    }
    // The configmap's recorded answer was to a PATCH; kubectl describe GETs it.
    if let configMap = documents["/api/v1/namespaces/demo/configmaps/app-config?fieldManager=kubekit"] {
        documents["/api/v1/namespaces/demo/configmaps/app-config"] = configMap
    }
    // A namespace for `kubectl describe namespace demo`, with a resource quota and no limit range.
    documents["/api/v1/namespaces/demo"] = ("application/json", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"demo","uid":"5a1f0c7e-1111-4d6e-9a51-2b3c4d5e6f70","resourceVersion":"12","creationTimestamp":"2026-11-22T10:40:00Z","labels":{"kubernetes.io/metadata.name":"demo","team":"shop"},"annotations":{"owner":"platform"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#)
    documents["/api/v1/namespaces/demo/resourcequotas"] = ("application/json", #"{"kind":"ResourceQuotaList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"compute","namespace":"demo"},"spec":{"hard":{"pods":"10","requests.cpu":"4"}},"status":{"hard":{"pods":"10","requests.cpu":"4"},"used":{"pods":"5","requests.cpu":"1500m"}}}]}"#)
    documents["/api/v1/namespaces/demo/limitranges"] = ("application/json", #"{"kind":"LimitRangeList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}"#)
    // For the describe goldens: the deployment, its replica sets and pods, the service, a node, and the events.
    // Lists are filtered by the selectors kubectl sends (`selected`), as the API server would.
    for (name, path) in [("deployments/01-get-deployment", "/apis/apps/v1/namespaces/demo/deployments/web"),
                         ("deployments/09-list-replicasets-label-selector", "/apis/apps/v1/namespaces/demo/replicasets"),
                         ("pods/03-list-pods", "/api/v1/namespaces/demo/pods"),
                         ("apply/04-apply-service", "/api/v1/namespaces/demo/services/web"),
                         ("pods/02-get-pending-pod", "/api/v1/namespaces/demo/pods/api-b97456c9b-5jpx9"),
                         ("events/01-list-core-events", "/api/v1/namespaces/demo/events")] {
        documents[path] = ("application/json", try recorded(name, in: recordings).body)
    }
    try serveItems(of: documents["/apis/apps/v1/namespaces/demo/replicasets"]!.body, kind: "ReplicaSet", apiVersion: "apps/v1",
                   at: "/apis/apps/v1/namespaces/demo/replicasets", into: &documents)
    try serveItems(of: documents["/api/v1/namespaces/demo/events"]!.body, kind: "Event", apiVersion: "v1",
                   at: "/api/v1/namespaces/demo/events", into: &documents)
    documents["/api/v1/nodes/node-1"] = ("application/json", try String(contentsOf: recordings.appendingPathComponent("describe/node-1.json"), encoding: .utf8))
    documents["/api/v1/pods"] = documents["/api/v1/namespaces/demo/pods"]
    documents["/api/v1/events"] = ("application/json", #"{"kind":"EventList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}"#)
    documents["/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1"] = ("application/json", #"{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"node-1","namespace":"kube-node-lease","uid":"2f0d7c8e-5b1a-4c3d-9e8f-7a6b5c4d3e2f","resourceVersion":"948","creationTimestamp":"2026-11-22T10:38:13Z"},"spec":{"holderIdentity":"node-1","leaseDurationSeconds":40,"renewTime":"2026-11-22T10:55:03.123456Z"}}"#)
    documents["/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices"] = ("application/json", #"{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"web-x7k2p","namespace":"demo","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.0.5"],"conditions":{"ready":true}},{"addresses":["10.244.0.6"],"conditions":{"ready":true}},{"addresses":["10.244.0.9"],"conditions":{"ready":false}}],"ports":[{"name":"http","port":80,"protocol":"TCP"}]}]}"#)
    let lists = documents
    let server = try StreamTestServer(pods: ["web", "web-555cfbbb78-bj66h"], documents: documents) { uri in
        selected(uri, from: lists)
    }
    defer { server.stop() }
    let ca = Data(StreamTestServer.resource("ca.pem")).base64EncodedString()
    let kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: stream-test
          cluster:
            server: https://127.0.0.1:\(server.port)
            certificate-authority-data: \(ca)
        users:
        - name: stream-test
          user:
            token: not-a-secret
        contexts:
        - name: stream-test
          context: {cluster: stream-test, user: stream-test, namespace: demo}
        current-context: stream-test

        """
    try kubeconfig.write(toFile: arguments.positional[1], atomically: true, encoding: .utf8)
    FileHandle.standardError.write(Data("serve-exec: listening on 127.0.0.1:\(server.port) for \(seconds) s\n".utf8))
    try await Task.sleep(for: .seconds(seconds))
    return server.requests.count
}

func fakeList(_ arguments: Arguments) async throws -> Int {
    guard let count = arguments.positional.first.flatMap(Int.init) else { fail("fake-list needs a count") }
    let cluster = FakeCluster(namespaces: ["default", "bench"])
    let seedStart = ContinuousClock.now
    var manifests: [String] = []
    for index in 0..<count {
        manifests.append(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-\#(index)","namespace":"bench","labels":{"app":"web","shard":"\#(index % 10)"}},"spec":{"nodeName":"n\#(index % 5)","containers":[{"name":"app","image":"registry.example.com/app:1.\#(index % 7)","ports":[{"containerPort":8080}]}]},"status":{"phase":"Running"}}"#)
        if manifests.count == 1000 {
            try cluster.seed(manifests.joined(separator: "\n---\n"))
            manifests.removeAll()
        }
    }
    if !manifests.isEmpty { try cluster.seed(manifests.joined(separator: "\n---\n")) }
    let seeded = ContinuousClock.now - seedStart
    let pods = KubeClient(transport: cluster, namespace: "bench").pods()
    var times: [Duration] = []
    var listed = 0
    for _ in 0..<5 {
        let start = ContinuousClock.now
        listed = try await pods.list().items.count
        times.append(ContinuousClock.now - start)
    }
    let selectorStart = ContinuousClock.now
    let selected = try await pods.list(ListOptions(labelSelector: .equals("shard", "3"))).items.count
    let selectorTime = ContinuousClock.now - selectorStart
    FileHandle.standardError.write(Data("fake-list: \(count) pods seeded in \(seeded); list of \(listed): fastest \(times.min()!), slowest \(times.max()!); label-selected \(selected) in \(selectorTime)\n".utf8))
    return listed
}

/// Resident memory after glibc returned its free pages (malloc_trim, looked up at run time: the Glibc
/// module does not export malloc.h), so it shows what live objects hold rather than freed-but-kept arenas.
func heapInUse() -> Int {
    typealias Trim = @convention(c) (Int) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
    return residentBytes()
}

/// Resident memory now (VmRSS), in bytes.
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
    return kilobytes * 1024
}

func informerPods(_ arguments: Arguments) async throws -> Int {
    let (client, transport) = try makeClient(arguments)
    defer { transport.shutdownNow() }
    let informer = Informer(client.pods())
    let before = residentBytes()
    let heapBefore = heapInUse()
    let start = ContinuousClock.now
    let running = Task { try await informer.run() }
    await informer.waitForSync()
    let synced = ContinuousClock.now
    let held = informer.store.count
    let afterList = residentBytes()
    let heapAfterList = heapInUse()
    let wanted = arguments.int("events") ?? held + 50_000
    var delivered = 0
    for await _ in informer.events {
        delivered += 1
        if delivered >= wanted { break }
    }
    let end = ContinuousClock.now
    running.cancel()
    let watchEvents = delivered - held
    let watchSeconds = (end - synced) / .seconds(1)
    FileHandle.standardError.write(Data(String(
        format: "informer-pods: %d objects listed in %.3f s; per 1,000 objects held: %.2f MiB resident after malloc_trim, %.2f MiB before (list transients included); %d watch events in %.3f s (%.0f events/s); %d objects held, %.1f MiB resident\n",
        held, (synced - start) / .seconds(1), Double(heapAfterList - heapBefore) / 1_048_576 / (Double(max(held, 1)) / 1000),
        Double(afterList - before) / 1_048_576 / (Double(max(held, 1)) / 1000),
        watchEvents, watchSeconds, Double(watchEvents) / watchSeconds, informer.store.count, Double(residentBytes()) / 1_048_576).utf8))
    return informer.store.count
}


func getPod(_ arguments: Arguments) async throws -> Int {
    guard let name = arguments.positional.first else { fail("get-pod needs a pod name") }
    let (client, transport) = try makeClient(arguments)
    defer { transport.shutdownNow() }
    let pods = client.pods()
    let repeatCount = arguments.int("repeat") ?? 1
    let concurrency = max(1, arguments.int("concurrency") ?? 1)

    @Sendable func fetch() async throws -> Int {
        try await pods.get(name).metadata?.name == name ? 1 : 0
    }

    if concurrency == 1 {
        var decoded = 0
        for _ in 0..<repeatCount { decoded += try await fetch() }
        return decoded
    }
    return try await withThrowingTaskGroup(of: Int.self) { group in
        var started = 0
        var decoded = 0
        while started < min(concurrency, repeatCount) {
            group.addTask { try await fetch() }
            started += 1
        }
        while let result = try await group.next() {
            decoded += result
            if started < repeatCount {
                group.addTask { try await fetch() }
                started += 1
            }
        }
        return decoded
    }
}

func listPods(_ arguments: Arguments) async throws -> Int {
    let (client, transport) = try makeClient(arguments)
    defer { transport.shutdownNow() }
    guard let limit = arguments.int("limit") else {
        return try await client.pods().list().items.count { $0.metadata?.name != nil }
    }
    var decoded = 0
    for try await pod in client.pods().listAll(ListOptions(limit: limit)) where pod.metadata?.name != nil {
        decoded += 1
    }
    return decoded
}

func watchPods(_ arguments: Arguments) async throws -> Int {
    let (client, transport) = try makeClient(arguments)
    defer { transport.shutdownNow() }
    let options = WatchOptions(timeoutSeconds: nil)
    guard arguments.options["resume"] != nil else {
        var decoded = 0
        for try await event in try await client.pods().watchStream(options) where event.object?.metadata?.name != nil {
            decoded += 1
        }
        return decoded
    }
    // Distinct (type, uid, resourceVersion): a resumed stream may repeat what was already seen.
    let watch = client.pods().watch(options)
    let task = Task {
        var seen = Set<String>()
        do {
            for try await event in watch {
                if case .relisted(let pods) = event {
                    for pod in pods { seen.insert("RELISTED \(pod.metadata?.uid ?? "") \(pod.metadata?.resourceVersion ?? "")") }
                } else if let metadata = event.object?.metadata {
                    seen.insert("\(event.type) \(metadata.uid ?? "") \(metadata.resourceVersion ?? "")")
                }
            }
        } catch is CancellationError {
        } catch let error as KubeError where error.code == .cancelled {
        }
        return seen.count
    }
    let signals = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    let count = try await task.value
    signals.forEach { $0.cancel() }
    return count
}

func readYAML(_ arguments: Arguments) throws -> Int {
    guard let path = arguments.positional.first else { fail("yaml needs a file") }
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    let manifests = ManifestReader.read([UInt8](data), source: path,
                                        options: .init(strictDuplicateKeys: arguments.options["strict"] != nil))
    if let failure = manifests.failures.first { fail("\(failure)") }
    var bytes = 0
    for item in manifests.objects { bytes += item.object.jsonText.utf8.count }
    return bytes > 0 ? manifests.objects.count : 0
}

func writeYAMLInput(_ arguments: Arguments) throws -> Int {
    guard arguments.positional.count == 3, let count = Int(arguments.positional[1]) else {
        fail("yaml-input needs configmap|list|documents N FILE")
    }
    var text = ""
    switch arguments.positional[0] {
    case "configmap":
        text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n"
        for key in 0..<count { text += "  key-\(key): \"value number \(key)\"\n" }
    case "list":
        text = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
        for item in 0..<count {
            if item > 0 { text += ",\n" }
            text += #"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-\#(item)", "namespace": "bench", "labels": {"app": "web", "tier": "frontend", "index": "\#(item)"}, "annotations": {"note": "\#(String(repeating: "x", count: 300))"}}, "data": {"a": "alpha", "b": "beta", "c": "gamma", "n": "\#(item)", "config.yaml": "line one\nline two\nline three\n"}}"#
        }
        text += "\n]}\n"
    case "documents":
        for item in 0..<count { text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-\(item)\ndata: {k: v}\n" }
    default:
        fail("yaml-input needs configmap|list|documents")
    }
    _ = FileManager.default.createFile(atPath: arguments.positional[2], contents: Data(text.utf8))
    return text.utf8.count
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
do {
    switch arguments.command {
    case "get-pod":
        print(try await getPod(arguments))
    case "list-pods":
        print(try await listPods(arguments))
    case "watch-pods":
        print(try await watchPods(arguments))
    case "yaml":
        print(try readYAML(arguments))
    case "yaml-input":
        print(try writeYAMLInput(arguments))
    case "exec-cat":
        print(try await execCat(arguments))
    case "port-forward-copy":
        print(try await portForwardCopy(arguments))
    case "serve-exec":
        print(try await serveExec(arguments))
    case "informer-pods":
        print(try await informerPods(arguments))
    case "fake-list":
        print(try await fakeList(arguments))
    default:
        fail("unknown command \"\(arguments.command)\"; commands: get-pod, list-pods, watch-pods, yaml, yaml-input, exec-cat, port-forward-copy, serve-exec, informer-pods, fake-list")
    }
} catch {
    fail("\(error)")
}

import Foundation
import Testing

/// Speaks JSON-RPC (one message per line) to a running `kubekit-mcp` over its standard input and output.
final class MCPClient: @unchecked Sendable {
    // @unchecked: `process` and the pipes are set once in init; `buffer` is only touched by the test's own
    // task, one request at a time.
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var buffer = Data()
    var nextID = 1

    init(_ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = try Binaries.url("kubekit-mcp")
        process.arguments = arguments
        process.environment = try environment ?? Binaries.environment()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        Binaries.terminateIfStillRunning(process)
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }

    func send(_ message: [String: Any]) throws {
        var line = try JSONSerialization.data(withJSONObject: message)
        line.append(0x0A)
        input.fileHandleForWriting.write(line)
    }

    /// Sends a request and reads lines until the response with its id.
    func request(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        while true {
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                if let message = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], message["id"] as? Int == id {
                    return message
                }
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Failure("kubekit-mcp closed its output before answering \(method)") }
            buffer.append(chunk)
        }
    }

    /// initialize, then the initialized notification.
    func handshake() throws -> [String: Any] {
        let answer = try request("initialize", ["protocolVersion": "2025-06-18", "capabilities": [:] as [String: Any],
                                                "clientInfo": ["name": "kubekit-tests", "version": "1"]])
        try send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return answer
    }

    func call(_ tool: String, _ arguments: [String: Any]) throws -> (text: String, structured: [String: Any]?, isError: Bool) {
        let answer = try request("tools/call", ["name": tool, "arguments": arguments])
        let result = answer["result"] as? [String: Any] ?? [:]
        let text = (result["content"] as? [[String: Any]])?.compactMap { $0["text"] as? String }.joined() ?? ""
        return (text, result["structuredContent"] as? [String: Any], result["isError"] as? Bool ?? false)
    }
}

@Suite("kubekit-mcp, spoken to over pipes as an MCP client would", .timeLimit(.minutes(2)))
struct MCPTests {
    @Test("a read-tier server lists only the read tools and refuses the others by name")
    func readTier() throws {
        let client = try MCPClient(["--tier", "read"])
        let initialized = try client.handshake()
        #expect((initialized["result"] as? [String: Any])?["serverInfo"] as? [String: String] == ["name": "kubekit-mcp", "version": "0.1.0"])
        let tools = ((try client.request("tools/list")["result"] as? [String: Any])?["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(tools == ["k8s_get", "k8s_describe", "k8s_logs", "k8s_get_events"])
        let refused = try client.call("k8s_scale", ["resource": "deploy", "name": "web", "replicas": 4])
        #expect(refused.isError)
        #expect(refused.text == "unknown tool \"k8s_scale\" (this server serves the read tier)")
    }

    @Test("get as text and structured JSON; describe; logs; events")
    func reads() throws {
        let client = try MCPClient(["--tier", "read"])
        _ = try client.handshake()
        let pods = try client.call("k8s_get", ["resource": "pods", "namespace": "demo"])
        #expect(!pods.isError)
        #expect(pods.text.hasPrefix("NAME                READY   STATUS    RESTARTS   AGE\n"))
        #expect(pods.structured?["columns"] as? [String] == ["Name", "Ready", "Status", "Restarts", "Age"])
        #expect((pods.structured?["rows"] as? [[Any]])?.count == 5)
        let json = try client.call("k8s_get", ["resource": "deployments", "names": ["web"], "output": "json"])
        #expect((json.structured?["spec"] as? [String: Any])?["replicas"] as? Int == 3)
        let describe = try client.call("k8s_describe", ["resource": "svc", "name": "web"])
        #expect(describe.text.hasPrefix("Name:                     web\nNamespace:                demo\n"))
        let events = try client.call("k8s_get_events", ["for": "deployment/web"])
        #expect(events.text.contains("ScalingReplicaSet"))
        let missing = try client.call("k8s_logs", ["pod": "nope"])
        #expect(missing.isError)
        #expect(missing.text.hasPrefix("pods \"nope\" not found"))
        #expect(missing.structured?["code"] as? String == "api")
    }

    @Test("a write-tier server changes the embedded cluster, and the change is there on the next call")
    func writes() throws {
        let client = try MCPClient(["--tier", "write"])
        _ = try client.handshake()
        let tools = ((try client.request("tools/list")["result"] as? [String: Any])?["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(tools?.count == 8 && tools?.contains("k8s_rollout") == true && tools?.contains("k8s_exec") == false)
        let scaled = try client.call("k8s_scale", ["resource": "deployment", "name": "web", "replicas": 5])
        #expect(scaled.text == "deployment.apps/web scaled\n")
        let after = try client.call("k8s_get", ["resource": "deploy", "names": ["web"]])
        #expect(after.text.contains("web    5/5     5            5"))
        let applied = try client.call("k8s_apply", ["manifests": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-mcp}\ndata: {a: b}\n"])
        #expect(applied.text == "configmap/from-mcp created\n")
        let restarted = try client.call("k8s_rollout", ["action": "restart", "deployment": "deployment/web"])
        #expect(restarted.text == "deployment.apps/web restarted\n")
        let history = try client.call("k8s_rollout", ["action": "history", "deployment": "web"])
        #expect(history.text.contains("1         <none>\n2         <none>\n"))
        let bad = try client.call("k8s_apply", ["manifests": "kind: ConfigMap\nmetadata: {name: x}\n"])
        #expect(bad.isError)
        #expect(bad.text.contains("apiVersion"))
    }
}

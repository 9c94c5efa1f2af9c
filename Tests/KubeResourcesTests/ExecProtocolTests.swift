import Foundation
import Testing
import KubeErrors
import KubeTransport
@testable import KubeResources

/// An upgraded connection that plays scripted messages and records what is sent: a mock standing in for
/// the WebSocket behind `KubeTransport.upgrade`.
final class ScriptedConnection: KubeUpgradedConnection, @unchecked Sendable {
    // @unchecked: `script` and `sent` are only touched under `lock`.
    let selectedProtocol: String?
    private let lock = NSLock()
    private var script: [KubeUpgradedMessage]
    private var sentMessages: [KubeUpgradedMessage] = []

    init(protocol: String? = ExecProtocol.v5, _ script: [KubeUpgradedMessage]) {
        self.selectedProtocol = `protocol`
        self.script = script
    }

    var sent: [KubeUpgradedMessage] { lock.withLock { sentMessages } }
    func send(_ message: KubeUpgradedMessage) async throws { lock.withLock { sentMessages.append(message) } }
    func receive() async throws -> KubeUpgradedMessage? { lock.withLock { script.isEmpty ? nil : script.removeFirst() } }
    func close() async {}
}

/// A transport whose upgrades return a scripted connection.
struct ScriptedUpgradeTransport: KubeTransport {
    let connection: ScriptedConnection
    let requests = Requests()
    final class Requests: @unchecked Sendable {
        // @unchecked: `items` only under `lock`.
        private let lock = NSLock()
        private var items: [(KubeRequest, [String])] = []
        func append(_ item: (KubeRequest, [String])) { lock.withLock { items.append(item) } }
        var all: [(KubeRequest, [String])] { lock.withLock { items } }
    }
    func send(_ request: KubeRequest) async throws -> KubeResponse {
        throw KubeError(code: .unsupported, message: "no plain requests here")
    }
    func upgrade(_ request: KubeRequest, protocols: [String]) async throws -> any KubeUpgradedConnection {
        requests.append((request, protocols))
        return connection
    }
}

@Suite("exec channel protocol (over a mock connection)", .timeLimit(.minutes(1)))
struct ExecProtocolTests {
    func status(_ json: String) throws(KubeError) -> ExecStatus { try ExecSession.decodeStatus(Array(json.utf8), label: "exec in pods/web") }

    @Test("error channel: success, exit codes, and client-go's protocol errors")
    func statusDecoding() throws {
        #expect(try ExecSession.decodeStatus([], label: "x").exitCode == 0)
        #expect(try status(#"{"metadata":{},"status":"Success"}"#).exitCode == 0)
        #expect(try status(#"{"status":"Failure","reason":"NonZeroExitCode","message":"m","details":{"causes":[{"reason":"ExitCode","message":"137"}]}}"#).exitCode == 137)
        func message(_ json: String) -> String? {
            do { _ = try status(json); return nil } catch { return error.message }
        }
        #expect(message(#"{"status":"Failure","reason":"NonZeroExitCode"}"#) == "exec in pods/web: error stream protocol error: details must be set")
        #expect(message(#"{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[]}}"#) == "exec in pods/web: error stream protocol error: no ExitCode cause given")
        #expect(message(#"{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"300"}]}}"#)
                == "exec in pods/web: error stream protocol error: invalid exit code value \"300\"")
        #expect(message(#"{"status":"Failure","reason":"InternalError","message":"error executing command in container: container not found"}"#)
                == "error executing command in container: container not found")
        #expect(message("not json")?.hasPrefix("exec in pods/web: error stream protocol error: ") == true)
        #expect(message("not json")?.hasSuffix(" in \"not json\"") == true)
    }

    @Test("unrequested channels and empty payloads are ignored; stdout and stderr keep their order")
    func demultiplexing() async throws {
        let connection = ScriptedConnection([
            .binary([1] + Array("a".utf8)), .binary([9, 1, 2]), .binary([1]), .binary([2] + Array("warn".utf8)),
            .binary([]), .binary([1] + Array("b".utf8)), .binary([3] + Array(#"{"status":"Success"}"#.utf8)),
        ])
        let client = KubeClient(transport: ScriptedUpgradeTransport(connection: connection), tier: .full)
        let result = try await client.pods().run("web", command: ["x"])
        #expect(result.stdoutText == "ab")
        #expect(result.stderrText == "warn")
        #expect(result.exitCode == 0)
    }

    @Test("a text message on the binary protocol ends the session with an error")
    func textMessageIsAnError() async throws {
        let connection = ScriptedConnection([.binary([1, 65]), .text("1QQ==")])
        let client = KubeClient(transport: ScriptedUpgradeTransport(connection: connection), tier: .full)
        let error = await #expect(throws: KubeError.self) { try await client.pods().run("web", command: ["x"]) }
        #expect(error?.message == "exec in pods/web: the server sent a text message on a binary channel protocol")
    }

    @Test("stdin, close and resize frames on the wire; the offer is v5 then v4")
    func clientFrames() async throws {
        let connection = ScriptedConnection([])
        let transport = ScriptedUpgradeTransport(connection: connection)
        let session = try await KubeClient(transport: transport, tier: .full).pods(in: "shop")
            .exec("web", command: ["sh"], options: ExecOptions(container: "app", stdin: true, tty: true))
        try await session.stdin.write("ls\n")
        try await session.resize(width: 80, height: 24)
        try await session.stdin.close()
        try await session.stdin.close()   // a second close sends nothing
        let expected: [KubeUpgradedMessage] = [.binary([0] + Array("ls\n".utf8)), .binary([4] + Array(#"{"Width":80,"Height":24}"#.utf8)), .binary([255, 0])]
        #expect(connection.sent == expected)
        let (request, protocols) = try #require(transport.requests.all.first)
        #expect(request.target == "/api/v1/namespaces/shop/pods/web/exec?command=sh&container=app&stdin=true&stdout=true&tty=true")
        #expect(protocols == ["v5.channel.k8s.io", "v4.channel.k8s.io"])
        _ = try await session.status()
    }

    @Test("port-forward prefixes must be 2 bytes naming the requested port")
    func portPrefixes() async throws {
        for (script, message) in [
            ([KubeUpgradedMessage.binary([0, 80])], "port-forward to pods/web: received initial frame with invalid size 1 on channel 0"),
            ([.binary([0, 81, 0])], "port-forward to pods/web: invalid port mapping in initial frame: channel 0 is for port 81, expected 80"),
        ] {
            let client = KubeClient(transport: ScriptedUpgradeTransport(connection: ScriptedConnection(protocol: ExecProtocol.v4, script)), tier: .full)
            let session = try await client.pods().portForward("web", ports: [80])
            let error = await #expect(throws: KubeError.self) { try await session.stream(forPort: 80).output.collect() }
            #expect(error?.message == message)
        }
    }
}

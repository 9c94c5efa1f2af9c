import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeStreamTestServer
import KubeTransport
@testable import KubeResources
#if canImport(Glibc)
import Glibc
#endif

/// A client for a stream test server.
func streamingClient(_ server: StreamTestServer, tier: AccessTier = .full) -> KubeClient {
    let configuration = ClientConfiguration(
        server: URL(string: "https://127.0.0.1:\(server.port)")!,
        certificateAuthority: StreamTestServer.resource("ca.pem"),
        authentication: [.token],
        credentials: StaticCredentialProvider(Credentials(authorization: .bearer(Sensitive("t")))))
    var transport = CurlTransport.Configuration()
    transport.connectTimeout = .seconds(5)
    return KubeClient(transport: CurlTransport(configuration, configuration: transport), namespace: "default", tier: tier)
}

@Suite("exec and attach over WebSocket", .timeLimit(.minutes(2)))
struct ExecTests {
    @Test("a command's output and exit code 0; the request names each argument")
    func echo() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let result = try await streamingClient(server).pods().run("web", command: ["echo", "hello", "a b"], container: "app")
        #expect(result.stdoutText == "hello a b\n")
        #expect(result.stderr.isEmpty)
        #expect(result.exitCode == 0)
        #expect(server.requests.map(\.uri) == ["/api/v1/namespaces/default/pods/web/exec?command=echo&command=hello&command=a+b&container=app&stderr=true&stdout=true"])
    }

    @Test("a non-zero exit code is decoded from the error channel, with stderr")
    func nonZeroExit() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let pods = streamingClient(server).pods()
        let failed = try await pods.run("web", command: ["fail", "boom", "2"])
        #expect(failed.exitCode == 2)
        #expect(failed.stderrText == "boom")
        let session = try await pods.exec("web", command: ["exit", "42"])
        let status = try await session.status()
        #expect(status.exitCode == 42)
        #expect(status.message?.hasPrefix("command terminated with non-zero exit code") == true)
    }

    @Test("a command that cannot start throws the runtime's message")
    func missingExecutable() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let error = await #expect(throws: KubeError.self) {
            try await streamingClient(server).pods().run("web", command: ["missing"])
        }
        #expect(error?.message.hasPrefix("error executing command in container: failed to exec in container: exec: \"missing\": executable file not found") == true)
        #expect(error?.status?.reason == "InternalError")
    }

    @Test("stdin is echoed and closing it (v5) ends the command")
    func stdinEcho() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let session = try await streamingClient(server).pods().exec("web", command: ["cat"], options: ExecOptions(stdin: true))
        #expect(session.negotiatedProtocol == "v5.channel.k8s.io")
        try await session.stdin.write("ping ")
        try await session.stdin.write(Array(repeating: UInt8(ascii: "z"), count: 100_000))
        try await session.stdin.close()
        let result = try await session.collect()
        #expect(result.stdout.count == 5 + 100_000)
        #expect(result.stdoutText.hasPrefix("ping zzz"))
        #expect(result.exitCode == 0)
    }

    @Test("on a v4 server closing stdin fails clearly")
    func v4CannotCloseStdin() async throws {
        let server = try StreamTestServer(protocols: ["v4.channel.k8s.io"])
        defer { server.stop() }
        let session = try await streamingClient(server).pods().exec("web", command: ["cat"], options: ExecOptions(stdin: true))
        #expect(session.negotiatedProtocol == "v4.channel.k8s.io")
        let error = await #expect(throws: KubeError.self) { try await session.stdin.close() }
        #expect(error?.code == .unsupported)
        #expect(error?.message == "exec in pods/web: closing stdin needs v5.channel.k8s.io; the server chose v4.channel.k8s.io")
        await session.cancel()
    }

    @Test("large output streams with back-pressure and arrives complete")
    func largeOutput() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let size = 32 << 20
        let session = try await streamingClient(server).pods().exec("web", command: ["generate", "\(size)"])
        var total = 0
        var chunks = 0
        for try await chunk in session.stdout {
            total += chunk.count
            chunks += 1
            if chunks % 100 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(total == size)
        #expect(try await session.status().exitCode == 0)
    }

    @Test("a connection cut before the status is an error, not a success")
    func serverClosesEarly() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let session = try await streamingClient(server).pods().exec("web", command: ["close-early"])
        let error = await #expect(throws: KubeError.self) { try await session.collect() }
        #expect(error?.message == "the connection to the server was lost: it closed without a WebSocket close frame")
    }

    @Test("a terminal can be resized; stderr is not requested with a terminal")
    func resize() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let session = try await streamingClient(server).pods().exec("web", command: ["size"], options: ExecOptions(stdin: true, tty: true))
        try await session.resize(width: 132, height: 43)
        let result = try await session.collect()
        #expect(result.stdoutText == "132x43\n")
        #expect(server.requests.first?.uri.contains("stderr") == false)
        #expect(server.requests.first?.uri.contains("tty=true") == true)
    }

    @Test("attach connects to the running process")
    func attach() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let session = try await streamingClient(server).pods().attach("web", options: ExecOptions(stdin: true))
        try await session.stdin.write("typed\n")
        try await session.stdin.close()
        #expect(try await session.collect().stdoutText == "typed\n")
        #expect(server.requests.map(\.uri) == ["/api/v1/namespaces/default/pods/web/attach?stderr=true&stdin=true&stdout=true"])
    }

    @Test("a missing pod is the server's NotFound")
    func missingPod() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let error = await #expect(throws: KubeError.self) { try await streamingClient(server).pods().run("gone", command: ["echo"]) }
        #expect(error?.isNotFound == true)
    }

    @Test("exec, attach, port-forward and cp need the full tier and send nothing without it")
    func tiers() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        for tier in [AccessTier.read, .write] {
            let pods = streamingClient(server, tier: tier).pods()
            var messages: [String] = []
            for call in [
                { _ = try await pods.exec("web", command: ["echo"]) },
                { _ = try await pods.attach("web") },
                { _ = try await pods.portForward("web", ports: [80]) },
                { _ = try await pods.forward("web", ports: [PortMapping(local: 0, remote: 80)]) },
                { _ = try await pods.upload(URL(fileURLWithPath: "/etc/hostname"), to: "web", path: "/tmp") },
                { _ = try await pods.download(from: "web", path: "/etc/hostname", to: URL(fileURLWithPath: "/tmp/x")) },
            ] as [@Sendable () async throws -> Void] {
                let error = await #expect(throws: KubeError.self) { try await call() }
                #expect(error?.code == .tierDenied)
                messages.append(error?.message ?? "")
            }
            #expect(messages.map { $0.components(separatedBy: " pods ").first ?? "" }
                    == ["exec in", "attach to", "port-forward to", "port-forward to", "copy into", "copy from"])
            #expect(messages.allSatisfy { $0.hasSuffix("needs the full tier; this client has the \(tier) tier") })
        }
        #expect(server.requests.isEmpty)
    }
}

@Suite("port-forward over WebSocket", .timeLimit(.minutes(2)))
struct PortForwardTests {
    @Test("one session, two ports: the prefixes are checked and data is echoed per port")
    func session() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let session = try await streamingClient(server).pods().portForward("web", ports: [7, 8080])
        let first = try session.stream(forPort: 7), second = try session.stream(forPort: 8080)
        try await first.write(Array("to seven".utf8))
        try await second.write(Array("to 8080".utf8))
        var one = first.output.makeAsyncIterator(), two = second.output.makeAsyncIterator()
        #expect(try await one.next() == Array("to seven".utf8))
        #expect(try await two.next() == Array("to 8080".utf8))
        #expect(server.requests.first?.uri == "/api/v1/namespaces/default/pods/web/portforward?ports=7%2C8080")
        #expect(server.requests.first?.header("Sec-WebSocket-Protocol") == "v4.channel.k8s.io")
        #expect(throws: KubeError.self) { try session.stream(forPort: 9) }
        await session.close()
    }

    @Test("the error channel's text ends the stream as a KubeError")
    func refusedPort() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let session = try await streamingClient(server).pods().portForward("web", ports: [9])
        let stream = try session.stream(forPort: 9)
        try await stream.write([1])
        let error = await #expect(throws: KubeError.self) { try await stream.output.collect() }
        #expect(error?.message == "error forwarding port 9 to pod web, uid 0f8a1c6e: failed to connect to localhost:9 inside namespace: connection refused")
    }

    @Test("a connection the pod refuses is reported in failures and closed; the listener goes on")
    func listenerFailure() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let forwarder = try await streamingClient(server).pods().forward("web", ports: [PortMapping(local: 0, remote: 9)])
        let exchange = try await LoopbackClient.echo(port: forwarder.mappings[0].local, count: 1) { _ in 1 }
        #expect(exchange.received == 0)
        var failures = forwarder.failures.makeAsyncIterator()
        let failure = await failures.next()
        #expect(failure?.message.hasPrefix("error forwarding port 9 to pod web") == true)
        #expect(forwarder.mappings.map(\.remote) == [9])
        await forwarder.close()
    }

    @Test("bad port lists are refused before connecting")
    func portValidation() async throws {
        let pods = KubeClient(transport: UnreachableTransport(), tier: .full).pods()
        for (ports, message) in [([Int](), "needs at least one port"), ([0], "0 is not a port (1-65535)"), ([80, 80], "a port is listed twice")] {
            let error = await #expect(throws: KubeError.self) { try await pods.portForward("web", ports: ports) }
            #expect(error?.message.hasSuffix(message) == true)
        }
    }

    @Test("a local listener serves several concurrent connections, each on its own WebSocket")
    func listener() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let forwarder = try await streamingClient(server).pods().forward("web", ports: [PortMapping(local: 0, remote: 8080)])
        let port = forwarder.mappings[0].local
        #expect(port > 0)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<6 {
                group.addTask {
                    try await LoopbackClient.echo(port: port, count: 200_000 + index) { UInt8(truncatingIfNeeded: $0 &* (index + 1)) }.echoed
                }
            }
            for try await matched in group { #expect(matched) }
        }
        #expect(server.requests.count == 6)
        await forwarder.close()
        // Closed: nothing listens any more.
        await #expect(throws: LoopbackClient.ConnectionRefused.self) { _ = try await LoopbackClient.echo(port: port, count: 1) { _ in 1 } }
    }
}

/// A transport that must not be used.
struct UnreachableTransport: KubeTransport {
    func send(_ request: KubeRequest) async throws -> KubeResponse {
        Issue.record("unexpected request \(request)")
        throw KubeError(code: .transport, message: "unreachable")
    }
}

@Suite("cp: tar over exec", .timeLimit(.minutes(2)))
struct CopyTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubekit-cp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a folder goes into a container and comes back identical (long names, nesting, permissions)")
    func roundTrip() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let pods = streamingClient(server).pods()
        let local = try temporaryDirectory(), container = try temporaryDirectory(), back = try temporaryDirectory()
        defer { for url in [local, container, back] { try? FileManager.default.removeItem(at: url) } }
        let source = local.appendingPathComponent("site")
        let longName = String(repeating: "n", count: 120) + ".txt"
        try FileManager.default.createDirectory(at: source.appendingPathComponent("deep/er"), withIntermediateDirectories: true)
        try Data("index".utf8).write(to: source.appendingPathComponent("index.html"))
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0) }).write(to: source.appendingPathComponent("deep/er/blob.bin"))
        try Data("long".utf8).write(to: source.appendingPathComponent("deep/" + longName))
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: source.appendingPathComponent("index.html").path)

        // Into an existing folder: the copy lands inside it, under the local name.
        let sent = try await pods.upload(source, to: "web", path: container.path)
        #expect(sent.files == 3 && sent.directories == 3 && sent.bytes == 300_009)
        #expect(try Data(contentsOf: container.appendingPathComponent("site/deep/" + longName)) == Data("long".utf8))
        #expect(server.requests.map { $0.uri.components(separatedBy: "?")[1] }.contains(
            "command=tar&command=-xmf&command=-&command=-C&command=\(container.path.replacingOccurrences(of: "/", with: "%2F"))&stderr=true&stdin=true&stdout=true"))

        let received = try await pods.download(from: "web", path: container.path + "/site", to: back.appendingPathComponent("copy"))
        #expect(received.files == 3 && received.directories == 3 && received.bytes == 300_009)
        for path in ["index.html", "deep/er/blob.bin", "deep/" + longName] {
            #expect(try Data(contentsOf: back.appendingPathComponent("copy/" + path)) == Data(contentsOf: source.appendingPathComponent(path)))
        }
        let mode = try FileManager.default.attributesOfItem(atPath: back.appendingPathComponent("copy/index.html").path)[.posixPermissions] as? Int
        #expect(mode == 0o750)
    }

    @Test("a single file to a new name and back")
    func singleFile() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let pods = streamingClient(server).pods()
        let local = try temporaryDirectory(), container = try temporaryDirectory()
        defer { for url in [local, container] { try? FileManager.default.removeItem(at: url) } }
        try Data("settings".utf8).write(to: local.appendingPathComponent("app.conf"))
        try await pods.upload(local.appendingPathComponent("app.conf"), to: "web", path: container.path + "/renamed.conf")
        #expect(try String(contentsOf: container.appendingPathComponent("renamed.conf"), encoding: .utf8) == "settings")
        try await pods.download(from: "web", path: container.path + "/renamed.conf", to: local.appendingPathComponent("again.conf"))
        #expect(try String(contentsOf: local.appendingPathComponent("again.conf"), encoding: .utf8) == "settings")
    }

    @Test("a missing remote path reports tar's message")
    func missingRemote() async throws {
        let server = try StreamTestServer()
        defer { server.stop() }
        let local = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: local) }
        let error = await #expect(throws: KubeError.self) {
            try await streamingClient(server).pods().download(from: "web", path: "/no/such/file", to: local.appendingPathComponent("x"))
        }
        #expect(error?.code == .commandFailed)
        #expect(error?.message.hasPrefix("cp from pods/web: tar exited with code 2: /bin/tar: /no/such: Cannot open: No such file or directory") == true, "\(error?.message ?? "")")
    }

    @Test("an archive entry that climbs out of the destination is refused and nothing is written outside")
    func pathTraversal() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let destination = root.appendingPathComponent("dest")
        var archive: [UInt8] = []
        for (path, body) in [("data/ok.txt", "fine"), ("data/../x", "evil"), ("data/../../y", "evil")] {
            archive += TarWriter.header(TarEntry(path: path, kind: .file, mode: 0o644, size: body.utf8.count))
            archive += Array(body.utf8) + TarWriter.padding(body.utf8.count)
        }
        archive += TarWriter.end(afterWriting: archive.count)
        var reader = TarReader()
        reader.append(archive)
        var extractor = TarExtractor(root: destination, base: "data")
        let error = #expect(throws: KubeError.self) {
            while let event = try reader.next() { try extractor.handle(event) }
        }
        extractor.abandon()
        #expect(error?.code == .unsafeArchive)
        #expect(error?.message == "cp: refused the archive entry \"data/../x\": it would be written outside \(destination.path)")
        #expect(try String(contentsOf: destination.appendingPathComponent("ok.txt"), encoding: .utf8) == "fine")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("x").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("y").path))
    }

    @Test("an entry through a symbolic link in the destination is refused; links in the archive are skipped")
    func symlinks() throws {
        let root = try temporaryDirectory(), outside = try temporaryDirectory()
        defer { for url in [root, outside] { try? FileManager.default.removeItem(at: url) } }
        let destination = root.appendingPathComponent("dest")
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: destination.appendingPathComponent("link"), withDestinationURL: outside)
        var archive = TarWriter.header(TarEntry(path: "data/evil", kind: .symlink, mode: 0o777, size: 0, linkName: "/etc/passwd"))
        archive += TarWriter.header(TarEntry(path: "data/link/planted", kind: .file, mode: 0o644, size: 1)) + [1] + TarWriter.padding(1)
        archive += TarWriter.end(afterWriting: archive.count)
        var reader = TarReader()
        reader.append(archive)
        var extractor = TarExtractor(root: destination, base: "data")
        let error = #expect(throws: KubeError.self) {
            while let event = try reader.next() { try extractor.handle(event) }
        }
        #expect(error?.code == .unsafeArchive)
        #expect(extractor.report.skipped == ["data/evil: a link (to /etc/passwd), skipped as kubectl does"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }

    @Test("the tar reader reads GNU tar's long names and rejects a corrupt header")
    func tarReader() throws {
        var header = TarWriter.header(TarEntry(path: "a", kind: .file, mode: 0o644, size: 0))
        header[0] = UInt8(ascii: "b")
        var reader = TarReader()
        reader.append(header)
        let error = #expect(throws: KubeError.self) { _ = try reader.next() }
        #expect(error?.message == "the tar archive from the container is corrupt: entry 1 has a header with a bad checksum")
        // PAX path round trip.
        let long = String(repeating: "p/", count: 80) + "end"
        var round = TarReader()
        round.append(TarWriter.header(TarEntry(path: long, kind: .directory, mode: 0o755, size: 0)))
        #expect(try round.next() == .entry(TarEntry(path: long, kind: .directory, mode: 0o755, size: 0)))
    }
}

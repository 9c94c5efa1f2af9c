import Foundation
import Logging
import InMemoryLogging
import Synchronization
import KubeErrors
@testable import KubeConfig

/// A temporary folder that tests write kubeconfigs, token files and plugins into.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("kubekit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
    var source: @Sendable () -> Date { { [self] in self.now } }
}

/// A logger whose messages the test can read.
func capturingLogger() -> (Logger, InMemoryLogHandler) {
    let handler = InMemoryLogHandler()
    var logger = Logger(label: "test") { _ in handler }
    logger.logLevel = .trace
    return (logger, handler)
}

extension InMemoryLogHandler {
    var messages: [String] { entries.map { "\($0.message) \($0.metadata)" } }
}

extension ClientConfiguration {
    /// The bearer token requests would carry now.
    func bearerToken() async throws -> String? {
        if case .bearer(let token)? = try await credentials.credentials().authorization { return token.value }
        return nil
    }
}

/// Real (test-only) PEM material, base64-encoded as `*-data` fields hold it: the checks at load time parse
/// certificates and match keys, so made-up bytes no longer pass.
enum TestPEM {
    static func base64(_ name: String) -> String {
        let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: Fixtures.path("merge/certs/\(name)")))) ?? Data())
        return Data(bytes).base64EncodedString()
    }
    static var ca: String { base64("ca-first.pem") }
    static var otherCA: String { base64("ca-second.pem") }
    static var certificate: String { base64("client.pem") }
    static var key: String { base64("client-key.pem") }
}

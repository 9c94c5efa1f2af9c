import Foundation
import KubeErrors
import Logging

/// A bearer token read from a file and re-read as the file changes (kubeconfig `tokenFile`, and the
/// rotating service-account token in a pod).
///
/// Cadence as client-go: a read value counts as fresh for 60 seconds with a 10-second leeway, so the first
/// request after ~50 seconds reads the file again. A failed re-read keeps the last good token and logs a
/// warning; the file is tried again after the next interval. ``refresh(rejected:)`` (after a 401) re-reads at once.
public actor TokenFileCredentialProvider: CredentialProvider {
    /// How long a read token is used before the file is read again.
    public static let rereadInterval: TimeInterval = 50

    /// The token file.
    public nonisolated let path: String
    private let clientCertificate: ClientCertificate?
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var token: Sensitive<String>?
    private var readAt: Date?

    /// Creates a provider.
    ///
    /// - Parameters:
    ///   - path: The token file.
    ///   - initialToken: A token to use until the first re-read (kubeconfig `token` next to `tokenFile`);
    ///     without one, the file is read now and must hold a token.
    ///   - clientCertificate: A static client certificate to send as well.
    ///   - now: The clock; tests replace it.
    /// - Throws: ``KubeError/Code/tokenFileUnreadable`` when there is no initial token and the file cannot be read.
    public init(
        path: String,
        initialToken: String? = nil,
        clientCertificate: ClientCertificate? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "KubeKit.Credentials")
    ) throws {
        self.path = path
        self.clientCertificate = clientCertificate
        self.now = now
        self.logger = logger
        if let initialToken, !initialToken.isEmpty {
            token = Sensitive(initialToken)
            readAt = nil  // the file is read on first use
        } else {
            token = try Self.readToken(path)
            readAt = now()
        }
    }

    /// Reads and trims a token file.
    static func readToken(_ path: String) throws(KubeError) -> Sensitive<String> {
        let bytes = try FileAccess.read(path, what: "token file", code: .tokenFileUnreadable, unreadable: .tokenFileUnreadable)
        let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw KubeError(code: .tokenFileUnreadable, message: "read empty token from file \"\(path)\"")
        }
        return Sensitive(token)
    }

    private func current() -> Credentials {
        Credentials(authorization: token.map { .bearer($0) }, clientCertificate: clientCertificate)
    }

    private func reread() {
        do {
            token = try Self.readToken(path)
            readAt = now()
        } catch {
            // Keep the last good token and try again after the next interval (not on every request).
            readAt = now()
            logger.warning("could not re-read token file; using the previous token", metadata: [
                "path": "\(path)", "error": "\(error.message)",
            ])
        }
    }

    /// The token, re-read from the file when the last read is older than ``rereadInterval``.
    public func credentials() async throws -> Credentials {
        if let readAt, now().timeIntervalSince(readAt) < Self.rereadInterval { return current() }
        reread()
        return current()
    }

    /// Re-reads the file now unless the rejected token is already outdated.
    public func refresh(rejected: Credentials) async throws -> Credentials {
        if rejected == current() { reread() }
        return current()
    }
}

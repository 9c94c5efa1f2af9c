import Foundation
import KubeErrors

/// What a request authenticates with at one moment: an `Authorization` header and/or a client certificate.
///
/// Printing a `Credentials` value shows its kind and expiry, never the secret.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    /// The `Authorization` header to send, if any.
    public var authorization: Authorization?
    /// The client certificate for the TLS handshake, if any.
    public var clientCertificate: ClientCertificate?
    /// When these credentials stop being valid, if known.
    public var expiresAt: Date?

    /// Creates credentials.
    public init(authorization: Authorization? = nil, clientCertificate: ClientCertificate? = nil, expiresAt: Date? = nil) {
        self.authorization = authorization
        self.clientCertificate = clientCertificate
        self.expiresAt = expiresAt
    }

    /// No credentials: anonymous requests.
    public static let anonymous = Credentials()

    /// `bearer token + client certificate (expires 2026-11-22T10:00:00Z)`, or `anonymous`.
    public var description: String {
        var parts: [String] = []
        if let authorization { parts.append(authorization.description) }
        if clientCertificate != nil { parts.append("client certificate") }
        var text = parts.isEmpty ? "anonymous" : parts.joined(separator: " + ")
        if let expiresAt { text += " (expires \(expiresAt.formatted(.iso8601)))" }
        return text
    }
}

/// An `Authorization` header.
public enum Authorization: Sendable, Hashable, CustomStringConvertible {
    /// `Authorization: Bearer <token>`.
    case bearer(Sensitive<String>)
    /// `Authorization: Basic base64(username:password)`.
    case basic(username: String, password: Sensitive<String>)

    /// The header's value, e.g. `Bearer eyJ...`. Only the transport should read ``Sensitive/value``.
    public var headerValue: Sensitive<String> {
        switch self {
        case .bearer(let token):
            return Sensitive("Bearer " + token.value)
        case .basic(let username, let password):
            return Sensitive("Basic " + Base64.encode(Array((username + ":" + password.value).utf8)))
        }
    }

    /// `bearer token` or `basic auth (user "admin")`.
    public var description: String {
        switch self {
        case .bearer: "bearer token"
        case .basic(let username, _): "basic auth (user \"\(username)\")"
        }
    }
}

/// A client certificate and its private key, as PEM bytes held in memory (never written to disk).
public struct ClientCertificate: Sendable, Hashable, CustomStringConvertible {
    /// The certificate (chain) in PEM.
    public var certificatePEM: Sensitive<[UInt8]>
    /// The private key in PEM.
    public var keyPEM: Sensitive<[UInt8]>
    /// Creates a client certificate.
    public init(certificatePEM: [UInt8], keyPEM: [UInt8]) {
        self.certificatePEM = Sensitive(certificatePEM)
        self.keyPEM = Sensitive(keyPEM)
    }
    /// `client certificate (<redacted>)`.
    public var description: String { "client certificate (\(certificatePEM.count) bytes, key redacted)" }
}

extension Sensitive where Value == [UInt8] {
    /// The number of bytes; safe to print.
    public var count: Int { value.count }
}

/// Supplies the credentials for each request and renews them.
///
/// KubeKit ships providers for static credentials, token files (re-read about every minute) and exec
/// plugins (cached until they expire). Implement it to plug in your own source, e.g. a vault lookup.
///
/// The transport calls ``credentials()`` before every request and ``refresh(rejected:)`` once when the
/// server answers 401 Unauthorized, then re-sends the request once with what `refresh` returned.
public protocol CredentialProvider: Sendable {
    /// The credentials to use now (cached if still valid).
    func credentials() async throws -> Credentials
    /// Renews credentials that the server rejected. Implementations must make concurrent calls for the same
    /// rejected value share one renewal, and return the current credentials without renewing when
    /// `rejected` is already outdated.
    func refresh(rejected: Credentials) async throws -> Credentials
}

/// Credentials that never change (a static token, basic auth, a client certificate from the kubeconfig).
public struct StaticCredentialProvider: CredentialProvider {
    /// The credentials.
    public let value: Credentials
    /// Creates a provider.
    public init(_ value: Credentials) { self.value = value }
    /// Returns ``value``.
    public func credentials() async throws -> Credentials { value }
    /// Returns ``value``: static credentials cannot be renewed.
    public func refresh(rejected: Credentials) async throws -> Credentials { value }
}

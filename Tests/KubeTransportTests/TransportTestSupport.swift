import Foundation
import KubeConfig
import KubeErrors
import KubeTesting
import Synchronization
@testable import KubeTransport

/// A provider that hands out `tokens` in order, one more per refresh, and counts refreshes.
actor SequenceCredentialProvider: CredentialProvider {
    private let tokens: [String]
    private var index = 0
    private(set) var refreshes = 0
    init(_ tokens: [String]) { self.tokens = tokens }
    private var current: Credentials { Credentials(authorization: .bearer(Sensitive(tokens[min(index, tokens.count - 1)]))) }
    func credentials() async throws -> Credentials { current }
    func refresh(rejected: Credentials) async throws -> Credentials {
        if rejected == current {
            refreshes += 1
            index += 1
        }
        return current
    }
}

extension LoopbackServer {
    /// A client configuration for this server.
    func client(
        ca: String? = "ca.pem", token: String? = "test-token", clientCertificate: Bool = false,
        tlsServerName: String? = nil, insecure: Bool = false, scheme: String = "https", pathPrefix: String = "",
        credentials: (any CredentialProvider)? = nil, impersonation: Impersonation? = nil
    ) -> ClientConfiguration {
        let certificate = clientCertificate
            ? ClientCertificate(certificatePEM: Self.resource("client.pem"), keyPEM: Self.resource("client.key")) : nil
        let provider = credentials ?? StaticCredentialProvider(Credentials(
            authorization: token.map { .bearer(Sensitive($0)) }, clientCertificate: certificate))
        var methods: [AuthenticationMethod] = []
        if token != nil || credentials != nil { methods.append(.token) }
        if clientCertificate { methods.append(.clientCertificate) }
        return ClientConfiguration(
            server: URL(string: "\(scheme)://127.0.0.1:\(port)\(pathPrefix)")!,
            certificateAuthority: ca.map { Self.resource($0) },
            tlsServerName: tlsServerName,
            insecureSkipTLSVerify: insecure,
            impersonation: impersonation,
            authentication: methods,
            credentials: provider)
    }
}

extension CurlTransport.Configuration {
    static func testing(_ clock: RecordingClock = RecordingClock(), retry: RetryPolicy = .default) -> Self {
        var configuration = Self()
        configuration.clock = clock
        configuration.retryPolicy = retry
        configuration.connectTimeout = .seconds(5)
        configuration.requestTimeout = .seconds(10)
        return configuration
    }
}

import KubeRetry

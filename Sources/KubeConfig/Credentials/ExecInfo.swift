import Foundation
import KubeErrors

/// The ExecCredential wire format (client.authentication.k8s.io v1 / v1beta1).
enum ExecInfo {
    static let supportedVersions: Set<String> = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    /// The compact JSON put in `KUBERNETES_EXEC_INFO`.
    static func request(apiVersion: String, interactive: Bool, cluster: ExecClusterInfo?) -> String {
        var spec: JSONObject = ["interactive": .bool(interactive)]
        if let cluster {
            var info: JSONObject = ["server": .string(cluster.server)]
            if let name = cluster.tlsServerName, !name.isEmpty { info["tls-server-name"] = .string(name) }
            if cluster.insecureSkipTLSVerify { info["insecure-skip-tls-verify"] = .bool(true) }
            if let ca = cluster.certificateAuthorityData { info["certificate-authority-data"] = .string(Base64.encode(ca.value)) }
            if let proxy = cluster.proxyURL, !proxy.isEmpty { info["proxy-url"] = .string(proxy) }
            if cluster.disableCompression { info["disable-compression"] = .bool(true) }
            if let config = cluster.config { info["config"] = config }
            spec["cluster"] = .object(info)
        }
        let object: JSONObject = ["kind": .string("ExecCredential"), "apiVersion": .string(apiVersion), "spec": .object(spec)]
        return JSONValue.object(object).jsonText
    }

    /// Parses the plugin's standard output.
    static func parseResponse(_ output: [UInt8], apiVersion: String, command: String,
                              staticClientCertificate: ClientCertificate?) throws(KubeError) -> Credentials {
        func invalid(_ message: String) -> KubeError {
            KubeError(code: .execPluginInvalidOutput, message: message,
                      hint: "The plugin \(command) must print an ExecCredential object as JSON on standard output.")
        }
        let documents: [YAMLDocument]
        do {
            documents = try YAMLReader.documents(in: output)
        } catch {
            throw invalid("decoding stdout: the output of \(command) is not JSON (\((error as? KubeError)?.message ?? String(describing: error)))")
        }
        guard let root = documents.first?.root?.json, let object = root.objectValue else {
            throw invalid("decoding stdout: the output of \(command) is not a JSON object")
        }
        let kind = object["kind"]?.stringValue ?? ""
        let returnedVersion = object["apiVersion"]?.stringValue ?? ""
        guard kind == "ExecCredential" else {
            throw invalid("decoding stdout: expected kind ExecCredential from \(command), got \(kind.isEmpty ? "no kind" : "\"\(kind)\"")")
        }
        guard returnedVersion == apiVersion else {
            throw invalid("exec plugin is configured to use API version \(apiVersion), plugin returned version \(returnedVersion)")
        }
        guard let status = object["status"]?.objectValue else {
            throw invalid("exec plugin didn't return a status field")
        }
        let token = status["token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let certificate = status["clientCertificateData"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let key = status["clientKeyData"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if (certificate == nil) != (key == nil) {
            throw invalid("exec plugin returned only certificate or key, not both")
        }
        if token == nil, certificate == nil {
            throw invalid("exec plugin didn't return a token or cert/key pair")
        }
        var expiresAt: Date?
        if let timestamp = status["expirationTimestamp"]?.stringValue, !timestamp.isEmpty {
            guard let date = RFC3339.parse(timestamp) else {
                throw invalid("exec plugin returned an expirationTimestamp that is not an RFC 3339 time: \(timestamp)")
            }
            expiresAt = date
        }
        // clientCertificateData / clientKeyData are raw PEM text, not base64 (unlike kubeconfig *-data).
        let clientCertificate = certificate.map { ClientCertificate(certificatePEM: Array($0.utf8), keyPEM: Array(key!.utf8)) }
        return Credentials(authorization: token.map { .bearer(Sensitive($0)) },
                           clientCertificate: clientCertificate ?? staticClientCertificate,
                           expiresAt: expiresAt)
    }
}

/// RFC 3339 timestamps with or without fractional seconds.
package enum RFC3339 {
    package static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

import CKubeCurl
import Foundation
import KubeConfig
import KubeErrors
import KubeRetry

/// libcurl settings and error meanings shared by ordinary transfers and upgraded (WebSocket) connections, so
/// both use the same TLS, client certificates, proxy and routing, and fail with the same messages.
enum CurlOptions {
    static func check(_ code: CURLcode, _ what: String) throws(CurlFailure) {
        guard code == CURLE_OK else {
            throw CurlFailure(error: KubeError(
                code: .transport, message: "libcurl rejected \(what): \(String(cString: curl_easy_strerror(code)))"), kind: .permanent)
        }
    }

    /// Sets TLS verification, the CA, the client certificate and key (in-memory blobs only), `tls-server-name`
    /// routing and the proxy. Returns the CONNECT_TO list, which the caller frees after the handle.
    static func applyConnection(_ request: CurlRequest, to easy: UnsafeMutableRawPointer) throws(CurlFailure) -> UnsafeMutablePointer<curl_slist>? {
        var connectToList: UnsafeMutablePointer<curl_slist>?
        // TLS: verification on unless the kubeconfig says otherwise; credentials as in-memory blobs only.
        ckube_easy_setopt_long(easy, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        if request.insecureSkipTLSVerify {
            ckube_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            ckube_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if var ca = request.certificateAuthority {
            try check(ca.withUnsafeMutableBytes { ckube_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) },
                      "the CA bundle")
        }
        if let certificate = request.clientCertificate {
            var certificateBytes = certificate.certificatePEM.value
            var keyBytes = certificate.keyPEM.value
            try check(certificateBytes.withUnsafeMutableBytes { ckube_easy_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) },
                      "the client certificate")
            ckube_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
            try check(keyBytes.withUnsafeMutableBytes { ckube_easy_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) },
                      "the client key")
            ckube_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
        }
        if let connectTo = request.connectTo {
            connectToList = curl_slist_append(nil, connectTo)
            ckube_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectToList)
        }
        if let proxy = request.proxy {
            try check(ckube_easy_setopt_string(easy, CURLOPT_PROXY, proxy), "the proxy URL")
        }
        return connectToList
    }

    /// What a libcurl error means for the caller and for the retry policy.
    static func classify(_ code: CURLcode, text: String, host: String, port: Int, cluster: String, headDelivered: Bool,
                         requestSent: Bool, bodyBytes: Int) -> (KubeError.Code, String, RetryPolicy.TransportFailure, String?) {
        let address = "\(host):\(port)"
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            if text.contains("too slow") {
                return (.timeout, "the response from \(address) stalled: no data arrived for too long after \(bodyBytes) bytes (\(text))", .permanent, nil)
            }
            if !requestSent {
                return (.timeout, "could not connect to \(address) in time (\(text))", .connection(requestMayHaveArrived: false),
                        "Check the server address of \(cluster) in the kubeconfig and that the API server is reachable.")
            }
            return (.timeout, headDelivered
                ? "the response from \(address) exceeded the call's time limit after \(bodyBytes) bytes of the body (\(text))"
                : "no response from \(address) within the call's time limit (\(text))", .permanent, nil)
        case CURLE_COULDNT_CONNECT:
            return (.transport, "the connection to the server \(address) was refused or failed - did you specify the right host or port? (\(text))",
                    .connection(requestMayHaveArrived: false), "Check the server address of \(cluster) in the kubeconfig.")
        case CURLE_COULDNT_RESOLVE_HOST:
            return (.transport, "the server name \(host) could not be resolved (\(text))", .connection(requestMayHaveArrived: false),
                    "Check the server address of \(cluster) in the kubeconfig.")
        case CURLE_COULDNT_RESOLVE_PROXY:
            return (.transport, "the proxy could not be resolved (\(text))", .connection(requestMayHaveArrived: false),
                    "Check proxy-url of \(cluster) in the kubeconfig, or HTTPS_PROXY.")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS:
            let reason = text.contains("subject name") || text.contains("host name")
                ? "its certificate is not valid for the host name \(host)"
                : text.contains("expired") ? "its certificate has expired or is not yet valid"
                : "its certificate is not signed by a trusted certificate authority"
            return (.transport, "the TLS certificate of \(address) could not be verified: \(reason) (\(text))", .permanent,
                    "Set certificate-authority or certificate-authority-data of \(cluster) in the kubeconfig to the CA that signed "
                        + "the server's certificate, or tls-server-name to a name the certificate holds.")
        case CURLE_SSL_CERTPROBLEM, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            return (.transport, "the client certificate or key could not be used (\(text))", .permanent,
                    "Check client-certificate(-data) and client-key(-data) of the user in the kubeconfig: they must be PEM and belong together.")
        case CURLE_SSL_CIPHER:
            return (.transport, "no TLS cipher in common with \(address) (\(text))", .permanent, nil)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return (.transport, "the server URL cannot be used (\(text))", .permanent,
                    "The server of \(cluster) in the kubeconfig must be an https:// (or http://) URL.")
        case CURLE_SSL_CONNECT_ERROR:
            // The TLS handshake did not complete: the peer closed the connection, or refused our certificate.
            return (.transport, "the TLS handshake with \(address) failed (\(text))", .connection(requestMayHaveArrived: false),
                    "If this persists, check client-certificate and client-key of the user, and that \(address) speaks TLS.")
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_PARTIAL_FILE:
            if headDelivered {
                return (.transport, "stream error when reading the response body after \(bodyBytes) bytes, may be caused by a closed connection: \(text)", .permanent, nil)
            }
            return (.transport, "the connection to \(address) closed before a response arrived (\(text))",
                    .connection(requestMayHaveArrived: requestSent), nil)
        default:
            return (.transport, headDelivered
                ? "stream error when reading the response body after \(bodyBytes) bytes: \(text)"
                : "unable to connect to the server \(address): \(text)", .permanent, nil)
        }
    }
}

import CKubeCurl

/// Facts about the libcurl this process is linked against.
///
/// KubeKit's transport needs HTTP/2, TLS with in-memory certificates (`CURLOPT_*_BLOB`, libcurl ≥ 7.71) and
/// an OpenSSL-compatible backend; ``Libcurl/current`` lets a tool report what it found, and the transport
/// checks it before the first request.
public struct Libcurl: Sendable, Hashable, CustomStringConvertible {
    /// The version string, e.g. `7.88.1`.
    public var version: String
    /// The version as one number, `0xXXYYZZ`.
    public var versionNumber: UInt32
    /// The TLS backend, e.g. `OpenSSL/3.0.17`.
    public var sslVersion: String?
    /// Whether libcurl was built with HTTP/2 support.
    public var supportsHTTP2: Bool
    /// Whether libcurl was built with TLS support.
    public var supportsTLS: Bool
    /// Whether libcurl can decompress gzip (`libz`).
    public var supportsGzip: Bool

    /// libcurl 7.71.0 introduced the `*_BLOB` options that keep credentials off the disk.
    public var supportsInMemoryCertificates: Bool { versionNumber >= 0x07_47_00 }

    /// The libcurl linked into this process.
    public static let current: Libcurl = {
        // curl_version_info returns a pointer to a static struct owned by libcurl.
        let info = ckube_version_info().pointee
        let features = info.features
        return Libcurl(
            version: String(cString: info.version),
            versionNumber: UInt32(info.version_num),
            sslVersion: info.ssl_version.map { String(cString: $0) },
            supportsHTTP2: features & CURL_VERSION_HTTP2 != 0,
            supportsTLS: features & CURL_VERSION_SSL != 0,
            supportsGzip: features & CURL_VERSION_LIBZ != 0
        )
    }()

    /// `libcurl 7.88.1 (OpenSSL/3.0.17; HTTP/2, gzip)`.
    public var description: String {
        var traits: [String] = []
        if supportsHTTP2 { traits.append("HTTP/2") }
        if supportsGzip { traits.append("gzip") }
        let parts = [sslVersion ?? "no TLS"] + traits
        return "libcurl \(version) (" + parts.joined(separator: ", ") + ")"
    }
}

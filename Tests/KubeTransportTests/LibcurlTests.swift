import Testing
import KubeTransport

@Suite("libcurl linkage", .timeLimit(.minutes(2)))
struct LibcurlTests {
    @Test("the linked libcurl has what the transport needs: TLS, HTTP/2, gzip, in-memory certificates")
    func linkedLibcurlCapabilities() {
        let curl = Libcurl.current
        #expect(curl.supportsTLS, "libcurl was built without TLS: \(curl)")
        #expect(curl.supportsHTTP2, "libcurl was built without HTTP/2: \(curl)")
        #expect(curl.supportsGzip, "libcurl was built without zlib: \(curl)")
        #expect(curl.supportsInMemoryCertificates, "libcurl \(curl.version) predates CURLOPT_*_BLOB (7.71.0)")
        #expect(curl.sslVersion?.contains("OpenSSL") == true, "expected the OpenSSL flavour (libcurl4-openssl-dev), got \(curl)")
        #expect(curl.description.hasPrefix("libcurl \(curl.version) ("))
    }
}

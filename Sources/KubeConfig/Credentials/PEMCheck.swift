import Foundation

/// Load-time checks of the certificates and keys in a kubeconfig, so that a CA that is not PEM or a client
/// key that belongs to another certificate is reported when the kubeconfig is loaded, naming the field,
/// instead of surfacing later as a TLS error from libcurl. client-go does the same when it builds its
/// `tls.Config` (`x509.CertPool.AppendCertsFromPEM`, `tls.X509KeyPair`).
///
/// Only structure is read (PEM armour, DER framing, the public key in the certificate and in the key);
/// nothing is verified cryptographically, and nothing here ever prints key material.
enum PEMCheck {
    /// One `-----BEGIN label-----` block, decoded.
    struct Block {
        var label: String
        var der: [UInt8]
    }

    /// The PEM blocks in `bytes`; blocks whose base64 does not decode are skipped (as Go's `pem.Decode`).
    static func blocks(in bytes: [UInt8]) -> [Block] {
        let text = String(decoding: bytes, as: UTF8.self)
        var blocks: [Block] = []
        var label: String?
        var body = ""
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
                body = ""
            } else if line.hasPrefix("-----END "), let current = label {
                if let der = Base64.decode(body) { blocks.append(Block(label: current, der: der)) }
                label = nil
            } else if label != nil, !line.contains(":") {
                body += line
            }
        }
        return blocks
    }

    /// A problem with a PEM field, as a sentence without secrets.
    struct Problem: Error {
        var message: String
    }

    /// At least one certificate that parses as DER.
    static func checkCertificateAuthority(_ bytes: [UInt8]) throws(Problem) {
        let certificates = blocks(in: bytes).filter { $0.label == "CERTIFICATE" }
        guard !certificates.isEmpty else {
            throw Problem(message: "holds no PEM certificate (a -----BEGIN CERTIFICATE----- block)")
        }
        for (index, certificate) in certificates.enumerated() where (try? publicKey(ofCertificate: certificate.der)) == nil {
            throw Problem(message: "certificate \(index + 1) is not a valid X.509 certificate")
        }
    }

    /// The certificate parses, the key parses, and the key belongs to the certificate.
    static func checkClientPair(certificate: [UInt8], key: [UInt8]) throws(Problem) {
        guard let certificateBlock = blocks(in: certificate).first(where: { $0.label == "CERTIFICATE" }) else {
            throw Problem(message: "the client certificate holds no PEM certificate (a -----BEGIN CERTIFICATE----- block)")
        }
        guard let certificateKey = try? publicKey(ofCertificate: certificateBlock.der) else {
            throw Problem(message: "the client certificate is not a valid X.509 certificate")
        }
        let keyBlocks = blocks(in: key).filter { $0.label.hasSuffix("PRIVATE KEY") }
        guard let keyBlock = keyBlocks.first else {
            throw Problem(message: "the client key holds no PEM private key (a -----BEGIN ... PRIVATE KEY----- block)")
        }
        if keyBlock.label == "ENCRYPTED PRIVATE KEY" {
            throw Problem(message: "the client key is encrypted; Kubernetes clients need an unencrypted key")
        }
        guard let privateKey = try? publicKey(ofPrivateKey: keyBlock.der, label: keyBlock.label) else {
            throw Problem(message: "the client key is not a valid \(keyBlock.label)")
        }
        switch (certificateKey, privateKey) {
        case (.rsa(let modulus, let exponent), .rsa(let keyModulus, let keyExponent)):
            guard modulus == keyModulus, exponent == keyExponent else {
                throw Problem(message: "tls: private key does not match public key")
            }
        case (.ec(let point), .ec(let keyPoint?)):
            guard point == keyPoint else { throw Problem(message: "tls: private key does not match public key") }
        case (.ec, .ec(nil)), (.other, _), (_, .other):
            break  // the key does not carry its public half (or a type we do not read): nothing to compare
        case (.rsa, .ec), (.ec, .rsa):
            throw Problem(message: "tls: private key type does not match public key type")
        }
    }

    // MARK: Keys

    enum PublicKey: Equatable {
        case rsa(modulus: [UInt8], exponent: [UInt8])
        /// The EC point, when known.
        case ec([UInt8]?)
        case other
    }

    private static let rsaOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    private static let ecOID: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]

    /// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, signature, issuer,
    /// validity, subject, subjectPublicKeyInfo, ... }, signatureAlgorithm, signature }.
    static func publicKey(ofCertificate der: [UInt8]) throws(DER.Failure) -> PublicKey {
        var outer = DER(der)
        var certificate = try outer.sequence()
        var tbs = try certificate.sequence()
        if tbs.peekTag == 0xA0 { _ = try tbs.element() }
        _ = try tbs.element(tag: 0x02)  // serial
        for _ in 0..<4 { _ = try tbs.element(tag: 0x30) }  // signature, issuer, validity, subject
        var info = try tbs.sequence()
        return try subjectPublicKey(&info)
    }

    private static func subjectPublicKey(_ info: inout DER) throws(DER.Failure) -> PublicKey {
        var algorithm = try info.sequence()
        let oid = try algorithm.element(tag: 0x06)
        let bits = try info.element(tag: 0x03)
        guard let unused = bits.first, unused == 0 else { throw DER.Failure() }
        let key = Array(bits.dropFirst())
        switch oid {
        case rsaOID:
            var reader = DER(key)
            var sequence = try reader.sequence()
            return .rsa(modulus: trimmed(try sequence.element(tag: 0x02)), exponent: trimmed(try sequence.element(tag: 0x02)))
        case ecOID:
            return .ec(key)
        default:
            return .other
        }
    }

    /// PKCS #1 (`RSA PRIVATE KEY`), SEC 1 (`EC PRIVATE KEY`) or PKCS #8 (`PRIVATE KEY`).
    static func publicKey(ofPrivateKey der: [UInt8], label: String) throws(DER.Failure) -> PublicKey {
        var reader = DER(der)
        var key = try reader.sequence()
        switch label {
        case "RSA PRIVATE KEY":
            _ = try key.element(tag: 0x02)
            return .rsa(modulus: trimmed(try key.element(tag: 0x02)), exponent: trimmed(try key.element(tag: 0x02)))
        case "EC PRIVATE KEY":
            return try ecPublicKey(&key)
        default:
            _ = try key.element(tag: 0x02)  // version
            var algorithm = try key.sequence()
            let oid = try algorithm.element(tag: 0x06)
            let inner = try key.element(tag: 0x04)
            switch oid {
            case rsaOID:
                return try publicKey(ofPrivateKey: inner, label: "RSA PRIVATE KEY")
            case ecOID:
                var innerReader = DER(inner)
                var sec1 = try innerReader.sequence()
                return try ecPublicKey(&sec1)
            default:
                return .other
            }
        }
    }

    /// ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] parameters?, [1] publicKey? }.
    private static func ecPublicKey(_ key: inout DER) throws(DER.Failure) -> PublicKey {
        _ = try key.element(tag: 0x02)
        _ = try key.element(tag: 0x04)
        while !key.isAtEnd {
            let tag = key.peekTag
            let value = try key.element()
            if tag == 0xA1 {
                var wrapped = DER(value)
                let bits = try wrapped.element(tag: 0x03)
                return .ec(Array(bits.dropFirst()))
            }
        }
        return .ec(nil)
    }

    private static func trimmed(_ integer: [UInt8]) -> [UInt8] {
        Array(integer.drop { $0 == 0 })
    }
}

/// A reader of DER's tag-length-value framing, enough for the structures above.
struct DER {
    struct Failure: Error {}

    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
        self.end = bytes.count
    }

    var isAtEnd: Bool { index >= end }
    var peekTag: UInt8? { index < end ? bytes[index] : nil }

    /// The next element's contents; with `tag`, the element must have it.
    mutating func element(tag expected: UInt8? = nil) throws(Failure) -> [UInt8] {
        guard index + 2 <= end else { throw Failure() }
        let tag = bytes[index]
        if let expected, tag != expected { throw Failure() }
        var length = Int(bytes[index + 1])
        index += 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count > 0, count <= 4, index + count <= end else { throw Failure() }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard length >= 0, index + length <= end else { throw Failure() }
        defer { index += length }
        return Array(bytes[index..<(index + length)])
    }

    /// The next element, a SEQUENCE, as a reader of its contents.
    mutating func sequence() throws(Failure) -> DER {
        DER(try element(tag: 0x30))
    }
}

import Foundation
import KubeConfig
import KubeTesting
import KubeTransport
@testable import KubeResources

/// Loads the recordings (real kube-apiserver v1.36.2 exchanges) under Tests/Recordings.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Recordings")

    /// A file under Tests/Recordings as text (`describe/node-1.json`: an object written for the tests, not recorded).
    static func text(_ name: String) throws -> String { try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8) }

    /// The recording `name` (`pods/01-get-running-pod`), optionally answering another request target.
    ///
    /// Retargeting keeps the server's bytes and changes only what the recording answers, for requests that
    /// differ from the recorded one in ways the server treats alike (`watch=1` as recorded by curl versus
    /// `watch=true` as client-go and KubeKit send it).
    static func recording(_ name: String, method: String? = nil, target: String? = nil) throws -> Recording {
        var recording = try Recording.load(from: root.appendingPathComponent(name + ".json"))[0]
        if let method { recording.request.method = method }
        if let target { recording.request.path = target }
        // The apply fixtures were recorded with curl, without the `fieldValidation=Strict` that kubectl
        // apply --server-side (and KubeKit) sends; the server treats the valid objects recorded alike.
        let isApply = recording.request.method == "PATCH"
            && recording.request.headers.contains { $0.key.lowercased() == "content-type" && $0.value.hasPrefix("application/apply-patch") }
        if isApply, !recording.request.path.contains("fieldValidation=") {
            let request = KubeRequest(.patch, target: recording.request.path)
            var retargeted = KubeRequest(.patch, path: request.path, query: request.query)
            retargeted.addQuery("fieldValidation", "Strict")
            recording.request.path = retargeted.target
        }
        return recording
    }

    /// The response body of recording `name`.
    static func body(_ name: String) throws -> String { try recording(name).response.body }

    /// A client over recordings.
    static func client(_ recordings: [Recording], tier: AccessTier = .write, namespace: String = "demo") -> (KubeClient, RecordedTransport) {
        let transport = RecordedTransport(recordings)
        return (KubeClient(transport: transport, namespace: namespace, tier: tier), transport)
    }

    /// A request body as JSON (for comparisons that ignore key order and spacing).
    static func json(_ bytes: [UInt8]?) throws -> JSONValue? {
        guard let bytes, !bytes.isEmpty else { return nil }
        return try YAMLReader.documents(in: bytes).first?.root?.json
    }

    static func json(_ text: String) throws -> JSONValue? { try json(Array(text.utf8)) }
}

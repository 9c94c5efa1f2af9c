import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// Entry points for the fuzz targets of `Scripts/fuzz.sh` (not API: the SPI keeps them out of sight).
///
/// Each takes untrusted bytes and must return without crashing, hanging or growing without bound; the
/// decoder comparison also reports a wrong answer, taking Foundation's `JSONDecoder` as the oracle.
@_spi(Fuzzing)
public enum FuzzingEntryPoints {
    /// Decodes `bytes` as a Pod, a PodList, a Deployment and a DynamicObject with the generated fast
    /// decoders and with `JSONDecoder`. Returns a description of the first disagreement: both succeed with
    /// different values, or the fast decoder accepts what `JSONDecoder` refuses. (The fast decoder refusing
    /// what `JSONDecoder` accepts is not a disagreement: the fallback then answers.)
    ///
    /// Input with a key repeated in one object is not compared: there the decoders deliberately differ
    /// (the fast decoder keeps the last value, as Go's encoding/json and so client-go do; `JSONDecoder` keeps
    /// the first), and kube-apiserver never writes one.
    public static func compareDecoders(_ bytes: [UInt8]) -> String? {
        var scan = JSONCursor(bytes)
        if (try? hasDuplicateKeys(&scan)) ?? true { return nil }
        return compare(CoreV1.Pod.self, bytes) ?? compare(ResourceList<CoreV1.Pod>.self, bytes)
            ?? compare(AppsV1.Deployment.self, bytes) ?? compare(DynamicObject.self, bytes) ?? compareTable(bytes)
    }

    /// A table read by the one-pass fast reader must have the rows, names and cells the generic reader sees.
    static func compareTable(_ bytes: [UInt8]) -> String? {
        var cursor = JSONCursor(bytes)
        guard (try? TableBody(from: &cursor)) != nil, (try? cursor.expectEnd()) != nil,
              let table = try? KubeTable.decode(bytes, request: KubeRequest(path: "/api/v1/pods"), now: Date(timeIntervalSince1970: 0)),
              case .object(let object)? = try? YAMLReader.documents(in: bytes).first?.root?.json else { return nil }
        let isTable = object["kind"]?.stringValue == "Table"
        let entries = isTable ? object["rows"]?.arrayValue ?? [] : object["items"]?.arrayValue ?? [.object(object)]
        let names = entries.map { (isTable ? $0["object"]?["metadata"] : $0["metadata"])?["name"]?.stringValue ?? "" }
        guard table.rows.map({ $0.metadata?.name ?? "" }) == names else { return "the table's fast and generic readers see different names" }
        if isTable, table.rows.map(\.cells) != entries.map({ $0["cells"]?.arrayValue ?? [] }) {
            return "the table's fast and generic readers see different cells"
        }
        return nil
    }

    /// Whether some object in the value at the cursor repeats a key (throws on invalid JSON).
    static func hasDuplicateKeys(_ cursor: inout JSONCursor) throws -> Bool {
        switch try cursor.peek() {
        case UInt8(ascii: "{"):
            try cursor.beginObject()
            var seen = Set<String>()
            var repeated = false
            while let key = try cursor.nextKey() {
                if !seen.insert(key).inserted { repeated = true }
                if try hasDuplicateKeys(&cursor) { repeated = true }
            }
            return repeated
        case UInt8(ascii: "["):
            try cursor.beginArray()
            var repeated = false
            while try cursor.nextElement() {
                if try hasDuplicateKeys(&cursor) { repeated = true }
            }
            return repeated
        default:
            try cursor.skipValue()
            return false
        }
    }

    private static func compare<T: Decodable & Equatable & JSONFastDecodable>(_ type: T.Type, _ bytes: [UInt8]) -> String? {
        var cursor = JSONCursor(bytes)
        let fast: T? = (try? T(from: &cursor)).flatMap { value in (try? cursor.expectEnd()) != nil ? value : nil }
        guard let fast else { return nil }
        guard let slow = try? JSONDecoder().decode(T.self, from: Data(bytes)) else {
            return "the fast decoder accepts a \(T.self) that JSONDecoder refuses"
        }
        return fast == slow ? nil : "the fast decoder and JSONDecoder decode different \(T.self) values"
    }

    /// Decodes `bytes` as one line of a Pod watch stream (event, ERROR Status or decoding error).
    public static func watchLine(_ bytes: [UInt8]) {
        let request = KubeRequest(.get, path: "/api/v1/pods", kind: .stream)
        _ = try? WatchEventDecoding.decode(bytes, as: CoreV1.Pod.self, request: request)
    }

    /// Reads `bytes` as manifests and prints every object as apply would send it.
    public static func manifests(_ bytes: [UInt8]) {
        let read = ManifestReader.read(bytes, source: "fuzz.yaml")
        for item in read.objects {
            _ = item.object.jsonText
            _ = try? DynamicObject(json: item.object)
        }
        for failure in read.failures { _ = failure.description }
    }

    /// Reads `bytes` as a tar archive from a container (cp), entry by entry, in chunks of 7 bytes.
    public static func tar(_ bytes: [UInt8]) {
        var reader = TarReader()
        var offset = 0
        while offset < bytes.count {
            reader.append(Array(bytes[offset..<min(bytes.count, offset + 7)]))
            offset += 7
            while let event = try? reader.next() { _ = event }
        }
    }

    /// Decodes `bytes` as the exec error channel's Status (exit code or failure).
    public static func execStatus(_ bytes: [UInt8]) {
        _ = try? ExecSession.decodeStatus(bytes, label: "exec in pods/fuzz")
    }
}

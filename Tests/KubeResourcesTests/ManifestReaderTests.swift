import Testing
import KubeConfig
import KubeErrors
@testable import KubeResources

/// Golden cases: each input is read as kubectl 1.36 reads it (apimachinery's document splitter, then
/// sigs.k8s.io/yaml's YAMLToJSON), and the expected JSON is kubectl's, written out here.
@Suite("Manifests read as kubectl reads them", .timeLimit(.minutes(2)))
struct ManifestReaderTests {
    func objects(_ text: String, strict: Bool = false) throws -> [JSONValue] {
        try ManifestReader.read(text, source: "m.yaml", options: .init(strictDuplicateKeys: strict)).get().map(\.object)
    }

    func one(_ text: String) throws -> JSONValue {
        let all = try objects(text)
        try #require(all.count == 1)
        return all[0]
    }

    func json(_ text: String) throws -> JSONValue {
        try #require(try YAMLReader.documents(in: text).first?.root?.json)
    }

    @Test("duplicate keys: the last wins, with a warning naming key and line; strict mode refuses")
    func duplicateKeys() throws {
        let text = "kind: ConfigMap\nmetadata:\n  labels: {app: a, app: b}\n"
        let read = ManifestReader.read(text, source: "m.yaml")
        let object = try #require(read.objects.first)
        #expect(object.object["metadata"]?["labels"] == ["app": "b"])
        #expect(read.warnings.map(\.description) == [
            "m.yaml:3:20: duplicate key \"app\" (first defined at line 3); the last value is used, as kubectl does",
        ])
        let strict = ManifestReader.read(text, source: "m.yaml", options: .init(strictDuplicateKeys: true))
        #expect(strict.objects.isEmpty)
        #expect(strict.failures.map(\.error.description) == ["m.yaml:3:20: duplicate key \"app\" (first defined at line 3)"])
    }

    @Test("mapping keys are resolved as go-yaml v2 resolves them, then written as strings")
    func keyResolution() throws {
        // kubectl: {"1":4,"1000":6,"16":5,"8":3,"true":2} (on and y collide; the later wins).
        #expect(try one("{on: 1, y: 2, 010: 3, 1.0: 4, 0x10: 5, 1e3: 6}") == ["true": 2, "8": 3, "1": 4, "16": 5, "1000": 6])
        #expect(try one("{1e6: a, 0.5: b, 1234567.0: c, -1.5: d, 'on': e, false: f}")
                == ["1e+06": "a", "0.5": "b", "1.234567e+06": "c", "-1.5": "d", "on": "e", "false": "f"])
        for key in ["null", "~"] {
            let failure = try #require(ManifestReader.read("\(key): 1\n").failures.first)
            #expect(failure.error.message == "a null mapping key (null, ~ or empty) has no JSON representation")
            #expect(failure.line == 1)
        }
    }

    @Test("merge keys: merged values override earlier keys, the last << wins, !!merge merges")
    func mergeKeys() throws {
        #expect(try one("m: {k: 3, <<: {k: 2}}\n") == ["m": ["k": 2]])
        #expect(try one("m: {<<: {k: 2}, k: 3}\n") == ["m": ["k": 3]])
        #expect(try one("m:\n  <<: {k: 1, a: x}\n  <<: {k: 2}\n") == ["m": ["k": 2, "a": "x"]])
        #expect(try one("m: {!!merge <<: {k: 1}}\n") == ["m": ["k": 1]])
        #expect(try one("m: {\"<<\": {k: 1}}\n") == ["m": ["<<": ["k": 1]]])
        // A sequence of mappings: the earlier mapping wins, and both override what came before.
        #expect(try one("a: &a {k: 1}\nb: &b {k: 2, j: 2}\nm: {k: 0, <<: [*a, *b]}\n")["m"] == ["k": 1, "j": 2])
    }

    @Test("a kept block scalar at the end of the last document gains no newline")
    func keptBlockScalarAtTheEnd() throws {
        #expect(try one("a: |+\n  x\n\n\n") == ["a": "x\n\n\n"])
        #expect(try objects("a: |+\n  x\n\n---\nb: 1") == [["a": "x\n\n"], ["b": 1]])
    }

    @Test("numbers: overflowing floats stay strings, large unsigned integers stay numbers")
    func numbers() throws {
        let value = try one("a: 1e400\nb: 0x8000000000000000\nc: 18446744073709551615\nd: 1e21\ne: 1.5e-7\nf: 1e20\ng: -0.0\n")
        #expect(value["a"] == "1e400")
        #expect(value["b"] == .unsignedInteger(9_223_372_036_854_775_808))
        #expect(value["c"] == .unsignedInteger(.max))
        // Written as Go's encoding/json writes float64.
        #expect(value.jsonText == #"{"a":"1e400","b":9223372036854775808,"c":18446744073709551615,"d":1e+21,"e":1.5e-7,"f":100000000000000000000,"g":-0}"#)
    }

    @Test("JSON streams, a BOM before a later document, UTF-16 bytes")
    func encodingsAndStreams() throws {
        #expect(try objects("{\"a\":1}\n{\"b\":2}\n") == [["a": 1], ["b": 2]])
        #expect(try objects("  {\"a\":1}{\"b\":[true]}") == [["a": 1], ["b": [true]]])
        // After a JSON stream, text that is not JSON is YAML.
        #expect(try objects("{\"a\":1}\n---\nb: 2\n") == [["a": 1], ["b": 2]])
        #expect(try objects("a: 1\n---\n\u{FEFF}b: 2\n") == [["a": 1], ["b": 2]])
        let text = "kind: ConfigMap\ndata: {k: ü}\n"
        var littleEndian: [UInt8] = [0xFF, 0xFE]
        var bigEndian: [UInt8] = [0xFE, 0xFF]
        for unit in text.utf16 {
            littleEndian += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            bigEndian += [UInt8(unit >> 8), UInt8(unit & 0xFF)]
        }
        for bytes in [littleEndian, bigEndian, [0xEF, 0xBB, 0xBF] + Array(text.utf8)] {
            #expect(try ManifestReader.read(bytes).get().map(\.object) == [["kind": "ConfigMap", "data": ["k": "ü"]]])
        }
    }

    @Test("tags: unknown ones are ignored, !!binary is decoded")
    func tags() throws {
        #expect(try one("a: !foo 12\nb: !!set {x, y}\nc: !!omap [p: 1, q: 2]\nd: !!str {k: v}\ne: !!binary aGVsbG8=\nf: ! 7\n")
                == ["a": "12", "b": ["x": nil, "true": nil], "c": [["p": 1], ["q": 2]], "d": ["k": "v"], "e": "hello", "f": "7"])
        let bad = try #require(ManifestReader.read("e: !!binary '%%%'\n").failures.first)
        #expect(bad.error.message == "!!binary value contains invalid base64 data")
    }

    @Test("document separators: ---# comment splits, --- followed by content is an error")
    func separators() throws {
        #expect(try objects("a: 1\n---# next\nb: 2\n---   \nc: 3\n") == [["a": 1], ["b": 2], ["c": 3]])
        let read = ManifestReader.read("a: 1\n--- b: 2\nc: 3\n", source: "m.yaml")
        #expect(read.failures.map(\.error.description) == ["m.yaml:2:4: invalid Yaml document separator: b: 2"])
        #expect(read.objects.map(\.object) == [["a": 1], ["c": 3]])
    }

    @Test func documentsAndLinesOfListsAndComments() throws {
        let text = "---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\nnull\n"
        let read = try ManifestReader.read(text).get()
        #expect(read.map { "\($0.document) \($0.line) \($0.object["metadata"]?["name"]?.stringValue ?? "")" } == ["0 5 a", "0 6 b", "1 10 c"])
        let json = "{\"kind\": \"List\", \"items\": [\n  {\"kind\": \"A\"},\n\n  {\"kind\": \"B\"}]}\n{\"kind\": \"C\"}"
        #expect(try ManifestReader.read(json).get().map { "\($0.document) \($0.line) \($0.object["kind"]?.stringValue ?? "")" } == ["0 2 A", "0 4 B", "1 5 C"])
        let broken = ManifestReader.read("{\"kind\": \"A\",\n \"x\": ]}", source: "j.json")
        #expect(broken.failures.map(\.error.location?.line) == [2])
        #expect(broken.failures.first?.error.code == .yamlSyntax)
    }

    @Test("nesting deeper than kubectl's 10,000 is an error naming the line, never a crash")
    func deepNesting() throws {
        let tooDeep = "a:\n  b: " + String(repeating: "[", count: 10_001)
        let error = #expect(throws: KubeError.self) { try YAMLReader.documents(in: tooDeep, file: "deep.yaml") }
        #expect(error?.description == "deep.yaml:2:10004: exceeded max depth of 10000 nested sequences and mappings")
        // The deepest accepted document converts, prints and is freed without exhausting the stack.
        let deepest = String(repeating: "[", count: 9_999) + String(repeating: "]", count: 9_999)
        let value = try json(deepest)
        #expect(value.jsonText.utf8.count == 19_998)
        #expect(throws: KubeError.self) { try YAMLReader.documents(in: "[[[[x]]]]", options: .init(maximumDepth: 3)) }
    }

    @Test("a manifest nested 3,000 levels deep becomes an apply body without recursion")
    func deepManifestBecomesAnApplyBody() throws {
        let depth = 3_000
        let text = "apiVersion: example.com/v1\nkind: Deep\nmetadata: {name: d}\nspec: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let item = try #require(try ManifestReader.read(text).get().first)
        let object = try DynamicObject(json: item.object)
        let (client, _) = Fixtures.client([])
        let info = APIResourceInfo(group: "example.com", version: "v1", kind: "Deep", plural: "deeps", isNamespaced: true)
        let body = try ResourceClient<DynamicObject>(client: client, namespace: "demo", type: info).applyDocument(object).jsonText
        #expect(body.hasPrefix(#"{"apiVersion":"example.com/v1","kind":"Deep","metadata":{"name":"d"},"spec":[[["#))
        #expect(body.utf8.count == #"{"apiVersion":"example.com/v1","kind":"Deep","metadata":{"name":"d"},"spec":}"#.utf8.count + 2 * depth)
    }

    @Test("the fast JSON reader refuses nesting deeper than JSONDecoder does, instead of recursing without bound")
    func fastReaderDepthLimit() throws {
        let deep = Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)
        var cursor = JSONCursor(deep)
        #expect(throws: JSONCursor.Failure.self) { try cursor.readJSONValue() }
        var shallow = JSONCursor(Array("[[1, 18446744073709551615]]".utf8))
        #expect(try shallow.readJSONValue() == [[1, .unsignedInteger(.max)]])
    }

    @Test("cost is linear: many keys and many documents")
    func largeInputsStayLinear() throws {
        var configMap = "kind: ConfigMap\ndata:\n"
        for key in 0..<4_000 { configMap += "  key\(key): value\(key)\n" }
        #expect(try one(configMap)["data"]?.objectValue?.count == 4_000)
        let documents = String(repeating: "kind: ConfigMap\nmetadata: {name: x}\n---\n", count: 2_000)
        let read = try ManifestReader.read(documents).get()
        #expect(read.count == 2_000)
        #expect(read.last?.line == 5_998 && read.last?.document == 1_999)
    }
}

@Suite("Go's float formatting", .timeLimit(.minutes(2)))
struct GoFloatTests {
    @Test func jsonStyle() {
        let cases: [(Double, String)] = [(1, "1"), (1.5, "1.5"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
                                         (1e-6, "0.000001"), (1e-7, "1e-7"), (123456789.125, "123456789.125"), (-2.5e-10, "-2.5e-10"), (0, "0")]
        for (value, text) in cases { #expect(JSONValue.double(value).jsonText == text) }
    }
}

import Testing
import KubeErrors
@testable import KubeConfig

@Suite("YAML reader over libyaml", .timeLimit(.minutes(2)))
struct YAMLReaderTests {
    func value(_ yaml: String) throws -> JSONValue {
        try YAMLReader.documents(in: yaml).first?.root?.json ?? .null
    }

    @Test("scalars resolve as go-yaml v2 (kubectl) resolves them")
    func scalarResolution() throws {
        let json = try value("""
            a: yes
            b: Off
            c: "yes"
            d: 0x1F
            e: 0777
            f: 1_000
            g: -12
            h: 1.5e3
            i: ~
            j:
            k: 2001-12-14
            l: '0777'
            m: .5
            nn: 12abc
            o: !!str 42
            p: !!float 3
            q: |
              line one
              line two
            """)
        #expect(json == .object([
            "a": .bool(true), "b": .bool(false), "c": .string("yes"), "d": .integer(31), "e": .integer(511),
            "f": .integer(1000), "g": .integer(-12), "h": .double(1500), "i": .null, "j": .null,
            "k": .string("2001-12-14"), "l": .string("0777"), "m": .double(0.5), "nn": .string("12abc"),
            "o": .string("42"), "p": .double(3), "q": .string("line one\nline two"),
        ]))
    }

    @Test func keysKeepDocumentOrderAndAreStrings() throws {
        let json = try value("zeta: 1\n1: one\ntrue: t\nalpha: 2\n")
        #expect(json.objectValue?.keys == ["zeta", "1", "true", "alpha"])
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let json = try value("""
            base: &base {image: nginx, port: 80}
            extra: &extra {port: 8080, debug: true}
            web:
              <<: [*base, *extra]
              port: 81
            copy: *base
            """)
        #expect(json["web"] == .object(["image": .string("nginx"), "port": .integer(81), "debug": .bool(true)]))
        #expect(json["copy"] == json["base"])
        // go-yaml v2 applies the later mapping of the sequence first, so earlier ones override it.
        #expect(json["web"]?.objectValue?.keys == ["port", "debug", "image"])
    }

    @Test func multipleDocumentsWithStartLines() throws {
        let documents = try YAMLReader.documents(in: "a: 1\n---\nb: 2\n---\n# only a comment\n")
        #expect(documents.count == 3)
        #expect(documents[1].startLine == 2)
        #expect(documents[1].root?.json == .object(["b": .integer(2)]))
        #expect(documents[2].root == nil || documents[2].root?.json == .null)
    }

    @Test func jsonInputParses() throws {
        let json = try value(#"{"kind": "Config", "clusters": [{"name": "a", "cluster": {"server": "https://x"}}], "n": 1.25, "t": true}"#)
        #expect(json["kind"] == .string("Config"))
        #expect(json["clusters"]?.arrayValue?.first?["cluster"]?["server"] == .string("https://x"))
        #expect(json["n"] == .double(1.25))
    }

    @Test func positionsAreOneBased() throws {
        let root = try YAMLReader.documents(in: "first: 1\nsecond:\n  nested: value\n").first!.root!
        let second = try #require(root.member("second"))
        #expect(second.keyPosition == .init(line: 2, column: 1))
        #expect(second.value.member("nested")?.value.position == .init(line: 3, column: 11))
    }

    @Test func syntaxErrorsNameFileLineAndColumn() {
        let error = #expect(throws: KubeError.self) {
            try YAMLReader.documents(in: "a: 1\nb: [unclosed\nc: 3\n", file: "/tmp/config")
        }
        #expect(error?.code == .yamlSyntax)
        #expect(error?.location?.file == "/tmp/config")
        #expect(error?.location?.line != nil)
        #expect(error?.description.hasPrefix("/tmp/config:") == true)
        #expect(error?.message.contains("YAML syntax error") == true)
    }

    @Test func tabIndentationIsASyntaxErrorWithItsLine() {
        let error = #expect(throws: KubeError.self) { try YAMLReader.documents(in: "a:\n\tb: 1\n") }
        #expect(error?.location?.line == 2)
    }

    @Test func duplicateKeysAreRejected() {
        let error = #expect(throws: KubeError.self) { try YAMLReader.documents(in: "name: a\nserver: x\nname: b\n", file: "f.yaml") }
        #expect(error?.description == "f.yaml:3:1: duplicate key \"name\" (first defined at line 1)")
    }

    @Test func unknownAliasAndTagsAndInfinityAreErrors() throws {
        #expect(throws: KubeError.self) { try YAMLReader.documents(in: "a: *nothing\n") }
        // Unknown tags are ignored, as kubectl does.
        #expect(try YAMLReader.documents(in: "a: !custom 1\n").first?.root?.json == ["a": "1"])
        let infinity = #expect(throws: KubeError.self) { try YAMLReader.documents(in: "a: .inf\n") }
        #expect(infinity?.message == "the YAML value .inf has no JSON representation")
        #expect(throws: KubeError.self) { try YAMLReader.documents(in: "? [a, b]\n: c\n") }
    }

    @Test func aliasBombsAreStopped() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            yaml += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        let error = #expect(throws: KubeError.self) { try YAMLReader.documents(in: yaml) }
        #expect(error?.message.contains("more than") == true)
    }

    @Test func utf16WithByteOrderMarkIsRead() throws {
        let text = "kind: Config\ncurrent-context: ü\n"
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let json = try YAMLReader.documents(in: bytes).first?.root?.json
        #expect(json?["current-context"] == .string("ü"))
    }

    @Test func goStyleIntegerParsing() {
        #expect(TreeBuilderProbe.integer("0b101") == 5)
        #expect(TreeBuilderProbe.integer("-0x10") == -16)
        #expect(TreeBuilderProbe.integer("0o17") == 15)
        #expect(TreeBuilderProbe.integer("9223372036854775807") == Int64.max)
        #expect(TreeBuilderProbe.integer("9223372036854775808") == nil)
        #expect(TreeBuilderProbe.integer("08") == nil)
    }

    @Test func jsonTextRoundTrip() throws {
        let original: JSONValue = .object(["b": .array([.integer(1), .double(2.5), .null]), "a": .string("q\"\n\u{01}"), "c": .bool(false)])
        #expect(original.jsonText == #"{"b":[1,2.5,null],"a":"q\"\n\u0001","c":false}"#)
        #expect(try value(original.jsonText) == original)
    }
}

/// Reaches the internal integer parser through the public reader.
enum TreeBuilderProbe {
    static func integer(_ text: String) -> Int64? {
        guard case .integer(let value)? = try? YAMLReader.documents(in: "v: \(text)\n").first?.root?.member("v")?.value.content else {
            return nil
        }
        return value
    }
}

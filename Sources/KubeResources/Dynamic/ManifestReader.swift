import KubeConfig
import KubeErrors

/// Turns manifest text — YAML or JSON, one or many documents, `kind: List` — into the JSON objects
/// ``KubeClient/apply(manifests:source:options:)`` sends, the way `kubectl apply -f` reads a file.
///
/// ```swift
/// let manifests = ManifestReader.read(text, source: "app.yaml")
/// for failure in manifests.failures { print(failure) }          // app.yaml:12:3: YAML syntax error: ...
/// for item in manifests.objects {
///     print(item.document, item.line, item.object["kind"]?.stringValue ?? "")
/// }
/// ```
///
/// What kubectl does, and so what this does:
/// - Input starting with `{` (after white space) is a stream of JSON values (`{"a":1}` newline `{"b":2}` are two
///   objects); anything else is YAML, cut into documents at lines starting with `---` that carry nothing but
///   a comment after it (`--- foo` is an error, `---# note` a separator). Text after a JSON stream that is
///   not JSON is read as YAML, and so is a value that does not parse as JSON (a YAML flow mapping such as
///   `{on: 1}`; kubectl reports a JSON syntax error there).
/// - A UTF-8 byte order mark is dropped and UTF-16 with a byte order mark is converted, as kubectl's file
///   reader does.
/// - Each YAML document is read as sigs.k8s.io/yaml reads it (see ``YAMLReader``): duplicate keys keep the
///   last value and produce a warning (an error with ``Options/strictDuplicateKeys``).
/// - Empty documents and `null` are skipped; a `List` (`kind: List`, or any `…List` with `items`) gives
///   its items, each with its own line.
///
/// Unlike kubectl, one bad document does not stop the others: it becomes a ``ManifestFailure`` naming its
/// document index and line.
public enum ManifestReader {
    /// How to read.
    public struct Options: Sendable, Hashable {
        /// Refuse duplicate mapping keys instead of keeping the last value (kubectl keeps the last).
        public var strictDuplicateKeys: Bool

        /// Creates options.
        public init(strictDuplicateKeys: Bool = false) {
            self.strictDuplicateKeys = strictDuplicateKeys
        }
    }

    /// Reads manifest text.
    /// - Parameter source: A file name for messages.
    public static func read(_ text: String, source: String? = nil, options: Options = Options()) -> Manifests {
        read(Array(text.utf8), source: source, options: options)
    }

    /// Reads manifest bytes (UTF-8, or UTF-16 with a byte order mark).
    /// - Parameter source: A file name for messages.
    public static func read(_ bytes: [UInt8], source: String? = nil, options: Options = Options()) -> Manifests {
        var reader = StreamReader(bytes: UnicodeInput.utf8(bytes), source: source, options: options)
        reader.run()
        return Manifests(objects: reader.objects, failures: reader.failures)
    }
}

/// What ``ManifestReader`` read: the objects and the documents that failed.
public struct Manifests: Sendable {
    /// The objects, in input order.
    public var objects: [ManifestObject]
    /// The documents that could not be read, in input order.
    public var failures: [ManifestFailure]

    /// Every warning of every object.
    public var warnings: [YAMLWarning] { objects.flatMap(\.warnings) }

    /// The objects, or the first failure as an error.
    public func get() throws(KubeError) -> [ManifestObject] {
        if let failure = failures.first { throw failure.error }
        return objects
    }
}

/// One object of a manifest.
public struct ManifestObject: Sendable, Hashable {
    /// The 0-based index of the document it came from.
    public var document: Int
    /// The line where the object starts (a `List` item's own line).
    public var line: Int
    /// The object as JSON, exactly as kubectl would send it (apply adds only a default `metadata.namespace`).
    public var object: JSONValue
    /// What the reader accepted but flagged in this object's document (duplicate keys).
    public var warnings: [YAMLWarning]

    /// Creates an object.
    public init(document: Int, line: Int, object: JSONValue, warnings: [YAMLWarning] = []) {
        self.document = document
        self.line = line
        self.object = object
        self.warnings = warnings
    }
}

/// A document of a manifest that could not be read.
public struct ManifestFailure: Sendable, CustomStringConvertible {
    /// The 0-based index of the document.
    public var document: Int
    /// The line of the problem (or of the document's start).
    public var line: Int
    /// What went wrong, with the file, line and column.
    public var error: KubeError

    /// `document 2 (line 14): …`.
    public var description: String { "document \(document) (line \(line)): \(error)" }
}

// MARK: - Reading a stream

/// Input bytes as UTF-8, as kubectl's file reader hands them on (`unicode.BOMOverride`).
enum UnicodeInput {
    static func utf8(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return Array(bytes.dropFirst(3)) }
        let littleEndian = bytes.starts(with: [0xFF, 0xFE])
        guard littleEndian || bytes.starts(with: [0xFE, 0xFF]) else { return bytes }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = 2
        while index + 1 < bytes.count {
            let (first, second) = (UInt16(bytes[index]), UInt16(bytes[index + 1]))
            units.append(littleEndian ? first | second << 8 : first << 8 | second)
            index += 2
        }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }
}

/// Line numbers for byte offsets that only grow: each byte is counted once.
private struct LineCounter {
    let bytes: [UInt8]
    private var offset = 0
    private var line = 1

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The 1-based line of `target` (≥ every earlier call's).
    mutating func line(at target: Int) -> Int {
        let end = min(target, bytes.count)
        while offset < end {
            if bytes[offset] == UInt8(ascii: "\n") { line += 1 }
            offset += 1
        }
        return line
    }
}

private struct StreamReader {
    let bytes: [UInt8]
    let source: String?
    let options: ManifestReader.Options
    var objects: [ManifestObject] = []
    var failures: [ManifestFailure] = []
    private var document = 0
    private var lines: LineCounter

    init(bytes: [UInt8], source: String?, options: ManifestReader.Options) {
        self.bytes = bytes
        self.source = source
        self.options = options
        self.lines = LineCounter(bytes)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x0B || byte == 0x0C
    }

    mutating func run() {
        var start = 0
        while start < bytes.count, Self.isSpace(bytes[start]) { start += 1 }
        if start < bytes.count, bytes[start] == UInt8(ascii: "{") {
            start = readJSONStream(from: start)
        }
        if start < bytes.count { readYAML(from: start) }
    }

    // MARK: JSON streams (json.Decoder in kubectl)

    /// Reads JSON values from `start` until the input ends or stops being JSON; returns where YAML takes over.
    private mutating func readJSONStream(from start: Int) -> Int {
        var cursor = JSONCursor(bytes)
        cursor.index = start
        while true {
            cursor.skipWhitespace()
            guard cursor.index < bytes.count else { return bytes.count }
            let valueStart = cursor.index
            guard bytes[valueStart] == UInt8(ascii: "{") || bytes[valueStart] == UInt8(ascii: "[") else {
                return lineStart(of: valueStart)
            }
            let line = lines.line(at: valueStart)
            do {
                var itemLines: [Int] = []
                let value = try readTopLevel(&cursor, itemLines: &itemLines)
                append(value, line: line, itemLines: itemLines, warnings: [])
            } catch {
                // Not JSON after all (`{on: 1}` is a YAML flow mapping): read the rest as YAML, which also
                // reports a broken JSON value with its line and column.
                return lineStart(of: valueStart)
            }
            document += 1
        }
    }

    /// Reads one top-level value, noting where each element of an `items` array starts.
    private mutating func readTopLevel(_ cursor: inout JSONCursor, itemLines: inout [Int]) throws -> JSONValue {
        guard try cursor.peek() == UInt8(ascii: "{") else { return try cursor.readJSONValue() }
        try cursor.beginObject()
        var object = JSONObject()
        while let key = try cursor.nextKey() {
            guard key == "items", try cursor.peek() == UInt8(ascii: "[") else {
                object[key] = try cursor.readJSONValue()
                continue
            }
            try cursor.beginArray()
            var values: [JSONValue] = []
            itemLines = []
            while try cursor.nextElement() {
                _ = try cursor.peek()
                itemLines.append(lines.line(at: cursor.index))
                values.append(try cursor.readJSONValue())
            }
            object[key] = .array(values)
        }
        return .object(object)
    }

    private func lineStart(of offset: Int) -> Int {
        var start = offset
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        return start
    }

    // MARK: YAML streams (apimachinery's YAMLReader, then sigs.k8s.io/yaml per document)

    private mutating func readYAML(from start: Int) {
        var chunkStart = start
        var chunkLine = lines.line(at: start)
        var hasContent = false
        var lineStart = start
        var lineNumber = chunkLine
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let next = min(lineEnd + 1, bytes.count)
            if isSeparator(lineStart, lineEnd) {
                if hasContent { readDocument(chunkStart..<lineStart, firstLine: chunkLine) }
                if let problem = separatorProblem(lineStart, lineEnd) {
                    fail(KubeError(code: .yamlSyntax, message: "invalid Yaml document separator: \(problem)",
                                   location: .init(file: source, line: lineNumber, column: 4)), line: lineNumber)
                    document += 1
                }
                chunkStart = next
                chunkLine = lineNumber + 1
                hasContent = false
            } else if !hasContent, isContent(lineStart, lineEnd) {
                hasContent = true
            }
            lineStart = next
            lineNumber += 1
        }
        if hasContent { readDocument(chunkStart..<bytes.count, firstLine: chunkLine) }
    }

    private func isSeparator(_ start: Int, _ end: Int) -> Bool {
        end - start >= 3 && bytes[start] == UInt8(ascii: "-") && bytes[start + 1] == UInt8(ascii: "-") && bytes[start + 2] == UInt8(ascii: "-")
    }

    /// kubectl allows only white space and a comment after `---`.
    private func separatorProblem(_ start: Int, _ end: Int) -> String? {
        var first = start + 3
        var last = end
        while first < last, Self.isSpace(bytes[first]) { first += 1 }
        while last > first, Self.isSpace(bytes[last - 1]) { last -= 1 }
        guard first < last, bytes[first] != UInt8(ascii: "#") else { return nil }
        return String(decoding: bytes[first..<last], as: UTF8.self)
    }

    /// A line with something other than white space or a comment.
    private func isContent(_ start: Int, _ end: Int) -> Bool {
        var index = start
        while index < end, Self.isSpace(bytes[index]) { index += 1 }
        return index < end && bytes[index] != UInt8(ascii: "#")
    }

    private mutating func readDocument(_ range: Range<Int>, firstLine: Int) {
        defer { document += 1 }
        let readerOptions = YAMLReader.Options(duplicateKeys: options.strictDuplicateKeys ? .reject : .lastWins, firstLine: firstLine)
        do {
            // sigs.k8s.io/yaml reads the first YAML document of each chunk.
            guard let parsed = try YAMLReader.documents(in: bytes, range: range, file: source, options: readerOptions).first,
                  let root = parsed.root else { return }
            let itemLines: [Int]
            if case .object = root.content, case .array(let items)? = root.member("items")?.value.content {
                itemLines = items.map(\.position.line)
            } else {
                itemLines = []
            }
            append(root.json, line: root.position.line, itemLines: itemLines, warnings: parsed.warnings)
        } catch let error as KubeError {
            fail(error, line: error.location?.line ?? firstLine)
        } catch {
            fail(KubeError(code: .yamlSyntax, message: "\(error)", location: .init(file: source, line: firstLine)), line: firstLine)
        }
    }

    // MARK: Objects

    private mutating func fail(_ error: KubeError, line: Int) {
        failures.append(ManifestFailure(document: document, line: line, error: error))
    }

    /// Adds a document's value: skipped when null, flattened when a List, an error when not an object.
    private mutating func append(_ value: JSONValue, line: Int, itemLines: [Int], warnings: [YAMLWarning]) {
        guard value != .null else { return }
        guard case .object(let object) = value else {
            fail(KubeError(code: .invalidManifest, message: "a manifest document must be an object, not \(value.typeName)",
                           location: .init(file: source, line: line)), line: line)
            return
        }
        let kind = object["kind"]?.stringValue
        if let kind, kind == "List" || (kind.hasSuffix("List") && object["items"] != nil) {
            guard case .array(let items)? = object["items"] else {
                fail(KubeError(code: .invalidManifest, message: "\(kind) needs an items list", location: .init(file: source, line: line)), line: line)
                return
            }
            for (offset, item) in items.enumerated() {
                objects.append(ManifestObject(document: document, line: offset < itemLines.count ? itemLines[offset] : line,
                                              object: item, warnings: warnings))
            }
        } else {
            objects.append(ManifestObject(document: document, line: line, object: value, warnings: warnings))
        }
    }
}

import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// A server-side table (`meta.k8s.io/v1 Table`): the columns and rows `kubectl get` prints, computed by the API
/// server for any kind, custom resources included.
///
/// ```swift
/// let table = try await client.pods().table()
/// print(table.formatted())              // NAME  READY  STATUS  RESTARTS  AGE, as kubectl prints it
/// print(table.formatted(wide: true))    // -o wide: the priority columns too
/// ```
public struct KubeTable: Sendable, Hashable {
    /// A column definition.
    public struct Column: Sendable, Hashable {
        /// `Name`, `Ready`, `Nominated Node`.
        public var name: String
        /// `string`, `integer`, `date`...
        public var type: String
        /// `name`, `date`... (may be empty).
        public var format: String
        /// What the column shows.
        public var description: String
        /// 0: always shown; higher: only with ``KubeTable/formatted(wide:showNamespace:noHeaders:)``'s `wide`.
        public var priority: Int

        /// A column (for tables a tool builds itself, printed like the server's).
        public init(name: String, type: String = "string", format: String = "", description: String = "", priority: Int = 0) {
            self.name = name
            self.type = type
            self.format = format
            self.description = description
            self.priority = priority
        }
    }

    /// A row: its cells, and the object's metadata when the server included it.
    public struct Row: Sendable, Hashable {
        /// One value per column.
        public var cells: [JSONValue]
        /// The row's object metadata (name, namespace, labels...).
        public var metadata: MetaV1.ObjectMeta?

        /// A row.
        public init(cells: [JSONValue], metadata: MetaV1.ObjectMeta? = nil) {
            self.cells = cells
            self.metadata = metadata
        }
    }

    /// The columns, in order.
    public var columns: [Column]
    /// The rows, in order.
    public var rows: [Row]
    /// The list's resourceVersion.
    public var resourceVersion: String?
    /// The continue token of a paged table.
    public var continueToken: String?

    /// A table (the server's come from `ResourceClient.table(_:)`; a tool may build its own, such
    /// as `kubectl events`'s, and print it the same way).
    public init(columns: [Column], rows: [Row], resourceVersion: String? = nil, continueToken: String? = nil) {
        self.columns = columns
        self.rows = rows
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }

    /// The table as kubectl prints it: upper-case headers, columns padded to their widest cell plus three
    /// spaces (kubectl's tabwriter: minimum width 6, padding 3), priority columns only when `wide`, a
    /// NAMESPACE column first when `showNamespace` (`-A`), `<none>` for empty cells.
    public func formatted(wide: Bool = false, showNamespace: Bool = false, noHeaders: Bool = false) -> String {
        let shown = columns.indices.filter { wide || columns[$0].priority == 0 }
        var lines: [[String]] = []
        if !noHeaders {
            lines.append((showNamespace ? ["NAMESPACE"] : []) + shown.map { columns[$0].name.uppercased() })
        }
        for row in rows {
            let cells = shown.map { index in index < row.cells.count ? Self.text(row.cells[index]) : "" }
            lines.append((showNamespace ? [row.metadata?.namespace ?? ""] : []) + cells)
        }
        guard let width = lines.first?.count, width > 0 else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for line in lines {
            for (index, cell) in line.enumerated() where index < width - 1 { widths[index] = max(widths[index], max(cell.count + 3, 6)) }
        }
        return lines.map { line in
            line.enumerated().map { index, cell in
                index == line.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// A cell as kubectl prints it.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .unsignedInteger(let number): return String(number)
        case .double(let number): return GoFloat.format(number, style: .json)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "<none>"
        default: return value.jsonText
        }
    }

    /// Builds a table from a `Table` response, or — when the server answered a plain list (some aggregated
    /// APIs) — kubectl's fallback: NAME and AGE from each object's metadata.
    static func decode(_ body: [UInt8], request: KubeRequest, now: Date = Date()) throws -> KubeTable {
        // One pass with the fast reader: the columns and cells, and of each object only its metadata (a plain
        // list without server-side printing needs no more for NAME and AGE). Input it refuses (valid JSON the
        // generated decoders read differently) takes the generic path below.
        var cursor = JSONCursor(body)
        if let read = try? TableBody(from: &cursor), (try? cursor.expectEnd()) != nil {
            let listMetadata = read.metadata?.objectValue ?? [:]
            if read.kind == "Table" {
                return KubeTable(columns: (read.columns ?? []).map(Self.column), rows: (read.rows ?? []).map { Row(cells: $0.cells, metadata: $0.metadata) },
                                 resourceVersion: listMetadata["resourceVersion"]?.stringValue, continueToken: listMetadata["continue"]?.stringValue)
            }
            if let items = read.items {
                return nameAgeTable(items, resourceVersion: listMetadata["resourceVersion"]?.stringValue,
                                    continueToken: listMetadata["continue"]?.stringValue, now: now)
            }
            let single = try read.metadata.map { try KubeCoding.decode(MetaV1.ObjectMeta.self, from: Array($0.jsonText.utf8)) }
            return nameAgeTable([single], resourceVersion: nil, continueToken: nil, now: now)
        }
        guard case .object(let object)? = try? YAMLReader.documents(in: body).first?.root?.json else {
            throw KubeError(code: .decoding, message: "the table response is not a JSON object",
                            request: .init(method: request.method.rawValue, path: request.path))
        }
        let metadata = object["metadata"]?.objectValue ?? [:]
        if object["kind"]?.stringValue == "Table" {
            let columns = (object["columnDefinitions"]?.arrayValue ?? []).map(Self.column)
            let rows = try (object["rows"]?.arrayValue ?? []).map { row in
                Row(cells: row["cells"]?.arrayValue ?? [],
                    metadata: try row["object"]?["metadata"].map { try KubeCoding.decode(MetaV1.ObjectMeta.self, from: Array($0.jsonText.utf8)) })
            }
            return KubeTable(columns: columns, rows: rows, resourceVersion: metadata["resourceVersion"]?.stringValue,
                             continueToken: metadata["continue"]?.stringValue)
        }
        // A list (or one object) the fast reader refused: NAME and AGE from the generic value.
        let items = object["items"]?.arrayValue ?? [.object(object)]
        let metas = try items.map { item in
            try item["metadata"].map { try KubeCoding.decode(MetaV1.ObjectMeta.self, from: Array($0.jsonText.utf8)) }
        }
        return nameAgeTable(metas, resourceVersion: metadata["resourceVersion"]?.stringValue, continueToken: metadata["continue"]?.stringValue, now: now)
    }

    /// A column definition of a Table response.
    static func column(_ definition: JSONValue) -> Column {
        let priority: Int = if case .integer(let value)? = definition["priority"] { Int(value) } else { 0 }
        return Column(name: definition["name"]?.stringValue ?? "", type: definition["type"]?.stringValue ?? "string",
                      format: definition["format"]?.stringValue ?? "", description: definition["description"]?.stringValue ?? "",
                      priority: priority)
    }

    /// kubectl's table for kinds the server does not print: NAME and AGE.
    static func nameAgeTable(_ metas: [MetaV1.ObjectMeta?], resourceVersion: String?, continueToken: String?, now: Date) -> KubeTable {
        let rows = metas.map { meta in
            let age = meta?.creationTimestamp.map { KubeAge.format(now.timeIntervalSince1970 - Double($0.secondsSinceEpoch)) } ?? "<unknown>"
            return Row(cells: [.string(meta?.name ?? ""), .string(age)], metadata: meta)
        }
        return KubeTable(columns: [Column(name: "Name", format: "name"), Column(name: "Age")],
                         rows: rows, resourceVersion: resourceVersion, continueToken: continueToken)
    }
}

/// What a table is printed from, read in one pass with the fast decoder: the kind, the top-level metadata, a
/// Table's column definitions and rows (cells, and the metadata of each row's object), a plain list's items'
/// metadata. Everything else is skipped unread.
struct TableBody: JSONFastDecodable {
    var kind: String?
    var metadata: JSONValue?
    var columns: [JSONValue]?
    var rows: [(cells: [JSONValue], metadata: MetaV1.ObjectMeta?)]?
    var items: [MetaV1.ObjectMeta?]?

    init(from cursor: inout JSONCursor) throws {
        try cursor.beginObject()
        while let key = try cursor.nextKey() {
            switch key {
            case "kind": kind = try cursor.decode(String.self)
            case "metadata": metadata = try cursor.readJSONValue()
            case "columnDefinitions": columns = try cursor.readJSONValue().arrayValue
            case "rows":
                rows = try Self.array(&cursor) { cursor in
                    var cells: [JSONValue] = []
                    var metadata: MetaV1.ObjectMeta?
                    try cursor.beginObject()
                    while let rowKey = try cursor.nextKey() {
                        switch rowKey {
                        case "cells": cells = try cursor.readJSONValue().arrayValue ?? []
                        case "object": metadata = try Self.metadata(&cursor)
                        default: try cursor.skipValue()
                        }
                    }
                    return (cells, metadata)
                }
            case "items": items = try Self.array(&cursor) { try Self.metadata(&$0) }
            default: try cursor.skipValue()
            }
        }
    }

    /// The `metadata` of the object at the cursor; its other fields skipped.
    static func metadata(_ cursor: inout JSONCursor) throws -> MetaV1.ObjectMeta? {
        if try cursor.consumeNull() { return nil }
        var metadata: MetaV1.ObjectMeta?
        try cursor.beginObject()
        while let key = try cursor.nextKey() {
            if key == "metadata" { metadata = try cursor.decode(MetaV1.ObjectMeta.self) } else { try cursor.skipValue() }
        }
        return metadata
    }

    /// An array read element by element (`nil` for `null`).
    static func array<Element>(_ cursor: inout JSONCursor, _ element: (inout JSONCursor) throws -> Element) throws -> [Element]? {
        if try cursor.consumeNull() { return nil }
        var list: [Element] = []
        try cursor.beginArray()
        while try cursor.nextElement() { list.append(try element(&cursor)) }
        return list
    }
}

/// Ages as kubectl prints them (apimachinery's `duration.HumanDuration`): `42s`, `5m39s`, `3h12m`, `6d`, `2y30d`.
public enum KubeAge {
    /// `seconds` as kubectl's AGE column shows it.
    public static func format(_ seconds: TimeInterval) -> String { HumanDuration.format(seconds) }
}

extension ResourceClient {
    /// What kubectl asks for: a v1 Table, then v1beta1, then the plain JSON.
    static var tableAccept: String {
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
    }

    /// The collection as the server prints it (`kubectl get`), for any kind; falls back to NAME and AGE when the
    /// server has no table for it.
    public func table(_ options: ListOptions = ListOptions()) async throws -> KubeTable {
        try client.authorize("list", needs: .read, on: resourceName)
        var request = try listRequest(options)
        request.headers.add("Accept", Self.tableAccept)
        let (_, body) = try await client.data(request)
        return try KubeTable.decode(body, request: request)
    }

    /// Object `name` as the server prints it (`kubectl get KIND NAME`).
    public func table(_ name: String) async throws -> KubeTable {
        try client.authorize("get", needs: .read, on: resourceName)
        let request = KubeRequest(.get, path: try objectPath(name), headers: ["Accept": Self.tableAccept])
        let (_, body) = try await client.data(request)
        return try KubeTable.decode(body, request: request)
    }
}

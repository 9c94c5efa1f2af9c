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
    }

    /// A row: its cells, and the object's metadata when the server included it.
    public struct Row: Sendable, Hashable {
        /// One value per column.
        public var cells: [JSONValue]
        /// The row's object metadata (name, namespace, labels...).
        public var metadata: MetaV1.ObjectMeta?
    }

    /// The columns, in order.
    public var columns: [Column]
    /// The rows, in order.
    public var rows: [Row]
    /// The list's resourceVersion.
    public var resourceVersion: String?
    /// The continue token of a paged table.
    public var continueToken: String?

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
        // Without server-side printing (a plain list, or one object) only names and creation times are needed:
        // read them with the fast decoder and skip the rest, instead of building the whole list as JSON values.
        var cursor = JSONCursor(body)
        if let list = try? NameAgeList(from: &cursor), (try? cursor.expectEnd()) != nil, list.kind != "Table" {
            let metas: [MetaV1.ObjectMeta?]
            if let items = list.items {
                metas = items
            } else {
                metas = [try list.metadata.map { try KubeCoding.decode(MetaV1.ObjectMeta.self, from: Array($0.jsonText.utf8)) }]
            }
            return nameAgeTable(metas, resourceVersion: list.items == nil ? nil : list.metadata?["resourceVersion"]?.stringValue,
                                continueToken: list.items == nil ? nil : list.metadata?["continue"]?.stringValue, now: now)
        }
        guard case .object(let object)? = try? YAMLReader.documents(in: body).first?.root?.json else {
            throw KubeError(code: .decoding, message: "the table response is not a JSON object",
                            request: .init(method: request.method.rawValue, path: request.path))
        }
        let metadata = object["metadata"]?.objectValue ?? [:]
        if object["kind"]?.stringValue == "Table" {
            let columns = (object["columnDefinitions"]?.arrayValue ?? []).map { column in
                Column(name: column["name"]?.stringValue ?? "", type: column["type"]?.stringValue ?? "string",
                       format: column["format"]?.stringValue ?? "", description: column["description"]?.stringValue ?? "",
                       priority: { if case .integer(let value)? = column["priority"] { return Int(value) } else { return 0 } }())
            }
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

    /// kubectl's table for kinds the server does not print: NAME and AGE.
    static func nameAgeTable(_ metas: [MetaV1.ObjectMeta?], resourceVersion: String?, continueToken: String?, now: Date) -> KubeTable {
        let rows = metas.map { meta in
            let age = meta?.creationTimestamp.map { KubeAge.format(now.timeIntervalSince1970 - Double($0.secondsSinceEpoch)) } ?? "<unknown>"
            return Row(cells: [.string(meta?.name ?? ""), .string(age)], metadata: meta)
        }
        return KubeTable(columns: [Column(name: "Name", type: "string", format: "name", description: "", priority: 0),
                                   Column(name: "Age", type: "string", format: "", description: "", priority: 0)],
                         rows: rows, resourceVersion: resourceVersion, continueToken: continueToken)
    }
}

/// The parts of a list (or of one object) a NAME/AGE table needs — its kind, its metadata, each item's
/// metadata — read with the fast decoder; everything else is skipped unread.
struct NameAgeList: JSONFastDecodable {
    var kind: String?
    var metadata: JSONValue?
    var items: [MetaV1.ObjectMeta?]?

    init(from cursor: inout JSONCursor) throws {
        try cursor.beginObject()
        while let key = try cursor.nextKey() {
            switch key {
            case "kind": kind = try cursor.decode(String.self)
            case "metadata": metadata = try cursor.readJSONValue()
            case "items":
                if try cursor.consumeNull() { continue }
                var list: [MetaV1.ObjectMeta?] = []
                try cursor.beginArray()
                while try cursor.nextElement() {
                    var meta: MetaV1.ObjectMeta?
                    try cursor.beginObject()
                    while let itemKey = try cursor.nextKey() {
                        if itemKey == "metadata" { meta = try cursor.decode(MetaV1.ObjectMeta.self) } else { try cursor.skipValue() }
                    }
                    list.append(meta)
                }
                items = list
            default:
                try cursor.skipValue()
            }
        }
    }
}

/// Ages as kubectl prints them (apimachinery's `duration.HumanDuration`): `42s`, `5m39s`, `3h12m`, `6d`, `2y30d`.
public enum KubeAge {
    /// `seconds` as kubectl's AGE column shows it.
    public static func format(_ seconds: TimeInterval) -> String {
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        let total = Int(seconds)
        if total < 60 * 2 { return "\(total)s" }
        let minutes = total / 60
        if minutes < 10 {
            let rest = total % 60
            return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 {
            let rest = minutes % 60
            return rest == 0 ? "\(hours)h" : "\(hours)h\(rest)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let rest = hours % 24
            return rest == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rest)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let days = hours / 24 % 365
            return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
        }
        return "\(hours / 24 / 365)y"
    }
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

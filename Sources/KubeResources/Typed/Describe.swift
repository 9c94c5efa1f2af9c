import Foundation
import KubeErrors

/// `kubectl describe` text, laid out as kubectl 1.32 lays it out (its tabwriter: cells padded to the widest in
/// their column block plus two spaces), for Pods, Deployments, ReplicaSets, Services, Nodes, Namespaces,
/// ConfigMaps, and any other object through the generic layout kubectl uses for kinds it has no describer for
/// (Events and custom resources among them).
///
/// The functions here only format: the `describe` methods on ``ResourceClient`` fetch the object and what
/// kubectl shows with it (events, replica sets, pods, endpoint slices, the node lease). Map keys kubectl prints
/// in Go's random map order (a ConfigMap's data) are sorted here.
public enum KubeDescribe {
    /// When "now" is (for ages) and which time zone absolute times are printed in (kubectl uses the local one).
    public struct Options: Sendable {
        /// The moment ages are measured from.
        public var now: Date
        /// The zone of printed times (`Sun, 22 Nov 2026 10:49:50 +0000`).
        public var timeZone: TimeZone

        /// Ages from `now`, times in `timeZone` (by default: the current time in the local zone).
        public init(now: Date = Date(), timeZone: TimeZone = .current) {
            self.now = now
            self.timeZone = timeZone
        }

        /// A time as kubectl prints it (Go's RFC 1123 with a numeric zone).
        func format(_ time: Time?) -> String {
            guard let time else { return "<unset>" }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = timeZone
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
            return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time.secondsSinceEpoch)))
        }

        /// How long ago `time` was, as kubectl's ages (`<unknown>` without one).
        func age(_ seconds: Int64?) -> String {
            guard let seconds else { return "<unknown>" }
            return KubeAge.format(now.timeIntervalSince1970 - TimeInterval(seconds))
        }
    }

    /// A ConfigMap: name, namespace, labels, annotations, each data key with its value, binary keys with their
    /// sizes, and the events (`nil`: not looked up, so no Events section).
    public static func configMap(_ configMap: CoreV1.ConfigMap, events: [CoreV1.Event]?, options: Options = Options()) -> String {
        var text = ""
        text += "Name:\t\(configMap.metadata?.name ?? "")\n"
        text += "Namespace:\t\(configMap.metadata?.namespace ?? "")\n"
        text += multiline("Labels", configMap.metadata?.labels)
        text += annotations(configMap.metadata?.annotations)
        text += "\nData\n====\n"
        for (key, value) in (configMap.data ?? [:]).sorted(by: { $0.key < $1.key }) {
            text += "\(key):\n----\n\(value)\n\n"
        }
        text += "\nBinaryData\n====\n"
        for (key, value) in (configMap.binaryData ?? [:]).sorted(by: { $0.key < $1.key }) {
            text += "\(key): \(Data(base64Encoded: value)?.count ?? 0) bytes\n"
        }
        text += "\n"
        if let events { text += describeEvents(events, options: options) }
        return tabulate(text)
    }

    /// `Labels:\tk=v` then `\tk=v` per further key, sorted; `<none>` when empty.
    static func multiline(_ title: String, _ values: [String: String]?, separator: String = "=") -> String {
        guard let values, !values.isEmpty else { return "\(title):\t<none>\n" }
        return values.sorted { $0.key < $1.key }.enumerated().map { index, entry in
            (index == 0 ? "\(title):" : "") + "\t\(entry.key)\(separator)\(entry.value)\n"
        }.joined()
    }

    /// Annotations as kubectl shows them (`key: value`), without kubectl's own last-applied configuration; a
    /// value with line breaks, or longer than 140 characters with its key, goes on lines of its own below the
    /// key, each cut at 138 characters with `...`.
    static func annotations(_ values: [String: String]?, title: String = "Annotations") -> String {
        let keys = (values ?? [:]).keys.filter { $0 != "kubectl.kubernetes.io/last-applied-configuration" }.sorted()
        guard let values, !keys.isEmpty else { return "\(title):\t<none>\n" }
        var text = "\(title):\t"
        for (index, key) in keys.enumerated() {
            if index != 0 { text += "\t" }
            var value = values[key] ?? ""
            if value.hasSuffix("\n") { value.removeLast() }
            if value.utf8.count + key.utf8.count + 2 > 140 || value.contains("\n") {
                text += "\(key):\n"
                for line in value.components(separatedBy: "\n") {
                    text += "\t  \(line.count > 138 ? String(line.prefix(138)) + "..." : line)\n"
                }
            } else {
                text += "\(key): \(value)\n"
            }
        }
        return text
    }

    /// A Namespace: name, labels, annotations, phase, then its resource quotas (used against hard, per
    /// resource) and limit ranges.
    public static func namespace(_ namespace: CoreV1.Namespace, quotas: [CoreV1.ResourceQuota], limitRanges: [CoreV1.LimitRange]) -> String {
        var text = "Name:\t\(namespace.metadata?.name ?? "")\n"
        text += multiline("Labels", namespace.metadata?.labels)
        text += annotations(namespace.metadata?.annotations)
        text += "Status:\t\(namespace.status?.phase ?? "")\n"
        if quotas.isEmpty {
            text += "\nNo resource quota.\n"
        } else {
            text += "\nResource Quotas\n"
            for quota in quotas.sorted(by: { ($0.metadata?.name ?? "") < ($1.metadata?.name ?? "") }) {
                text += "  Name:\t\(quota.metadata?.name ?? "")\n  Resource\tUsed\tHard\n  --------\t---\t---\n"
                let hard = quota.status?.hard ?? [:]
                let used = quota.status?.used ?? [:]
                for resource in hard.keys.sorted() {
                    text += "  \(resource)\t\(used[resource]?.description ?? "0")\t\(hard[resource]?.description ?? "")\n"
                }
            }
        }
        if limitRanges.isEmpty {
            text += "\nNo LimitRange resource.\n"
        } else {
            text += "\nResource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n"
                + " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n"
            for range in limitRanges {
                for item in range.spec?.limits ?? [] {
                    var resources = Set<String>()
                    for map in [item.min, item.max, item.defaultRequest, item.default, item.maxLimitRequestRatio] { resources.formUnion(map?.keys ?? [:].keys) }
                    for resource in resources.sorted() {
                        let cells = [item.min, item.max, item.defaultRequest, item.default, item.maxLimitRequestRatio].map { $0?[resource]?.description ?? "-" }
                        text += " \(item.type ?? "")\t\(resource)\t" + cells.joined(separator: "\t") + "\n"
                    }
                }
            }
        }
        return tabulate(text)
    }

    /// The Events section: `<none>`, or a table of type, reason, age (`9d`, `9d (x8 over 9d)`), source component
    /// (else the reporting controller) and message, in the order given (the clients sort them oldest first).
    static func describeEvents(_ events: [CoreV1.Event], options: Options = Options()) -> String {
        guard !events.isEmpty else { return "Events:\t<none>\n" }
        var text = "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n"
        for event in events {
            var age: String
            if let count = event.count, count > 1 {
                age = "\(options.age(event.lastTimestamp?.secondsSinceEpoch)) (x\(count) over \(options.age(event.firstTimestamp?.secondsSinceEpoch)))"
            } else {
                age = options.age(event.firstTimestamp?.secondsSinceEpoch ?? event.eventTime?.secondsSinceEpoch)
            }
            let component = event.source?.component ?? ""
            let source = component.isEmpty ? event.reportingComponent ?? "" : component
            let message = (event.message ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            text += "  \(event.type ?? "")\t\(event.reason ?? "")\t\(age)\t\(source)\t\(message)\n"
        }
        return text
    }

    /// Go's tabwriter as kubectl describe configures it (min width 0, padding 2): a column block is a run of
    /// consecutive lines that have a tab-terminated cell in that column; each such cell is padded to the block's
    /// widest plus two, and the next column's blocks are found inside it.
    static func tabulate(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n").map { $0.components(separatedBy: "\t") }
        if lines.last == [""] { lines.removeLast() }
        var widths: [[Int]] = Array(repeating: [], count: lines.count)
        func format(_ start: Int, _ end: Int, column: Int) {
            var line = start
            while line < end {
                guard column < lines[line].count - 1 else { line += 1; continue }
                let blockStart = line
                var width = 0
                while line < end, column < lines[line].count - 1 {
                    width = max(width, lines[line][column].unicodeScalars.count + 2)
                    line += 1
                }
                for index in blockStart..<line { widths[index].append(width) }
                format(blockStart, line, column: column + 1)
            }
        }
        format(0, lines.count, column: 0)
        var output = ""
        for (index, cells) in lines.enumerated() {
            for (column, cell) in cells.enumerated() {
                output += cell
                if column < cells.count - 1 {
                    output += String(repeating: " ", count: max(0, widths[index][column] - cell.unicodeScalars.count))
                }
            }
            output += "\n"
        }
        return output
    }
}

extension ResourceClient where Resource == CoreV1.ConfigMap {
    /// `kubectl describe configmap NAME`: the object and its events.
    public func describe(_ name: String) async throws -> String {
        let configMap = try await get(name)
        let events = try await client.events(in: namespace).events(for: configMap)
        return KubeDescribe.configMap(configMap, events: events)
    }
}

extension ResourceClient where Resource == CoreV1.Namespace {
    /// `kubectl describe namespace NAME`: the namespace, its resource quotas and limit ranges.
    public func describe(_ name: String) async throws -> String {
        let namespace = try await get(name)
        let quotas = try await client.resources(CoreV1.ResourceQuota.self, in: name).list().items
        let limitRanges = try await client.resources(CoreV1.LimitRange.self, in: name).list().items
        return KubeDescribe.namespace(namespace, quotas: quotas, limitRanges: limitRanges)
    }
}

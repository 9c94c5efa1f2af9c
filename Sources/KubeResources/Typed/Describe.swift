import Foundation
import KubeErrors

/// `kubectl describe` text, laid out as kubectl lays it out (its tabwriter: cells padded to the widest in
/// their block plus two spaces).
///
/// So far ConfigMaps and Namespaces; the other kinds of `kubectl describe` follow (issue 11).
public enum KubeDescribe {
    /// A ConfigMap: name, namespace, labels, annotations, each data key with its value, binary keys with their
    /// sizes, and the events (`nil`: not looked up, so no Events section).
    public static func configMap(_ configMap: CoreV1.ConfigMap, events: [CoreV1.Event]?) -> String {
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
        if let events { text += describeEvents(events) }
        return tabulate(text)
    }

    /// `Labels:\tk=v` then `\tk=v` per further key, sorted; `<none>` when empty. Annotations use `k: v`.
    static func multiline(_ title: String, _ values: [String: String]?, separator: String = "=") -> String {
        guard let values, !values.isEmpty else { return "\(title):\t<none>\n" }
        return values.sorted { $0.key < $1.key }.enumerated().map { index, entry in
            (index == 0 ? "\(title):" : "") + "\t\(entry.key)\(separator)\(entry.value)\n"
        }.joined()
    }

    /// Annotations as kubectl shows them (`key: value`), without kubectl's own last-applied configuration.
    static func annotations(_ values: [String: String]?) -> String {
        multiline("Annotations", values?.filter { $0.key != "kubectl.kubernetes.io/last-applied-configuration" }, separator: ": ")
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

    /// The Events section: `<none>`, or a table of type, reason, age, source and message.
    static func describeEvents(_ events: [CoreV1.Event], now: Date = Date()) -> String {
        guard !events.isEmpty else { return "Events:\t<none>\n" }
        var text = "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n"
        for event in events {
            let last = event.lastTimestamp.map { now.timeIntervalSince1970 - Double($0.secondsSinceEpoch) }
            let first = event.firstTimestamp.map { now.timeIntervalSince1970 - Double($0.secondsSinceEpoch) }
            var age = last.map { KubeAge.format($0) } ?? "<unknown>"
            if let count = event.count, count > 1, let first { age = "\(age) (x\(count) over \(KubeAge.format(first)))" }
            let source = [event.source?.component, event.source?.host].compactMap { $0 }.joined(separator: ", ")
            text += "  \(event.type ?? "")\t\(event.reason ?? "")\t\(age)\t\(source)\t\(event.message ?? "")\n"
        }
        return text
    }

    /// Go's tabwriter as kubectl describe configures it (min width 0, padding 2): consecutive lines with tabs
    /// form a block; each tab-terminated cell is padded to the block's widest in its column plus two.
    static func tabulate(_ text: String) -> String {
        var output: [String] = []
        var block: [[String]] = []
        func flush() {
            guard !block.isEmpty else { return }
            let columns = block.map { $0.count }.max() ?? 0
            var widths = [Int](repeating: 0, count: columns)
            for cells in block {
                for index in 0..<(cells.count - 1) { widths[index] = max(widths[index], cells[index].count + 2) }
            }
            for cells in block {
                output.append(cells.enumerated().map { index, cell in
                    index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined())
            }
            block = []
        }
        let lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() {
            if index == lines.count - 1 && line.isEmpty { break }
            if line.contains("\t") {
                block.append(line.components(separatedBy: "\t"))
            } else {
                flush()
                output.append(line)
            }
        }
        flush()
        return output.joined(separator: "\n") + "\n"
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

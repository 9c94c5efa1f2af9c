import Foundation
import KubeConfig
import KubeTransport

// Server-side printing: what kube-apiserver answers to `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`
// (`kubectl get`), for the kinds people list most, with the columns of kube-apiserver's own printers. Other
// kinds get the server's default table (Name, Created At).

extension FakeCluster {
    /// Whether the request asks for a Table (kubectl get, `ResourceClient.table`).
    static func wantsTable(_ request: KubeRequest) -> Bool {
        (request.headers["Accept"] ?? "").contains("as=Table")
    }

    /// A meta.k8s.io/v1 Table of `objects`.
    func table(_ objects: [JSONObject], type: ResourceType, resourceVersion: String?) -> JSONObject {
        let printer = Self.printer(for: type)
        let now = self.now()
        let timestamps = ISO8601DateFormatter()
        let rows: [JSONValue] = objects.map { object in
            let metadata = object["metadata"]?.objectValue ?? [:]
            let created = metadata["creationTimestamp"]?.stringValue.flatMap { timestamps.date(from: $0) }
            let age = created.map { HumanDuration.format(now.timeIntervalSince($0)) } ?? "<unknown>"
            var cells: [JSONValue] = [metadata["name"] ?? ""]
            cells += printer.cells(object, age).map { .string($0) }
            return .object(["cells": .array(cells),
                            "object": .object(["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata)])])
        }
        let columns: [JSONValue] = ([("Name", 0, "name")] + printer.columns.map { ($0.0, $0.1, "") }).map { name, priority, format in
            .object(["name": .string(name), "type": "string", "format": .string(format), "description": "", "priority": .integer(Int64(priority))])
        }
        var metadata: JSONObject = [:]
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata), "columnDefinitions": .array(columns), "rows": .array(rows)]
    }

    /// The columns after Name (title, priority: 1 = wide only) and how to fill them.
    struct Printer {
        var columns: [(String, Int)]
        var cells: (_ object: JSONObject, _ age: String) -> [String]
    }

    static func printer(for type: ResourceType) -> Printer {
        func strings(_ value: JSONValue?) -> [String] { (value?.arrayValue ?? []).compactMap(\.stringValue) }
        func none(_ text: String?) -> String { (text ?? "").isEmpty ? "<none>" : text! }
        func number(_ value: JSONValue?) -> Int64 { if case .integer(let number)? = value { number } else { 0 } }
        func selector(_ labels: JSONValue?) -> String {
            let pairs = (labels?.objectValue.map { Array($0) } ?? []).map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted()
            return pairs.isEmpty ? "<none>" : pairs.joined(separator: ",")
        }
        func containers(_ spec: JSONValue?) -> (names: String, images: String) {
            let list = spec?["containers"]?.arrayValue ?? []
            return (list.compactMap { $0["name"]?.stringValue }.joined(separator: ","), list.compactMap { $0["image"]?.stringValue }.joined(separator: ","))
        }
        switch (type.group, type.kind) {
        case ("", "Pod"):
            return Printer(columns: [("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1), ("Node", 1),
                                     ("Nominated Node", 1), ("Readiness Gates", 1)]) { pod, age in
                let statuses = pod["status"]?["containerStatuses"]?.arrayValue ?? []
                let total = pod["spec"]?["containers"]?.arrayValue?.count ?? 0
                let ready = statuses.filter { $0["ready"]?.boolValue == true }.count
                let restarts = statuses.map { number($0["restartCount"]) }.reduce(0, +)
                var reason = pod["status"]?["reason"]?.stringValue ?? pod["status"]?["phase"]?.stringValue ?? "Unknown"
                for status in statuses {
                    if let waiting = status["state"]?["waiting"]?["reason"]?.stringValue, !waiting.isEmpty { reason = waiting }
                    if let terminated = status["state"]?["terminated"]?["reason"]?.stringValue, !terminated.isEmpty { reason = terminated }
                }
                if pod["metadata"]?["deletionTimestamp"]?.stringValue != nil { reason = "Terminating" }
                return ["\(ready)/\(total)", reason, "\(restarts)", age, none(pod["status"]?["podIP"]?.stringValue),
                        none(pod["spec"]?["nodeName"]?.stringValue), none(pod["status"]?["nominatedNodeName"]?.stringValue), "<none>"]
            }
        case ("apps", "Deployment"):
            return Printer(columns: [("Ready", 0), ("Up-to-date", 0), ("Available", 0), ("Age", 0), ("Containers", 1), ("Images", 1), ("Selector", 1)]) { object, age in
                let status = object["status"]
                let (names, images) = containers(object["spec"]?["template"]?["spec"])
                return ["\(number(status?["readyReplicas"]))/\(object["spec"]?["replicas"].map { number($0) } ?? 1)",
                        "\(number(status?["updatedReplicas"]))", "\(number(status?["availableReplicas"]))", age, names, images,
                        selector(object["spec"]?["selector"]?["matchLabels"])]
            }
        case ("apps", "ReplicaSet"):
            return Printer(columns: [("Desired", 0), ("Current", 0), ("Ready", 0), ("Age", 0), ("Containers", 1), ("Images", 1), ("Selector", 1)]) { object, age in
                let (names, images) = containers(object["spec"]?["template"]?["spec"])
                return ["\(object["spec"]?["replicas"].map { number($0) } ?? 1)", "\(number(object["status"]?["replicas"]))",
                        "\(number(object["status"]?["readyReplicas"]))", age, names, images, selector(object["spec"]?["selector"]?["matchLabels"])]
            }
        case ("", "Service"):
            return Printer(columns: [("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0), ("Selector", 1)]) { object, age in
                let spec = object["spec"]
                let ports = (spec?["ports"]?.arrayValue ?? []).map { port in
                    let node = number(port["nodePort"])
                    return "\(number(port["port"]))\(node > 0 ? ":\(node)" : "")/\(port["protocol"]?.stringValue ?? "TCP")"
                }
                let ingress = (object["status"]?["loadBalancer"]?["ingress"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue }
                let external = strings(spec?["externalIPs"]) + ingress
                let type = spec?["type"]?.stringValue ?? "ClusterIP"
                return [type, none(spec?["clusterIP"]?.stringValue),
                        external.isEmpty ? (type == "LoadBalancer" ? "<pending>" : "<none>") : external.joined(separator: ","),
                        ports.isEmpty ? "<none>" : ports.joined(separator: ","), age, selector(spec?["selector"])]
            }
        case ("", "ConfigMap"), ("", "Secret"):
            return Printer(columns: type.kind == "Secret" ? [("Type", 0), ("Data", 0), ("Age", 0)] : [("Data", 0), ("Age", 0)]) { object, age in
                let count = (object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)
                return type.kind == "Secret" ? [object["type"]?.stringValue ?? "Opaque", "\(count)", age] : ["\(count)", age]
            }
        case ("", "Namespace"):
            return Printer(columns: [("Status", 0), ("Age", 0)]) { object, age in [object["status"]?["phase"]?.stringValue ?? "Active", age] }
        case ("", "Node"):
            return Printer(columns: [("Status", 0), ("Roles", 0), ("Age", 0), ("Version", 0), ("Internal-IP", 1), ("External-IP", 1),
                                     ("OS-Image", 1), ("Kernel-Version", 1), ("Container-Runtime", 1)]) { object, age in
                let conditions = object["status"]?["conditions"]?.arrayValue ?? []
                let ready = conditions.first { $0["type"]?.stringValue == "Ready" }?["status"]?.stringValue == "True"
                var status = ready ? "Ready" : "NotReady"
                if object["spec"]?["unschedulable"]?.boolValue == true { status += ",SchedulingDisabled" }
                let roles = (object["metadata"]?["labels"]?.objectValue.map { Array($0.keys) } ?? [])
                    .filter { $0.hasPrefix("node-role.kubernetes.io/") }.map { String($0.dropFirst("node-role.kubernetes.io/".count)) }.sorted()
                let addresses = object["status"]?["addresses"]?.arrayValue ?? []
                func address(_ kind: String) -> String { none(addresses.first { $0["type"]?.stringValue == kind }?["address"]?.stringValue) }
                let info = object["status"]?["nodeInfo"]
                return [status, roles.isEmpty ? "<none>" : roles.joined(separator: ","), age, info?["kubeletVersion"]?.stringValue ?? "",
                        address("InternalIP"), address("ExternalIP"), info?["osImage"]?.stringValue ?? "", info?["kernelVersion"]?.stringValue ?? "",
                        info?["containerRuntimeVersion"]?.stringValue ?? ""]
            }
        default:
            return Printer(columns: [("Age", 0)]) { _, age in [age] }
        }
    }
}

import Foundation
import KubeConfig
import KubeErrors

// Services, Nodes and the generic layout, as kubectl 1.32's ServiceDescriber, NodeDescriber and
// genericDescriber.

extension KubeDescribe {
    /// A Service: identity, selector, type, IPs, each port with its target and ready endpoints (from the
    /// service's EndpointSlices; three shown, then `+ N more...`), session affinity, traffic policies and the
    /// events (`nil`: not looked up).
    public static func service(_ service: CoreV1.Service, endpointSlices: [DynamicObject], events: [CoreV1.Event]?,
                               options: Options = Options()) -> String {
        let metadata = service.metadata
        let spec = service.spec
        var text = "Name:\t\(metadata?.name ?? "")\n"
        text += "Namespace:\t\(metadata?.namespace ?? "")\n"
        text += multiline("Labels", metadata?.labels)
        text += annotations(metadata?.annotations)
        let selector = (spec?.selector ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        text += "Selector:\t\(selector.isEmpty ? "<none>" : selector)\n"
        text += "Type:\t\(spec?.type ?? "")\n"
        if let policy = spec?.ipFamilyPolicy { text += "IP Family Policy:\t\(policy)\n" }
        if let families = spec?.ipFamilies, !families.isEmpty { text += "IP Families:\t\(families.joined(separator: ","))\n" }
        if let ips = spec?.clusterIPs, !ips.isEmpty {
            text += "IP:\t\(ips[0])\nIPs:\t\(ips.joined(separator: ","))\n"
        } else {
            text += "IP:\t\(spec?.clusterIP ?? "")\n"
        }
        if let external = spec?.externalIPs, !external.isEmpty { text += "External IPs:\t\(external.joined(separator: ","))\n" }
        if let ip = spec?.loadBalancerIP, !ip.isEmpty { text += "IP:\t\(ip)\n" }
        if let name = spec?.externalName, !name.isEmpty { text += "External Name:\t\(name)\n" }
        let ingress = (service.status?.loadBalancer?.ingress ?? []).compactMap { $0.ip ?? $0.hostname }
        if !ingress.isEmpty { text += "LoadBalancer Ingress:\t\(ingress.joined(separator: ", "))\n" }
        for port in spec?.ports ?? [] {
            let name = (port.name ?? "").isEmpty ? "<unset>" : port.name ?? ""
            let proto = port.protocol ?? "TCP"
            text += "Port:\t\(name)\t\(port.port ?? 0)/\(proto)\n"
            text += "TargetPort:\t\((port.targetPort ?? .int(Int(port.port ?? 0))).description)/\(proto)\n"
            if let nodePort = port.nodePort, nodePort != 0 { text += "NodePort:\t\(name)\t\(nodePort)/\(proto)\n" }
            text += "Endpoints:\t\(endpoints(endpointSlices, portName: port.name ?? ""))\n"
        }
        if let affinity = spec?.sessionAffinity, !affinity.isEmpty { text += "Session Affinity:\t\(affinity)\n" }
        if let policy = spec?.externalTrafficPolicy, !policy.isEmpty { text += "External Traffic Policy:\t\(policy)\n" }
        if let port = spec?.healthCheckNodePort, port != 0 { text += "HealthCheck NodePort:\t\(port)\n" }
        if let ranges = spec?.loadBalancerSourceRanges, !ranges.isEmpty { text += "LoadBalancer Source Ranges:\t\(ranges.joined(separator: ","))\n" }
        if let policy = spec?.internalTrafficPolicy { text += "Internal Traffic Policy:\t\(policy)\n" }
        if let events { text += describeEvents(events, options: options) }
        return tabulate(text)
    }

    /// The ready endpoints of one service port (`ip:port`, comma-separated, three at most then `+ N more...`).
    static func endpoints(_ slices: [DynamicObject], portName: String) -> String {
        guard !slices.isEmpty else { return "<none>" }
        var shown: [String] = []
        var count = 0
        for slice in slices {
            let ports = slice["ports"]?.arrayValue ?? []
            for endpoint in slice["endpoints"]?.arrayValue ?? [] {
                guard let address = endpoint["addresses"]?.arrayValue?.first?.stringValue,
                      endpoint["conditions"]?["ready"]?.boolValue != false else { continue }
                let host = address.contains(":") ? "[\(address)]" : address
                if ports.isEmpty {
                    count += 1
                    if shown.count < 3 { shown.append(address) }
                }
                for port in ports where (port["name"]?.stringValue ?? "") == portName {
                    count += 1
                    if shown.count < 3, case .integer(let number)? = port["port"] { shown.append("\(host):\(number)") }
                }
            }
        }
        if shown.isEmpty { return "" }
        return shown.joined(separator: ",") + (count > shown.count ? " + \(count - shown.count) more..." : "")
    }

    /// A Node: roles, labels, taints, its lease, conditions, addresses, capacity, system info, the pods on it
    /// with their share of the allocatable CPU and memory, the totals, and the events (`nil`: not looked up).
    /// `lease` is the node's Lease in `kube-node-lease` (`nil`: none found).
    public static func node(_ node: CoreV1.Node, pods: [CoreV1.Pod], lease: DynamicObject?, events: [CoreV1.Event]?,
                            options: Options = Options()) -> String {
        let metadata = node.metadata
        let status = node.status
        var text = "Name:\t\(metadata?.name ?? "")\n"
        var roles = Set<String>()
        for (key, value) in metadata?.labels ?? [:] {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", !value.isEmpty {
                roles.insert(value)
            }
        }
        text += "Roles:\t\(roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ","))\n"
        text += multiline("Labels", metadata?.labels)
        text += annotations(metadata?.annotations)
        text += "CreationTimestamp:\t\(options.format(metadata?.creationTimestamp))\n"
        let taints = (node.spec?.taints ?? []).map { taint in
            (taint.key ?? "") + ((taint.value ?? "").isEmpty ? "" : "=\(taint.value ?? "")") + ":\(taint.effect ?? "")"
        }
        text += taints.isEmpty ? "Taints:\t<none>\n" : "Taints:" + taints.map { "\t\($0)\n" }.joined()
        text += "Unschedulable:\t\(node.spec?.unschedulable ?? false)\n"
        if let lease {
            func time(_ field: String) -> String {
                guard let value = lease["spec"]?[field]?.stringValue, let parsed = Time(rfc3339: value) else { return "<unset>" }
                return options.format(parsed)
            }
            let holder = lease["spec"]?["holderIdentity"]?.stringValue ?? "<unset>"
            text += "Lease:\n  HolderIdentity:\t\(holder)\n  AcquireTime:\t\(time("acquireTime"))\n  RenewTime:\t\(time("renewTime"))\n"
        }
        if let conditions = status?.conditions, !conditions.isEmpty {
            text += "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n"
                + "  ----\t------\t-----------------\t------------------\t------\t-------\n"
            for condition in conditions {
                text += "  \(condition.type ?? "") \t\(condition.status ?? "") \t\(options.format(condition.lastHeartbeatTime)) \t"
                    + "\(options.format(condition.lastTransitionTime)) \t\(condition.reason ?? "") \t\(condition.message ?? "")\n"
            }
        }
        if let addresses = status?.addresses, !addresses.isEmpty {
            text += "Addresses:\n" + addresses.map { "  \($0.type ?? ""):\t\($0.address ?? "")\n" }.joined()
        }
        for (title, list) in [("Capacity", status?.capacity), ("Allocatable", status?.allocatable)] {
            guard let list, !list.isEmpty else { continue }
            text += "\(title):\n" + list.keys.sorted().map { "  \($0):\t\(list[$0]?.description ?? "")\n" }.joined()
        }
        let info = status?.nodeInfo
        text += "System Info:\n"
        for (title, value) in [("Machine ID", info?.machineID), ("System UUID", info?.systemUUID), ("Boot ID", info?.bootID),
                               ("Kernel Version", info?.kernelVersion), ("OS Image", info?.osImage),
                               ("Operating System", info?.operatingSystem), ("Architecture", info?.architecture),
                               ("Container Runtime Version", info?.containerRuntimeVersion),
                               ("Kubelet Version", info?.kubeletVersion), ("Kube-Proxy Version", info?.kubeProxyVersion)] {
            text += "  \(title):\t\(value ?? "")\n"
        }
        if let cidr = node.spec?.podCIDR, !cidr.isEmpty { text += "PodCIDR:\t\(cidr)\n" }
        if let cidrs = node.spec?.podCIDRs, !cidrs.isEmpty { text += "PodCIDRs:\t\(cidrs.joined(separator: ","))\n" }
        if let provider = node.spec?.providerID, !provider.isEmpty { text += "ProviderID:\t\(provider)\n" }
        text += nodeResources(pods, allocatable: (status?.allocatable?.isEmpty == false ? status?.allocatable : status?.capacity) ?? [:], options: options)
        if let events { text += describeEvents(events, options: options) }
        return tabulate(text)
    }

    /// The pods table and "Allocated resources" of a node description.
    static func nodeResources(_ pods: [CoreV1.Pod], allocatable: [String: Quantity], options: Options) -> String {
        let cpu = allocatable["cpu"]?.milliValue ?? 0
        let memory = (allocatable["memory"]?.milliValue ?? 0) / 1000
        func percent(_ value: Int64, of total: Int64) -> Int64 { total == 0 ? 0 : Int64(Double(value) / Double(total) * 100) }
        var text = "Non-terminated Pods:\t(\(pods.count) in total)\n"
        text += "  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n"
        text += "  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n"
        var requests: [String: ResourceSum] = [:]
        var limits: [String: ResourceSum] = [:]
        for pod in pods {
            let (podRequests, podLimits) = requestsAndLimits(pod)
            for (name, sum) in podRequests { requests[name, default: ResourceSum()].add(sum) }
            for (name, sum) in podLimits { limits[name, default: ResourceSum()].add(sum) }
            let cells = [(podRequests["cpu"], cpu, true), (podLimits["cpu"], cpu, true), (podRequests["memory"], memory, false), (podLimits["memory"], memory, false)]
                .map { sum, total, milli in
                    let sum = sum ?? ResourceSum()
                    return "\(sum.description) (\(percent(milli ? sum.milli : sum.milli / 1000, of: total))%)"
                }
            text += "  \(pod.metadata?.namespace ?? "")\t\(pod.metadata?.name ?? "")\t\t" + cells.joined(separator: "\t")
                + "\t\(options.age(pod.metadata?.creationTimestamp?.secondsSinceEpoch))\n"
        }
        text += "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
        text += "  Resource\tRequests\tLimits\n  --------\t--------\t------\n"
        for (name, total, milli) in [("cpu", cpu, true), ("memory", memory, false),
                                     ("ephemeral-storage", (allocatable["ephemeral-storage"]?.milliValue ?? 0) / 1000, false)] {
            let request = requests[name] ?? ResourceSum()
            let limit = limits[name] ?? ResourceSum()
            text += "  \(name)\t\(request.description) (\(percent(milli ? request.milli : request.milli / 1000, of: total))%)\t"
                + "\(limit.description) (\(percent(milli ? limit.milli : limit.milli / 1000, of: total))%)\n"
        }
        for name in allocatable.keys.sorted() where name.hasPrefix("hugepages-") || (name.contains("/") && !name.hasPrefix("kubernetes.io/")) {
            let request = requests[name] ?? ResourceSum()
            let limit = limits[name] ?? ResourceSum()
            if name.hasPrefix("hugepages-") {
                let total = (allocatable[name]?.milliValue ?? 0) / 1000
                text += "  \(name)\t\(request.description) (\(percent(request.milli / 1000, of: total))%)\t\(limit.description) (\(percent(limit.milli / 1000, of: total))%)\n"
            } else {
                text += "  \(name)\t\(request.description)\t\(limit.description)\n"
            }
        }
        return text
    }

    /// A pod's requests and limits per resource: its containers' sums, at least each init container's (they
    /// run one at a time), plus the pod overhead, as kubectl's PodRequestsAndLimits.
    static func requestsAndLimits(_ pod: CoreV1.Pod) -> (requests: [String: ResourceSum], limits: [String: ResourceSum]) {
        var requests: [String: ResourceSum] = [:]
        var limits: [String: ResourceSum] = [:]
        for container in pod.spec?.containers ?? [] {
            for (name, quantity) in container.resources?.requests ?? [:] { requests[name, default: ResourceSum()].add(quantity) }
            for (name, quantity) in container.resources?.limits ?? [:] { limits[name, default: ResourceSum()].add(quantity) }
        }
        for container in pod.spec?.initContainers ?? [] {
            for (name, quantity) in container.resources?.requests ?? [:] where (quantity.milliValue ?? 0) > (requests[name]?.milli ?? 0) {
                requests[name] = ResourceSum(quantity)
            }
            for (name, quantity) in container.resources?.limits ?? [:] where (quantity.milliValue ?? 0) > (limits[name]?.milli ?? 0) {
                limits[name] = ResourceSum(quantity)
            }
        }
        for (name, quantity) in pod.spec?.overhead ?? [:] {
            requests[name, default: ResourceSum()].add(quantity)
            if limits[name] != nil { limits[name]?.add(quantity) }
        }
        return (requests, limits)
    }

    /// A sum of quantities, written as Go's resource.Quantity writes its canonical form (`300m`, `192Mi`, `0`).
    struct ResourceSum: CustomStringConvertible {
        var milli: Int64 = 0
        var binary = false

        init() {}

        init(_ quantity: Quantity) { add(quantity) }

        mutating func add(_ quantity: Quantity) {
            milli += quantity.milliValue ?? 0
            if quantity.string.hasSuffix("i") { binary = true }
        }

        mutating func add(_ other: ResourceSum) {
            milli += other.milli
            binary = binary || other.binary
        }

        var description: String {
            guard milli != 0 else { return "0" }
            guard milli % 1000 == 0 else { return "\(milli)m" }
            let value = milli / 1000
            let suffixes: [(String, Int64)] = binary
                ? [("Ei", 1 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)]
                : [("E", 1_000_000_000_000_000_000), ("P", 1_000_000_000_000_000), ("T", 1_000_000_000_000), ("G", 1_000_000_000), ("M", 1_000_000), ("k", 1000)]
            for (suffix, factor) in suffixes where value % factor == 0 { return "\(value / factor)\(suffix)" }
            return "\(value)"
        }
    }

    /// Any object the way kubectl describes kinds it has no describer for (Events, custom resources): name,
    /// namespace, labels, annotations, then every other field (metadata's managed fields left out), keys
    /// sorted, as `Title Case` labels, and the events (`nil`: not looked up).
    public static func generic(_ object: JSONValue, events: [CoreV1.Event]?, options: Options = Options()) -> String {
        let metadata = object["metadata"]
        func strings(_ value: JSONValue?) -> [String: String]? {
            guard let members = value?.objectValue else { return nil }
            var result: [String: String] = [:]
            for (key, value) in members { result[key] = value.stringValue ?? "\(value)" }
            return result
        }
        var text = "Name:\t\(metadata?["name"]?.stringValue ?? "")\n"
        text += "Namespace:\t\(metadata?["namespace"]?.stringValue ?? "")\n"
        text += multiline("Labels", strings(metadata?["labels"]))
        text += annotations(strings(metadata?["annotations"]))
        let skipped: Set<String> = [".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels", ".metadata.annotations"]
        text += unstructured(object.objectValue ?? JSONObject(), level: 0, path: "", skipped: skipped)
        if let events { text += describeEvents(events, options: options) }
        return tabulate(text)
    }

    /// kubectl's printUnstructuredContent: objects as nested sections, arrays item by item, scalars as
    /// `Label:\tvalue`.
    static func unstructured(_ object: JSONObject, level: Int, path: String, skipped: Set<String>) -> String {
        var text = ""
        let indent = String(repeating: "  ", count: level)
        for key in object.keys.sorted() {
            let fieldPath = "\(path).\(key)"
            guard !skipped.contains(fieldPath), let value = object[key] else { continue }
            switch value {
            case .object(let members):
                text += "\(indent)\(smartLabel(key)):\n" + unstructured(members, level: level + 1, path: fieldPath, skipped: skipped)
            case .array(let items):
                text += "\(indent)\(smartLabel(key)):\n"
                for item in items {
                    if case .object(let members) = item {
                        text += unstructured(members, level: level + 1, path: fieldPath, skipped: skipped)
                    } else {
                        text += "\(indent)  \(scalar(item))\n"
                    }
                }
            default:
                text += "\(indent)\(smartLabel(key)):\t\(scalar(value))\n"
            }
        }
        return text
    }

    /// A scalar as Go's `%v` prints it.
    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: "<nil>"
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): "\(number)"
        case .unsignedInteger(let number): "\(number)"
        case .double(let number): number == number.rounded() && abs(number) < 1e21 ? "\(Int64(number))" : "\(number)"
        case .string(let text): text
        case .array, .object: "\(value)"
        }
    }

    /// `creationTimestamp` → `Creation Timestamp`, `apiVersion` → `API Version`, `uid` → `UID`; a key with
    /// characters other than letters and `-` as it is.
    static func smartLabel(_ key: String) -> String {
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0 == "-" }) else { return key }
        var parts: [String] = []
        var current = ""
        var previousUpper = false
        let characters = Array(key)
        for (index, character) in characters.enumerated() {
            let upper = character.isUppercase
            let nextLower = index + 1 < characters.count && characters[index + 1].isLowercase
            if !current.isEmpty, upper, !previousUpper || nextLower {
                parts.append(current)
                current = ""
            }
            current.append(character)
            previousUpper = upper
        }
        if !current.isEmpty { parts.append(current) }
        let acronyms: Set<String> = ["API", "URL", "UID", "OSB", "GUID"]
        return parts.map { part in
            acronyms.contains(part.uppercased()) ? part.uppercased() : part.prefix(1).uppercased() + part.dropFirst()
        }.joined(separator: " ")
    }
}

extension ResourceClient where Resource == CoreV1.Service {
    /// `kubectl describe service NAME`: the service, its EndpointSlices and its events.
    public func describe(_ name: String, options: KubeDescribe.Options = KubeDescribe.Options()) async throws -> String {
        let service = try await get(name)
        let slices = client.dynamic(APIResourceInfo(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice",
                                                    plural: "endpointslices", isNamespaced: true), in: namespace)
        let endpointSlices = try await slices.list(ListOptions(labelSelector: .equals("kubernetes.io/service-name", name))).items
        let events = try await client.events(in: namespace).events(for: service)
        return KubeDescribe.service(service, endpointSlices: endpointSlices, events: events, options: options)
    }
}

extension ResourceClient where Resource == CoreV1.Node {
    /// `kubectl describe node NAME`: the node, its lease, the pods on it that have not finished, and its events.
    public func describe(_ name: String, options: KubeDescribe.Options = KubeDescribe.Options()) async throws -> String {
        let node = try await get(name)
        let pods = try await client.resourcesInAllNamespaces(CoreV1.Pod.self).list(ListOptions(
            fieldSelector: FieldSelector.equals("spec.nodeName", name).notEquals("status.phase", "Succeeded").notEquals("status.phase", "Failed"))).items
        let leases = client.dynamic(APIResourceInfo(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", isNamespaced: true),
                                    in: "kube-node-lease")
        let lease: DynamicObject?
        do {
            lease = try await leases.get(name)
        } catch let error as KubeError where error.isNotFound {
            lease = nil
        }
        var selector = FieldSelector.equals("involvedObject.kind", "Node").equals("involvedObject.name", name)
        if let uid = node.metadata?.uid { selector = selector.equals("involvedObject.uid", uid) }
        let eventClient = client.resourcesInAllNamespaces(CoreV1.Event.self)
        let events = eventClient.sorted(try await eventClient.list(ListOptions(fieldSelector: selector)).items)
        return KubeDescribe.node(node, pods: pods, lease: lease, events: events, options: options)
    }
}

extension ResourceClient where Resource == DynamicObject {
    /// `kubectl describe` for any kind through the generic layout (custom resources, kinds without a
    /// describer of their own), with the object's events.
    public func describe(_ name: String, options: KubeDescribe.Options = KubeDescribe.Options()) async throws -> String {
        let object = try await get(name)
        let eventClient = object.namespace.map { client.events(in: $0) } ?? client.resourcesInAllNamespaces(CoreV1.Event.self)
        let events = try await eventClient.events(forKind: object.kind, name: name, uid: object.metadata?.uid)
        return KubeDescribe.generic(object.json, events: events, options: options)
    }
}

extension ResourceClient where Resource == CoreV1.Event {
    /// `kubectl describe event NAME`: the generic layout of one event, from the server's JSON as it is (so
    /// `null` fields show as kubectl shows them).
    public func describe(_ name: String, options: KubeDescribe.Options = KubeDescribe.Options()) async throws -> String {
        let events = client.dynamic(APIResourceInfo(group: "", version: "v1", kind: "Event", plural: "events", isNamespaced: true), in: namespace)
        return try await events.describe(name, options: options)
    }
}

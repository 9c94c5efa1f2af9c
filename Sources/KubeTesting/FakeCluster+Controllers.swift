import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

extension FakeCluster {
    /// Controllers a test can switch on (``enableControllers(_:)``).
    public struct Controllers: OptionSet, Sendable {
        /// The bits.
        public let rawValue: Int
        /// Creates a set.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Deployment → ReplicaSet (with revisions, pod-template-hash, scaling old sets down) → Pods, and the
        /// statuses and events the real controllers write.
        public static let deployments = Controllers(rawValue: 1)
        /// A kubelet that binds pods to a node and marks them Running and Ready at once.
        public static let kubelet = Controllers(rawValue: 2)
        /// An EndpointSlice per Service with a selector, listing the matching pods' addresses (ready or not) and
        /// the service's ports resolved against the pods' named container ports.
        public static let endpoints = Controllers(rawValue: 4)
        /// All of them.
        public static let all: Controllers = [.deployments, .kubelet, .endpoints]
    }

    /// Switches controllers on. They run after every change, synchronously, until nothing changes — so when a
    /// call returns, the cluster has settled (a rollout is complete as soon as the kubelet marks pods Ready).
    public func enableControllers(_ controllers: Controllers) {
        state.withLock { $0.controllers.formUnion(controllers) }
        settle()
    }

    /// Runs the enabled controllers until nothing changes (at most 20 passes).
    func settle() {
        let controllers = state.withLock { $0.controllers }
        guard !controllers.isEmpty else { return }
        settling.withLock { _ in
            for _ in 0..<20 {
                var changed = false
                if controllers.contains(.deployments) {
                    changed = reconcileDeployments() || changed
                    changed = reconcileReplicaSets() || changed
                }
                if controllers.contains(.kubelet) { changed = runKubelet() || changed }
                if controllers.contains(.endpoints) { changed = reconcileEndpoints() || changed }
                if !changed { break }
            }
        }
    }

    private static let deploymentType = ResourceType.builtIn.first { $0.kind == "Deployment" }!
    private static let replicaSetType = ResourceType.builtIn.first { $0.kind == "ReplicaSet" }!
    private static let podType = ResourceType.builtIn.first { $0.kind == "Pod" }!
    private static let eventType = ResourceType.builtIn.first { $0.kind == "Event" && $0.group.isEmpty }!
    private static let serviceType = ResourceType.builtIn.first { $0.kind == "Service" }!
    private static let sliceType = ResourceType.builtIn.first { $0.kind == "EndpointSlice" }!

    /// The endpoint slice controller, simplified: one slice per service, named after it.
    private func reconcileEndpoints() -> Bool {
        var changed = false
        let pods = objects(Self.podType)
        for service in objects(Self.serviceType) {
            guard let selector = service["spec"]?["selector"]?.objectValue, !selector.isEmpty,
                  let name = service["metadata"]?["name"]?.stringValue, let namespace = service["metadata"]?["namespace"]?.stringValue else { continue }
            let matching = pods.filter { pod in
                pod["metadata"]?["namespace"]?.stringValue == namespace && pod["metadata"]?["deletionTimestamp"] == nil
                    && pod["status"]?["podIP"]?.stringValue != nil
                    && selector.allSatisfy { pod["metadata"]?["labels"]?[$0.key] == $0.value }
            }
            let endpoints: [JSONValue] = matching.map { pod in
                let ready = Self.isReady(pod)
                return .object(["addresses": .array([pod["status"]?["podIP"] ?? .null]),
                                "conditions": .object(["ready": .bool(ready), "serving": .bool(ready), "terminating": false]),
                                "nodeName": pod["spec"]?["nodeName"] ?? .null,
                                "targetRef": .object(["kind": "Pod", "namespace": .string(namespace), "name": pod["metadata"]?["name"] ?? .null,
                                                      "uid": pod["metadata"]?["uid"] ?? .null])])
            }
            let containerPorts = matching.first?["spec"]?["containers"]?.arrayValue?.flatMap { $0["ports"]?.arrayValue ?? [] } ?? []
            let ports: [JSONValue] = (service["spec"]?["ports"]?.arrayValue ?? []).map { port in
                var target = port["targetPort"] ?? port["port"] ?? .null
                if case .string(let portName)? = port["targetPort"] {
                    target = containerPorts.first { $0["name"]?.stringValue == portName }?["containerPort"] ?? .null
                }
                return .object(["name": port["name"] ?? "", "port": target, "protocol": port["protocol"] ?? "TCP"])
            }
            let slice: JSONObject = [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                // Owned by the service, so the garbage collector removes it with the service.
                "metadata": .object(["name": .string(name), "namespace": .string(namespace),
                                     "labels": .object(["kubernetes.io/service-name": .string(name),
                                                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"]),
                                     "ownerReferences": .array([.object(["apiVersion": "v1", "kind": "Service", "name": .string(name),
                                                                         "uid": service["metadata"]?["uid"] ?? .null,
                                                                         "controller": true, "blockOwnerDeletion": true])])]),
                "addressType": "IPv4", "endpoints": .array(endpoints), "ports": .array(ports),
            ]
            if let current = state.withLock({ $0.objects[key(Self.sliceType, namespace, name)] }) {
                var next = current
                next["endpoints"] = slice["endpoints"]
                next["ports"] = slice["ports"]
                if update(next, from: current, type: Self.sliceType) { changed = true }
            } else if (try? store(slice, type: Self.sliceType, namespace: namespace, dryRun: false)) != nil {
                changed = true
            }
        }
        return changed
    }

    private func objects(_ type: ResourceType) -> [JSONObject] {
        state.withLock { state in
            state.objects.filter { $0.key.type == "\(type.group)/\(type.plural)" }
                .sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }.map(\.value)
        }
    }

    private static func owned(_ object: JSONObject, by uid: String) -> Bool {
        (object["metadata"]?["ownerReferences"]?.arrayValue ?? []).contains { $0["uid"]?.stringValue == uid }
    }

    private static func int(_ value: JSONValue?, default fallback: Int64 = 0) -> Int64 {
        if case .integer(let number)? = value { return number }
        return fallback
    }

    /// Writes `object` back if it differs from `original`; `true` when it did.
    private func update(_ object: JSONObject, from original: JSONObject, type: ResourceType) -> Bool {
        guard object != original, let metadata = original["metadata"]?.objectValue,
              let name = metadata["name"]?.stringValue else { return false }
        return (try? replace(object, type: type, namespace: metadata["namespace"]?.stringValue ?? "", name: name, dryRun: false)) != nil
    }

    private func event(_ reason: String, _ message: String, about object: JSONObject, kind: String, apiVersion: String, component: String) {
        let metadata = object["metadata"]?.objectValue ?? [:]
        let namespace = metadata["namespace"]?.stringValue ?? "default"
        let time = JSONValue.string(Self.timestamp(now()))
        let object = metadata["name"]?.stringValue ?? "object"
        let name = object + "." + String(generatedHash(for: object) >> 4, radix: 16)
        let event: JSONObject = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": .object(["name": .string(name), "namespace": .string(namespace)]),
            "involvedObject": .object(["apiVersion": .string(apiVersion), "kind": .string(kind), "name": metadata["name"] ?? .null,
                                       "namespace": .string(namespace), "uid": metadata["uid"] ?? .null]),
            "reason": .string(reason), "message": .string(message), "type": "Normal",
            "source": .object(["component": .string(component)]), "firstTimestamp": time, "lastTimestamp": time, "count": .integer(1),
        ]
        _ = try? store(event, type: Self.eventType, namespace: namespace, dryRun: false)
    }

    // MARK: Deployments

    private func reconcileDeployments() -> Bool {
        var changed = false
        for deployment in objects(Self.deploymentType) {
            let metadata = deployment["metadata"]?.objectValue ?? [:]
            guard metadata["deletionTimestamp"] == nil, let name = metadata["name"]?.stringValue,
                  let namespace = metadata["namespace"]?.stringValue, let uid = metadata["uid"]?.stringValue else { continue }
            let spec = deployment["spec"]?.objectValue ?? [:]
            let desired = Self.int(spec["replicas"], default: 1)
            let template = spec["template"] ?? .object([:])
            let hash = Self.templateHash(template)
            var sets = objects(Self.replicaSetType).filter { $0["metadata"]?["namespace"]?.stringValue == namespace && Self.owned($0, by: uid) }
            let revisions = sets.map { Int64($0["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"]?.stringValue ?? "") ?? 0 }
            let maxRevision = revisions.max() ?? 0
            let paused = spec["paused"]?.boolValue == true
            var current = sets.first { $0["metadata"]?["labels"]?["pod-template-hash"]?.stringValue == hash }
            if !paused {
                if current == nil {
                    // A new template: a new ReplicaSet with the next revision.
                    var labels = template["metadata"]?["labels"]?.objectValue ?? [:]
                    labels["pod-template-hash"] = .string(hash)
                    var podTemplate = template.objectValue ?? [:]
                    var podMetadata = podTemplate["metadata"]?.objectValue ?? [:]
                    podMetadata["labels"] = .object(labels)
                    podTemplate["metadata"] = .object(podMetadata)
                    var selector = spec["selector"]?.objectValue ?? [:]
                    var matchLabels = selector["matchLabels"]?.objectValue ?? [:]
                    matchLabels["pod-template-hash"] = .string(hash)
                    selector["matchLabels"] = .object(matchLabels)
                    var annotations = metadata["annotations"]?.objectValue ?? [:]
                    annotations["deployment.kubernetes.io/revision"] = .string(String(maxRevision + 1))
                    annotations["deployment.kubernetes.io/desired-replicas"] = .string(String(desired))
                    let replicaSet: JSONObject = [
                        "apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "metadata": .object(["name": .string("\(name)-\(hash)"), "namespace": .string(namespace), "labels": .object(labels),
                                             "annotations": .object(annotations),
                                             "ownerReferences": .array([.object(["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name),
                                                                                 "uid": .string(uid), "controller": true, "blockOwnerDeletion": true])])]),
                        "spec": .object(["replicas": .integer(desired), "selector": .object(selector), "template": .object(podTemplate)]),
                    ]
                    if let created = try? store(replicaSet, type: Self.replicaSetType, namespace: namespace, dryRun: false) {
                        event("ScalingReplicaSet", "Scaled up replica set \(name)-\(hash) from 0 to \(desired)", about: deployment,
                              kind: "Deployment", apiVersion: "apps/v1", component: "deployment-controller")
                        current = created
                        sets.append(created)
                        changed = true
                    }
                } else if var replicaSet = current {
                    let original = replicaSet
                    var rsMetadata = replicaSet["metadata"]?.objectValue ?? [:]
                    var annotations = rsMetadata["annotations"]?.objectValue ?? [:]
                    let revision = Int64(annotations["deployment.kubernetes.io/revision"]?.stringValue ?? "") ?? 0
                    // A rollback to an older template reuses its ReplicaSet under the next revision.
                    if revision < maxRevision { annotations["deployment.kubernetes.io/revision"] = .string(String(maxRevision + 1)) }
                    rsMetadata["annotations"] = .object(annotations)
                    replicaSet["metadata"] = .object(rsMetadata)
                    var rsSpec = replicaSet["spec"]?.objectValue ?? [:]
                    let before = Self.int(rsSpec["replicas"])
                    rsSpec["replicas"] = .integer(desired)
                    replicaSet["spec"] = .object(rsSpec)
                    if update(replicaSet, from: original, type: Self.replicaSetType) {
                        if before != desired {
                            event("ScalingReplicaSet", "Scaled \(before < desired ? "up" : "down") replica set \(rsMetadata["name"]?.stringValue ?? "") from \(before) to \(desired)",
                                  about: deployment, kind: "Deployment", apiVersion: "apps/v1", component: "deployment-controller")
                        }
                        changed = true
                    }
                }
                // Old ReplicaSets go to zero.
                for old in sets where old["metadata"]?["uid"] != current?["metadata"]?["uid"] && Self.int(old["spec"]?["replicas"]) > 0 {
                    var scaled = old
                    var oldSpec = scaled["spec"]?.objectValue ?? [:]
                    let before = Self.int(oldSpec["replicas"])
                    oldSpec["replicas"] = .integer(0)
                    scaled["spec"] = .object(oldSpec)
                    if update(scaled, from: old, type: Self.replicaSetType) {
                        event("ScalingReplicaSet", "Scaled down replica set \(old["metadata"]?["name"]?.stringValue ?? "") from \(before) to 0",
                              about: deployment, kind: "Deployment", apiVersion: "apps/v1", component: "deployment-controller")
                        changed = true
                    }
                }
            }
            // Status and the revision annotation, from the ReplicaSets as they are now.
            let fresh = objects(Self.replicaSetType).filter { $0["metadata"]?["namespace"]?.stringValue == namespace && Self.owned($0, by: uid) }
            let newest = fresh.first { $0["metadata"]?["labels"]?["pod-template-hash"]?.stringValue == hash }
            let sum = { (field: String) in fresh.reduce(Int64(0)) { $0 + Self.int($1["status"]?[field]) } }
            let updated = newest.map { Self.int($0["status"]?["replicas"]) } ?? 0
            let available = sum("availableReplicas")
            let complete = updated == desired && sum("replicas") == desired && available == desired
            guard let latest = try? object(Self.deploymentType, namespace: namespace, name: name) else { continue }
            var next = latest
            var nextMetadata = next["metadata"]?.objectValue ?? [:]
            if let revision = newest?["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] {
                var annotations = nextMetadata["annotations"]?.objectValue ?? [:]
                annotations["deployment.kubernetes.io/revision"] = revision
                nextMetadata["annotations"] = .object(annotations)
            }
            next["metadata"] = .object(nextMetadata)
            let time = JSONValue.string(Self.timestamp(now()))
            let previous = latest["status"]?["conditions"]?.arrayValue ?? []
            func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) -> JSONValue {
                let same = previous.first { $0["type"]?.stringValue == type && $0["status"]?.stringValue == (status ? "True" : "False") && $0["reason"]?.stringValue == reason }
                return .object(["type": .string(type), "status": .string(status ? "True" : "False"),
                                "lastUpdateTime": same?["lastUpdateTime"] ?? time, "lastTransitionTime": same?["lastTransitionTime"] ?? time,
                                "reason": .string(reason), "message": .string(message)])
            }
            let newName = newest?["metadata"]?["name"]?.stringValue ?? name
            next["status"] = .object([
                "observedGeneration": nextMetadata["generation"] ?? .integer(1),
                "replicas": .integer(sum("replicas")), "updatedReplicas": .integer(updated), "readyReplicas": .integer(sum("readyReplicas")),
                "availableReplicas": .integer(available), "unavailableReplicas": .integer(max(0, desired - available)),
                "conditions": .array([
                    condition("Available", available >= desired, available >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                              available >= desired ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
                    condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                              complete ? "ReplicaSet \"\(newName)\" has successfully progressed." : "ReplicaSet \"\(newName)\" is progressing."),
                ]),
            ])
            if update(next, from: latest, type: Self.deploymentType) { changed = true }
        }
        return changed
    }

    /// kube-controller-manager's pod-template-hash: a hash of the template (FNV-1a over its canonical JSON),
    /// in the alphabet Kubernetes uses for generated names.
    static func templateHash(_ template: JSONValue) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in canonical(template).utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var value = UInt64(hash)
        var text = ""
        repeat {
            text.append(alphabet[Int(value % UInt64(alphabet.count))])
            value /= UInt64(alphabet.count)
        } while value > 0
        return text
    }

    /// JSON with object keys sorted, so equal templates hash alike whatever their key order.
    static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .object(let object):
            let members = object.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
            return "{" + members.map { JSONValue.string($0.0).jsonText + ":" + canonical($0.1) }.joined(separator: ",") + "}"
        case .array(let items):
            return "[" + items.map(canonical).joined(separator: ",") + "]"
        default:
            return value.jsonText
        }
    }

    // MARK: ReplicaSets

    private func reconcileReplicaSets() -> Bool {
        var changed = false
        for replicaSet in objects(Self.replicaSetType) {
            let metadata = replicaSet["metadata"]?.objectValue ?? [:]
            guard let name = metadata["name"]?.stringValue, let namespace = metadata["namespace"]?.stringValue,
                  let uid = metadata["uid"]?.stringValue else { continue }
            let desired = Self.int(replicaSet["spec"]?["replicas"], default: 1)
            var pods = objects(Self.podType).filter { $0["metadata"]?["namespace"]?.stringValue == namespace && Self.owned($0, by: uid)
                && $0["metadata"]?["deletionTimestamp"] == nil }
            while Int64(pods.count) < desired {
                let template = replicaSet["spec"]?["template"]?.objectValue ?? [:]
                var podMetadata = template["metadata"]?.objectValue ?? [:]
                podMetadata["name"] = .string(name + "-" + generatedSuffix(for: name + "-"))
                podMetadata["namespace"] = .string(namespace)
                podMetadata["ownerReferences"] = .array([.object(["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string(name),
                                                                  "uid": .string(uid), "controller": true, "blockOwnerDeletion": true])])
                let pod: JSONObject = ["apiVersion": "v1", "kind": "Pod", "metadata": .object(podMetadata),
                                       "spec": template["spec"] ?? .object([:]), "status": .object(["phase": "Pending"])]
                guard let created = try? store(pod, type: Self.podType, namespace: namespace, dryRun: false) else { break }
                event("SuccessfulCreate", "Created pod: \(created["metadata"]?["name"]?.stringValue ?? "")", about: replicaSet,
                      kind: "ReplicaSet", apiVersion: "apps/v1", component: "replicaset-controller")
                pods.append(created)
                changed = true
            }
            while Int64(pods.count) > desired, let last = pods.popLast(), let podName = last["metadata"]?["name"]?.stringValue {
                if (try? delete(Self.podType, namespace: namespace, name: podName, dryRun: false)) != nil {
                    event("SuccessfulDelete", "Deleted pod: \(podName)", about: replicaSet, kind: "ReplicaSet", apiVersion: "apps/v1",
                          component: "replicaset-controller")
                    changed = true
                }
            }
            guard let latest = try? object(Self.replicaSetType, namespace: namespace, name: name) else { continue }
            let ready = Int64(pods.filter(Self.isReady).count)
            var next = latest
            next["status"] = .object(["replicas": .integer(Int64(pods.count)), "fullyLabeledReplicas": .integer(Int64(pods.count)),
                                      "readyReplicas": .integer(ready), "availableReplicas": .integer(ready),
                                      "observedGeneration": latest["metadata"]?["generation"] ?? .integer(1)])
            if update(next, from: latest, type: Self.replicaSetType) { changed = true }
        }
        return changed
    }

    private static func isReady(_ pod: JSONObject) -> Bool {
        (pod["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
    }

    // MARK: Kubelet

    /// Kubernetes' QoS class: Guaranteed when every container's requests equal its limits for CPU and memory,
    /// BestEffort when none asks for any, Burstable otherwise.
    static func qosClass(_ containers: [JSONValue]) -> String {
        var any = false
        var guaranteed = true
        for container in containers {
            let requests: JSONObject = container["resources"]?["requests"]?.objectValue ?? [:]
            let limits: JSONObject = container["resources"]?["limits"]?.objectValue ?? [:]
            if !requests.isEmpty || !limits.isEmpty { any = true }
            for resource in ["cpu", "memory"] {
                let limit: JSONValue? = limits[resource]
                let request: JSONValue? = requests[resource]
                if limit == nil || (request != nil && request != limit) { guaranteed = false }
            }
        }
        return !any ? "BestEffort" : (guaranteed ? "Guaranteed" : "Burstable")
    }

    private func runKubelet() -> Bool {
        var changed = false
        // Pods being deleted gracefully: the kubelet stops them and removes them (the grace period is not waited).
        for pod in objects(Self.podType) where pod["metadata"]?["deletionTimestamp"] != nil
            && (pod["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty {
            guard let name = pod["metadata"]?["name"]?.stringValue, let namespace = pod["metadata"]?["namespace"]?.stringValue else { continue }
            if (try? delete(Self.podType, namespace: namespace, name: name, dryRun: false, options: ["gracePeriodSeconds": .integer(0)])) != nil {
                event("Killing", "Stopping container", about: pod, kind: "Pod", apiVersion: "v1", component: "kubelet")
                changed = true
            }
        }
        for pod in objects(Self.podType) where pod["metadata"]?["deletionTimestamp"] == nil && !Self.isReady(pod) {
            var next = pod
            let time = JSONValue.string(Self.timestamp(now()))
            var spec = next["spec"]?.objectValue ?? [:]
            if spec["nodeName"] == nil { spec["nodeName"] = "fake-node" }
            next["spec"] = .object(spec)
            let containers = spec["containers"]?.arrayValue ?? []
            let conditions: [JSONValue] = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map {
                .object(["type": .string($0), "status": "True", "lastProbeTime": .null, "lastTransitionTime": time])
            }
            // Each pod its own address (10.244.0.10 onwards), as a CNI hands them out; QoS from the resources.
            let podIP = state.withLock { state -> String in
                defer { state.podAddresses += 1 }
                return "10.244.\(state.podAddresses / 240).\(10 + state.podAddresses % 240)"
            }
            next["status"] = .object([
                "phase": "Running", "conditions": .array(conditions), "hostIP": "10.0.0.1", "podIP": .string(podIP),
                "podIPs": .array([.object(["ip": .string(podIP)])]),
                "startTime": time, "qosClass": .string(Self.qosClass(containers)),
                "containerStatuses": .array(containers.map { container in
                    .object(["name": container["name"] ?? "", "image": container["image"] ?? "", "imageID": "", "ready": true,
                             "started": true, "restartCount": .integer(0), "state": .object(["running": .object(["startedAt": time])])])
                }),
            ])
            if update(next, from: pod, type: Self.podType) {
                event("Started", "Started container", about: pod, kind: "Pod", apiVersion: "v1", component: "kubelet")
                changed = true
            }
        }
        return changed
    }
}

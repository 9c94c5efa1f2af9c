import Foundation

// Pods and pod templates, as kubectl 1.32's pod describer and DescribePodTemplate lay them out.

extension KubeDescribe {
    /// A Pod: identity, node, start time, status and IPs, its controller, each container (image, ports, state,
    /// resources, probes, environment, mounts), conditions, volumes, QoS class, node selectors, tolerations,
    /// and the events (`nil`: not looked up).
    public static func pod(_ pod: CoreV1.Pod, events: [CoreV1.Event]?, options: Options = Options()) -> String {
        let metadata = pod.metadata
        let spec = pod.spec
        let status = pod.status
        var text = "Name:\t\(metadata?.name ?? "")\n"
        text += "Namespace:\t\(metadata?.namespace ?? "")\n"
        if let priority = spec?.priority { text += "Priority:\t\(priority)\n" }
        if let priorityClass = spec?.priorityClassName, !priorityClass.isEmpty { text += "Priority Class Name:\t\(priorityClass)\n" }
        if let runtimeClass = spec?.runtimeClassName, !runtimeClass.isEmpty { text += "Runtime Class Name:\t\(runtimeClass)\n" }
        text += "Service Account:\t\(spec?.serviceAccountName ?? "")\n"
        if let node = spec?.nodeName, !node.isEmpty {
            text += "Node:\t\(node)/\(status?.hostIP ?? "")\n"
        } else {
            text += "Node:\t<none>\n"
        }
        if let start = status?.startTime { text += "Start Time:\t\(options.format(start))\n" }
        text += multiline("Labels", metadata?.labels)
        text += annotations(metadata?.annotations)
        if let deletion = metadata?.deletionTimestamp {
            text += "Status:\tTerminating (lasts \(options.age(deletion.secondsSinceEpoch)))\n"
            text += "Termination Grace Period:\t\(metadata?.deletionGracePeriodSeconds ?? 0)s\n"
        } else {
            text += "Status:\t\(status?.phase ?? "")\n"
        }
        if let reason = status?.reason, !reason.isEmpty { text += "Reason:\t\(reason)\n" }
        if let message = status?.message, !message.isEmpty { text += "Message:\t\(message)\n" }
        text += "IP:\t\(status?.podIP ?? "")\n"
        if let ips = status?.podIPs, !ips.isEmpty {
            text += "IPs:\n" + ips.map { "  IP:\t\($0.ip ?? "")\n" }.joined()
        } else {
            text += "IPs:\t<none>\n"
        }
        if let controller = controllerDescription(metadata) { text += "Controlled By:\t\(controller)\n" }
        if let nominated = status?.nominatedNodeName, !nominated.isEmpty { text += "NominatedNodeName:\t\(nominated)\n" }
        if let initContainers = spec?.initContainers, !initContainers.isEmpty {
            text += containers("Init Containers", initContainers, statuses: status?.initContainerStatuses ?? [], space: "", options: options)
        }
        text += containers("Containers", spec?.containers ?? [], statuses: status?.containerStatuses ?? [], space: "", options: options)
        if let conditions = status?.conditions, !conditions.isEmpty {
            text += "Conditions:\n  Type\tStatus\n"
            for condition in conditions { text += "  \(condition.type ?? "") \t\(condition.status ?? "") \n" }
        }
        text += volumes(spec?.volumes, space: "")
        text += "QoS Class:\t\(status?.qosClass ?? "")\n"
        text += multiline("Node-Selectors", spec?.nodeSelector)
        text += tolerations("Tolerations", spec?.tolerations)
        if let events { text += describeEvents(events, options: options) }
        return tabulate(text)
    }

    /// `Kind/name` of the owner reference marked as controller, if any.
    static func controllerDescription(_ metadata: MetaV1.ObjectMeta?) -> String? {
        guard let owner = metadata?.ownerReferences?.first(where: { $0.controller == true }) else { return nil }
        return "\(owner.kind ?? "")/\(owner.name ?? "")"
    }

    /// "Pod Template:" with labels, annotations, containers, volumes, node selectors and tolerations, indented
    /// two spaces (Deployments, ReplicaSets).
    static func podTemplate(_ template: CoreV1.PodTemplateSpec?) -> String {
        var text = "Pod Template:\n"
        guard let template else { return text + "  <unset>\n" }
        text += multiline("  Labels", template.metadata?.labels)
        if let annotations = template.metadata?.annotations, !annotations.isEmpty {
            text += Self.annotations(annotations, title: "  Annotations")
        }
        if let account = template.spec?.serviceAccountName, !account.isEmpty { text += "  Service Account:\t\(account)\n" }
        if let initContainers = template.spec?.initContainers, !initContainers.isEmpty {
            text += containers("Init Containers", initContainers, statuses: [], space: "  ", options: Options())
        }
        text += containers("Containers", template.spec?.containers ?? [], statuses: [], space: "  ", options: Options())
        text += volumes(template.spec?.volumes, space: "  ")
        if let priorityClass = template.spec?.priorityClassName, !priorityClass.isEmpty { text += "  Priority Class Name:\t\(priorityClass)\n" }
        text += multiline("  Node-Selectors", template.spec?.nodeSelector)
        text += tolerations("  Tolerations", template.spec?.tolerations)
        return text
    }

    /// One section of containers: name, IDs, image, ports, command, state, resources, probes, environment and
    /// mounts, as kubectl's describeContainers.
    static func containers(_ label: String, _ containers: [CoreV1.Container], statuses: [CoreV1.ContainerStatus], space: String,
                           options: Options) -> String {
        guard !containers.isEmpty else { return "\(space)\(label):\t<none>\n" }
        var text = "\(space)\(label):\n"
        for container in containers {
            let status = statuses.first { $0.name == container.name }
            text += "  \(space.isEmpty ? "" : " ")\(container.name ?? ""):\n"
            if let status { text += "    Container ID:\t\(status.containerID ?? "")\n" }
            text += "    Image:\t\(container.image ?? "")\n"
            if let status { text += "    Image ID:\t\(status.imageID ?? "")\n" }
            let ports = (container.ports ?? []).map { "\($0.containerPort ?? 0)/\($0.protocol ?? "TCP")" }
            let hostPorts = (container.ports ?? []).map { "\($0.hostPort ?? 0)/\($0.protocol ?? "TCP")" }
            text += "    \(ports.count > 1 ? "Ports" : "Port"):\t\(ports.isEmpty ? "<none>" : ports.joined(separator: ", "))\n"
            text += "    \(hostPorts.count > 1 ? "Host Ports" : "Host Port"):\t\(hostPorts.isEmpty ? "<none>" : hostPorts.joined(separator: ", "))\n"
            for (title, values) in [("Command", container.command), ("Args", container.args)] {
                guard let values, !values.isEmpty else { continue }
                text += "    \(title):\n"
                for value in values {
                    for line in value.components(separatedBy: "\n") { text += "      \(line)\n" }
                }
            }
            if let status {
                text += state("State", status.state, options: options)
                if status.lastState?.terminated != nil { text += state("Last State", status.lastState, options: options) }
                text += "    Ready:\t\(status.ready == true ? "True" : "False")\n"
                text += "    Restart Count:\t\(status.restartCount ?? 0)\n"
            }
            for (title, list) in [("Limits", container.resources?.limits), ("Requests", container.resources?.requests)] {
                guard let list, !list.isEmpty else { continue }
                text += "    \(title):\n"
                for name in list.keys.sorted() { text += "      \(name):\t\(list[name]?.description ?? "")\n" }
            }
            for (title, probe) in [("Liveness", container.livenessProbe), ("Readiness", container.readinessProbe), ("Startup", container.startupProbe)] {
                if let probe { text += "    \(title):\t\(describe(probe))\n" }
            }
            if let sources = container.envFrom, !sources.isEmpty {
                text += "    Environment Variables from:\n"
                for source in sources {
                    let prefix = source.prefix.map { $0.isEmpty ? "" : " with prefix '\($0)'" } ?? ""
                    if let configMap = source.configMapRef {
                        text += "      \(configMap.name ?? "")\tConfigMap\(prefix)\tOptional: \(configMap.optional ?? false)\n"
                    } else if let secret = source.secretRef {
                        text += "      \(secret.name ?? "")\tSecret\(prefix)\tOptional: \(secret.optional ?? false)\n"
                    }
                }
            }
            text += environment(container.env)
            let mounts = (container.volumeMounts ?? []).sorted { ($0.mountPath ?? "") < ($1.mountPath ?? "") }
            text += "    Mounts:\(mounts.isEmpty ? "\t<none>" : "")\n"
            for mount in mounts {
                var flags = [mount.readOnly == true ? "ro" : "rw"]
                if let path = mount.subPath, !path.isEmpty { flags.append("path=\"\(path)\"") }
                if let path = mount.subPathExpr, !path.isEmpty { flags.append("path=\"\(path)\"") }
                text += "      \(mount.mountPath ?? "") from \(mount.name ?? "") (\(flags.joined(separator: ",")))\n"
            }
        }
        return text
    }

    /// "Environment:" with each variable; references to secrets and config maps named, never resolved.
    static func environment(_ variables: [CoreV1.EnvVar]?) -> String {
        guard let variables, !variables.isEmpty else { return "    Environment:\t<none>\n" }
        var text = "    Environment:\n"
        for variable in variables {
            let name = variable.name ?? ""
            guard let source = variable.valueFrom else {
                for (index, line) in (variable.value ?? "").components(separatedBy: "\n").enumerated() {
                    text += index == 0 ? "      \(name):\t\(line)\n" : "      \t\(line)\n"
                }
                continue
            }
            if let field = source.fieldRef {
                text += "      \(name):\t (\(field.apiVersion ?? "v1"):\(field.fieldPath ?? ""))\n"
            } else if let resource = source.resourceFieldRef {
                text += "      \(name):\t\(resource.resource ?? "") (\(resource.containerName ?? ""))\n"
            } else if let secret = source.secretKeyRef {
                text += "      \(name):\t<set to the key '\(secret.key ?? "")' in secret '\(secret.name ?? "")'>\tOptional: \(secret.optional ?? false)\n"
            } else if let configMap = source.configMapKeyRef {
                text += "      \(name):\t<set to the key '\(configMap.key ?? "")' of config map '\(configMap.name ?? "")'>\tOptional: \(configMap.optional ?? false)\n"
            } else {
                text += "      \(name):\t<unknown>\n"
            }
        }
        return text
    }

    /// `State:\tRunning` and its details (started, reason, exit code, finished).
    static func state(_ title: String, _ state: CoreV1.ContainerState?, options: Options) -> String {
        if let running = state?.running {
            return "    \(title):\tRunning\n      Started:\t\(options.format(running.startedAt))\n"
        }
        if let terminated = state?.terminated {
            var text = "    \(title):\tTerminated\n"
            if let reason = terminated.reason, !reason.isEmpty { text += "      Reason:\t\(reason)\n" }
            if let message = terminated.message, !message.isEmpty { text += "      Message:\t\(message)\n" }
            text += "      Exit Code:\t\(terminated.exitCode ?? 0)\n"
            if let signal = terminated.signal, signal > 0 { text += "      Signal:\t\(signal)\n" }
            text += "      Started:\t\(options.format(terminated.startedAt))\n"
            text += "      Finished:\t\(options.format(terminated.finishedAt))\n"
            return text
        }
        var text = "    \(title):\tWaiting\n"
        if let reason = state?.waiting?.reason, !reason.isEmpty { text += "      Reason:\t\(reason)\n" }
        if let message = state?.waiting?.message, !message.isEmpty { text += "      Message:\t\(message)\n" }
        return text
    }

    /// A probe as one line: `http-get http://:http/ delay=2s timeout=1s period=5s #success=1 #failure=3`.
    static func describe(_ probe: CoreV1.Probe) -> String {
        let attributes = "delay=\(probe.initialDelaySeconds ?? 0)s timeout=\(probe.timeoutSeconds ?? 1)s period=\(probe.periodSeconds ?? 10)s "
            + "#success=\(probe.successThreshold ?? 1) #failure=\(probe.failureThreshold ?? 3)"
        if let exec = probe.exec { return "exec [\((exec.command ?? []).joined(separator: " "))] \(attributes)" }
        if let http = probe.httpGet {
            let port = http.port?.description ?? ""
            let host = http.host ?? ""
            let authority = port.isEmpty ? host : (host.contains(":") ? "[\(host)]" : host) + ":" + port
            return "http-get \((http.scheme ?? "HTTP").lowercased())://\(authority)\(http.path ?? "") \(attributes)"
        }
        if let tcp = probe.tcpSocket { return "tcp-socket \(tcp.host ?? ""):\(tcp.port?.description ?? "") \(attributes)" }
        if let grpc = probe.grpc { return "grpc <pod>:\(grpc.port ?? 0) \(grpc.service ?? "") \(attributes)" }
        return "unknown \(attributes)"
    }

    /// "Volumes:" with each volume's type and source, as kubectl's describeVolumes.
    static func volumes(_ volumes: [CoreV1.Volume]?, space: String) -> String {
        guard let volumes, !volumes.isEmpty else { return "\(space)Volumes:\t<none>\n" }
        var text = "\(space)Volumes:\n"
        func optional(_ value: Bool?) -> String { value.map { "\($0)" } ?? "<nil>" }
        for volume in volumes {
            text += "  \(space.isEmpty ? "" : " ")\(volume.name ?? ""):\n"
            if let hostPath = volume.hostPath {
                text += "    Type:\tHostPath (bare host directory volume)\n    Path:\t\(hostPath.path ?? "")\n    HostPathType:\t\(hostPath.type ?? "")\n"
            } else if let emptyDir = volume.emptyDir {
                text += "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t\(emptyDir.medium ?? "")\n"
                text += "    SizeLimit:\t\(emptyDir.sizeLimit?.description ?? "<unset>")\n"
            } else if let secret = volume.secret {
                text += "    Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t\(secret.secretName ?? "")\n    Optional:\t\(secret.optional ?? false)\n"
            } else if let configMap = volume.configMap {
                text += "    Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t\(configMap.name ?? "")\n    Optional:\t\(configMap.optional ?? false)\n"
            } else if let claim = volume.persistentVolumeClaim {
                text += "    Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
                text += "    ClaimName:\t\(claim.claimName ?? "")\n    ReadOnly:\t\(claim.readOnly ?? false)\n"
            } else if let projected = volume.projected {
                text += "    Type:\tProjected (a volume that contains injected data from multiple sources)\n"
                for source in projected.sources ?? [] {
                    if let secret = source.secret {
                        text += "    SecretName:\t\(secret.name ?? "")\n    SecretOptionalName:\t\(optional(secret.optional))\n"
                    } else if source.downwardAPI != nil {
                        text += "    DownwardAPI:\ttrue\n"
                    } else if let configMap = source.configMap {
                        text += "    ConfigMapName:\t\(configMap.name ?? "")\n    ConfigMapOptional:\t\(optional(configMap.optional))\n"
                    } else if let token = source.serviceAccountToken {
                        text += "    TokenExpirationSeconds:\t\(token.expirationSeconds ?? 3600)\n"
                    }
                }
            } else if let downward = volume.downwardAPI {
                text += "    Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n"
                for item in downward.items ?? [] {
                    if let field = item.fieldRef { text += "      \(field.fieldPath ?? "") -> \(item.path ?? "")\n" }
                    if let resource = item.resourceFieldRef { text += "      \(resource.resource ?? "") -> \(item.path ?? "")\n" }
                }
            } else {
                text += "    <unknown>\n"
            }
        }
        return text
    }

    /// `Tolerations:\tkey=value:Effect op=Exists for 300s`, one per line.
    static func tolerations(_ title: String, _ tolerations: [CoreV1.Toleration]?) -> String {
        guard let tolerations, !tolerations.isEmpty else { return "\(title):\t<none>\n" }
        var text = "\(title):"
        for toleration in tolerations {
            text += "\t\(toleration.key ?? "")"
            if let value = toleration.value, !value.isEmpty { text += "=\(value)" }
            if let effect = toleration.effect, !effect.isEmpty { text += ":\(effect)" }
            if toleration.operator == "Exists", (toleration.value ?? "").isEmpty {
                text += (toleration.key ?? "").isEmpty && (toleration.effect ?? "").isEmpty ? "op=Exists" : " op=Exists"
            }
            if let seconds = toleration.tolerationSeconds { text += " for \(seconds)s" }
            text += "\n"
        }
        return text
    }
}

extension ResourceClient where Resource == CoreV1.Pod {
    /// `kubectl describe pod NAME`: the pod and its events.
    public func describe(_ name: String, options: KubeDescribe.Options = KubeDescribe.Options()) async throws -> String {
        let pod = try await get(name)
        let events = try await client.events(in: pod.metadata?.namespace ?? namespace).events(forKind: nil, name: name, uid: pod.metadata?.uid)
        return KubeDescribe.pod(pod, events: events, options: options)
    }
}

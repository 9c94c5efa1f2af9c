import Foundation

// Deployments and ReplicaSets, as kubectl 1.32's DeploymentDescriber and ReplicaSetDescriber.

extension KubeDescribe {
    /// A Deployment: identity, selector, replica counts, strategy, pod template, conditions, its old and new
    /// ReplicaSets (those it controls; the new one has its pod template), and the events (`nil`: not looked up).
    public static func deployment(_ deployment: AppsV1.Deployment, replicaSets: [AppsV1.ReplicaSet], events: [CoreV1.Event]?,
                                  options: Options = Options()) -> String {
        let metadata = deployment.metadata
        let spec = deployment.spec
        let status = deployment.status
        var text = "Name:\t\(metadata?.name ?? "")\n"
        text += "Namespace:\t\(metadata?.namespace ?? "")\n"
        text += "CreationTimestamp:\t\(options.format(metadata?.creationTimestamp))\n"
        text += multiline("Labels", metadata?.labels)
        text += annotations(metadata?.annotations)
        text += "Selector:\t\(selectorDescription(spec?.selector))\n"
        text += "Replicas:\t\(spec?.replicas ?? 1) desired | \(status?.updatedReplicas ?? 0) updated | \(status?.replicas ?? 0) total | "
            + "\(status?.availableReplicas ?? 0) available | \(status?.unavailableReplicas ?? 0) unavailable\n"
        text += "StrategyType:\t\(spec?.strategy?.type ?? "")\n"
        text += "MinReadySeconds:\t\(spec?.minReadySeconds ?? 0)\n"
        if let rolling = spec?.strategy?.rollingUpdate {
            text += "RollingUpdateStrategy:\t\(rolling.maxUnavailable?.description ?? "<nil>") max unavailable, \(rolling.maxSurge?.description ?? "<nil>") max surge\n"
        }
        text += podTemplate(spec?.template)
        if let conditions = status?.conditions, !conditions.isEmpty {
            text += "Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n"
            for condition in conditions { text += "  \(condition.type ?? "") \t\(condition.status ?? "")\t\(condition.reason ?? "")\n" }
        }
        let owned = replicaSets.filter { set in
            set.metadata?.ownerReferences?.contains { $0.controller == true && $0.uid == metadata?.uid } == true
        }
        let newSet = owned.first { equalIgnoringHash($0.spec?.template, spec?.template) }
        let oldSets = owned.filter { $0.metadata?.uid != newSet?.metadata?.uid }
        if !oldSets.isEmpty || newSet != nil {
            text += "OldReplicaSets:\t\(replicaSetList(oldSets))\n"
            text += "NewReplicaSet:\t\(replicaSetList(newSet.map { [$0] } ?? []))\n"
        }
        if let events { text += describeEvents(events, options: options) }
        return tabulate(text)
    }

    /// `name (current/desired replicas created), …`, or `<none>`.
    static func replicaSetList(_ sets: [AppsV1.ReplicaSet]) -> String {
        guard !sets.isEmpty else { return "<none>" }
        return sets.map { "\($0.metadata?.name ?? "") (\($0.status?.replicas ?? 0)/\($0.spec?.replicas ?? 1) replicas created)" }
            .joined(separator: ", ")
    }

    /// Whether two pod templates are the same but for the `pod-template-hash` label (how the deployment
    /// controller finds a deployment's new ReplicaSet).
    static func equalIgnoringHash(_ lhs: CoreV1.PodTemplateSpec?, _ rhs: CoreV1.PodTemplateSpec?) -> Bool {
        var lhs = lhs
        var rhs = rhs
        lhs?.metadata?.labels?["pod-template-hash"] = nil
        rhs?.metadata?.labels?["pod-template-hash"] = nil
        return lhs == rhs
    }

    /// A label selector as kubectl prints it (`app=web,tier in (a,b)`), `<none>` when empty.
    static func selectorDescription(_ selector: MetaV1.LabelSelector?) -> String {
        guard let selector else { return "<none>" }
        guard let converted = try? LabelSelector(selector) else { return "<error>" }
        let text = converted.description
        return text.isEmpty ? "<none>" : text
    }

    /// A ReplicaSet: identity, selector, its controller, replica counts, its pods by phase (those it
    /// controls), pod template, conditions and events (`nil`: not looked up).
    public static func replicaSet(_ replicaSet: AppsV1.ReplicaSet, pods: [CoreV1.Pod], events: [CoreV1.Event]?,
                                  options: Options = Options()) -> String {
        let metadata = replicaSet.metadata
        var text = "Name:\t\(metadata?.name ?? "")\n"
        text += "Namespace:\t\(metadata?.namespace ?? "")\n"
        text += "Selector:\t\(selectorDescription(replicaSet.spec?.selector))\n"
        text += multiline("Labels", metadata?.labels)
        text += annotations(metadata?.annotations)
        if let controller = controllerDescription(metadata) { text += "Controlled By:\t\(controller)\n" }
        text += "Replicas:\t\(replicaSet.status?.replicas ?? 0) current / \(replicaSet.spec?.replicas ?? 1) desired\n"
        let owned = pods.filter { pod in pod.metadata?.ownerReferences?.contains { $0.controller == true && $0.uid == metadata?.uid } == true }
        func count(_ phase: String) -> Int { owned.filter { $0.status?.phase == phase }.count }
        text += "Pods Status:\t\(count("Running")) Running / \(count("Pending")) Waiting / \(count("Succeeded")) Succeeded / \(count("Failed")) Failed\n"
        text += podTemplate(replicaSet.spec?.template)
        if let conditions = replicaSet.status?.conditions, !conditions.isEmpty {
            text += "Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n"
            for condition in conditions { text += "  \(condition.type ?? "") \t\(condition.status ?? "")\t\(condition.reason ?? "")\n" }
        }
        if let events { text += describeEvents(events, options: options) }
        return tabulate(text)
    }
}

extension ResourceClient where Resource == AppsV1.Deployment {
    /// `kubectl describe deployment NAME`: the deployment, its ReplicaSets and its events.
    public func describe(_ name: String, options: KubeDescribe.Options = KubeDescribe.Options()) async throws -> String {
        let deployment = try await get(name)
        var replicaSets: [AppsV1.ReplicaSet] = []
        if let selector = deployment.spec?.selector {
            replicaSets = try await client.resources(AppsV1.ReplicaSet.self, in: namespace).list(ListOptions(labelSelector: try LabelSelector(selector))).items
        }
        let events = try await client.events(in: namespace).events(for: deployment)
        return KubeDescribe.deployment(deployment, replicaSets: replicaSets, events: events, options: options)
    }
}

extension ResourceClient where Resource == AppsV1.ReplicaSet {
    /// `kubectl describe replicaset NAME`: the ReplicaSet, its pods' phases and its events.
    public func describe(_ name: String, options: KubeDescribe.Options = KubeDescribe.Options()) async throws -> String {
        let replicaSet = try await get(name)
        var pods: [CoreV1.Pod] = []
        if let selector = replicaSet.spec?.selector {
            pods = try await client.resources(CoreV1.Pod.self, in: namespace).list(ListOptions(labelSelector: try LabelSelector(selector))).items
        }
        let events = try await client.events(in: namespace).events(for: replicaSet)
        return KubeDescribe.replicaSet(replicaSet, pods: pods, events: events, options: options)
    }
}

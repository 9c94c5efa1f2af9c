import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

extension KubeClient {
    /// Deployments in `namespace` (the client's default namespace when `nil`).
    public func deployments(in namespace: String? = nil) -> ResourceClient<AppsV1.Deployment> {
        resources(AppsV1.Deployment.self, in: namespace)
    }

    /// ReplicaSets in `namespace` (the client's default namespace when `nil`).
    public func replicaSets(in namespace: String? = nil) -> ResourceClient<AppsV1.ReplicaSet> {
        resources(AppsV1.ReplicaSet.self, in: namespace)
    }
}

/// Where a rollout stands, with the message `kubectl rollout status` prints for it.
public struct RolloutStatus: Sendable, Hashable, CustomStringConvertible {
    /// `true` once every replica runs the new template and is available.
    public var isComplete: Bool
    /// kubectl's message, e.g. `Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have
    /// been updated...` or `deployment "web" successfully rolled out`.
    public var message: String

    /// Creates a status.
    public init(isComplete: Bool, message: String) {
        self.isComplete = isComplete
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// Evaluates `deployment` exactly as kubectl's deployment status viewer does.
    /// - Parameter revision: When set, the deployment's `deployment.kubernetes.io/revision` must equal it.
    /// - Throws: ``KubeError/Code/rollout`` when the revision differs or the progress deadline was exceeded.
    public static func of(_ deployment: AppsV1.Deployment, revision: Int64? = nil) throws -> RolloutStatus {
        let name = deployment.metadata?.name ?? ""
        if let revision, revision > 0 {
            let current = deployment.metadata?.annotations?[DeploymentAnnotations.revision]
            guard let current, let value = Int64(current) else {
                throw KubeError(code: .rollout, message: "cannot get the revision of deployment \"\(name)\"")
            }
            if value != revision {
                throw KubeError(code: .rollout, message: "desired revision (\(revision)) is different from the running revision (\(value))")
            }
        }
        let status = deployment.status ?? AppsV1.DeploymentStatus()
        guard (deployment.metadata?.generation ?? 0) <= (status.observedGeneration ?? 0) else {
            return RolloutStatus(isComplete: false, message: "Waiting for deployment spec update to be observed...")
        }
        if let progressing = status.conditions?.first(where: { $0.type == "Progressing" }), progressing.reason == "ProgressDeadlineExceeded" {
            throw KubeError(code: .rollout, message: "deployment \"\(name)\" exceeded its progress deadline")
        }
        let updated = status.updatedReplicas ?? 0
        let replicas = status.replicas ?? 0
        let available = status.availableReplicas ?? 0
        if let desired = deployment.spec?.replicas, updated < desired {
            return RolloutStatus(isComplete: false, message: "Waiting for deployment \"\(name)\" rollout to finish: \(updated) out of \(desired) new replicas have been updated...")
        }
        if replicas > updated {
            return RolloutStatus(isComplete: false, message: "Waiting for deployment \"\(name)\" rollout to finish: \(replicas - updated) old replicas are pending termination...")
        }
        if available < updated {
            return RolloutStatus(isComplete: false, message: "Waiting for deployment \"\(name)\" rollout to finish: \(available) of \(updated) updated replicas are available...")
        }
        return RolloutStatus(isComplete: true, message: "deployment \"\(name)\" successfully rolled out")
    }
}

/// One entry of a deployment's rollout history: a ReplicaSet and its revision.
public struct RolloutRevision: Sendable, Hashable {
    /// The revision (`deployment.kubernetes.io/revision`).
    public var revision: Int64
    /// The `kubernetes.io/change-cause` annotation, if any.
    public var changeCause: String?
    /// The ReplicaSet that holds the revision's pod template.
    public var replicaSet: AppsV1.ReplicaSet
}

/// What ``ResourceClient/undoRollout(_:toRevision:options:)`` did.
public enum RollbackResult: Sendable, Hashable {
    /// The deployment's template was set to the revision's (kubectl: `deployment.apps/NAME rolled back`).
    case rolledBack(toRevision: Int64, deployment: AppsV1.Deployment)
    /// The template already matched (kubectl: `skipped rollback (current template already matches revision R)`).
    case skipped(revision: Int64)
}

/// Annotation keys the deployment controller and kubectl use.
public enum DeploymentAnnotations {
    /// `deployment.kubernetes.io/revision`.
    public static let revision = "deployment.kubernetes.io/revision"
    /// `kubernetes.io/change-cause`.
    public static let changeCause = "kubernetes.io/change-cause"
    /// `kubectl.kubernetes.io/restartedAt`, set on the pod template by a rollout restart.
    public static let restartedAt = "kubectl.kubernetes.io/restartedAt"
    /// Annotations a rollback keeps from the deployment instead of copying them from the ReplicaSet.
    static let keptOnRollback: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revision, "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas", "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to",
    ]
}

extension ResourceClient where Resource == AppsV1.Deployment {
    /// Restarts the deployment's pods as `kubectl rollout restart` does: a strategic merge patch setting the
    /// pod-template annotation `kubectl.kubernetes.io/restartedAt` to the current time.
    /// - Parameter time: The timestamp to write (now, by default).
    /// - Throws: ``KubeError/Code/rollout`` for a paused deployment or a restart within the same second.
    @discardableResult
    public func restart(_ name: String, at time: Time? = nil, options: WriteOptions = WriteOptions()) async throws -> AppsV1.Deployment {
        try client.authorize("restart", needs: .write, on: resourceName)
        let deployment = try await get(name)
        if deployment.spec?.paused == true {
            throw KubeError(code: .rollout, message: "can't restart paused deployment (run rollout resume first)")
        }
        let stamp = (time ?? Time(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))).description
        if deployment.spec?.template?.metadata?.annotations?[DeploymentAnnotations.restartedAt] == stamp {
            throw KubeError(code: .rollout, message: "failed to create patch for \(name): if restart has already been triggered within the past second, please wait before attempting to trigger another")
        }
        let patch = Patch.strategicMerge(["spec": ["template": ["metadata": ["annotations": [DeploymentAnnotations.restartedAt: .string(stamp)]]]]])
        return try await self.patch(name, patch, options: options)
    }

    /// Pauses the rollout (`{"spec":{"paused":true}}`, as `kubectl rollout pause`).
    /// - Throws: ``KubeError/Code/rollout`` when it is already paused (no request is sent).
    @discardableResult
    public func pause(_ name: String, options: WriteOptions = WriteOptions()) async throws -> AppsV1.Deployment {
        try await setPaused(name, true, options: options)
    }

    /// Resumes a paused rollout (`{"spec":{"paused":false}}`, as `kubectl rollout resume`).
    /// - Throws: ``KubeError/Code/rollout`` when it is not paused (no request is sent).
    @discardableResult
    public func resume(_ name: String, options: WriteOptions = WriteOptions()) async throws -> AppsV1.Deployment {
        try await setPaused(name, false, options: options)
    }

    private func setPaused(_ name: String, _ paused: Bool, options: WriteOptions) async throws -> AppsV1.Deployment {
        try client.authorize(paused ? "pause" : "resume", needs: .write, on: resourceName)
        let deployment = try await get(name)
        if (deployment.spec?.paused ?? false) == paused {
            throw KubeError(code: .rollout, message: "deployments.apps \"\(name)\" \(paused ? "is already paused" : "is not paused")")
        }
        return try await patch(name, .strategicMerge(["spec": ["paused": .bool(paused)]]), options: options)
    }

    /// Checks the rollout once (`GET`, then kubectl's status rules).
    public func rolloutStatus(_ name: String, revision: Int64? = nil) async throws -> RolloutStatus {
        try RolloutStatus.of(try await get(name), revision: revision)
    }

    /// Follows the rollout: each distinct status as the deployment changes, ending after the complete one.
    /// Watches the one object (`fieldSelector=metadata.name=NAME`), resuming across disconnects.
    /// - Throws: ``KubeError/Code/rollout`` when the deployment is deleted, its progress deadline is exceeded
    ///   or the revision differs.
    public func rolloutProgress(_ name: String, revision: Int64? = nil) -> AsyncThrowingStream<RolloutStatus, any Error> {
        let watch = watch(WatchOptions(fieldSelector: .equals("metadata.name", name)))
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var last: String?
                    for try await event in watch {
                        let deployment: AppsV1.Deployment
                        switch event {
                        case .added(let object), .modified(let object): deployment = object
                        case .relisted(let objects):
                            guard let object = objects.first else { fallthrough }
                            deployment = object
                        case .deleted:
                            throw KubeError(code: .rollout, message: "object has been deleted")
                        case .bookmark:
                            continue
                        }
                        let status = try RolloutStatus.of(deployment, revision: revision)
                        if status.message != last {
                            last = status.message
                            continuation.yield(status)
                        }
                        if status.isComplete { break }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Waits until the rollout completes, as `kubectl rollout status --timeout`.
    /// - Parameters:
    ///   - timeout: The longest wait; `nil` waits for ever.
    ///   - progress: Called with each distinct status (kubectl prints these).
    /// - Throws: ``KubeError/Code/timeout`` (`timed out waiting for the condition`), or the errors of
    ///   ``rolloutProgress(_:revision:)``.
    @discardableResult
    public func waitForRollout(_ name: String, revision: Int64? = nil, timeout: Duration? = nil,
                               progress: @escaping @Sendable (RolloutStatus) -> Void = { _ in }) async throws -> RolloutStatus {
        let statuses = rolloutProgress(name, revision: revision)
        let follow: @Sendable () async throws -> RolloutStatus = {
            for try await status in statuses {
                progress(status)
                if status.isComplete { return status }
            }
            throw KubeError(code: .rollout, message: "the watch of deployment \"\(name)\" ended before the rollout completed")
        }
        guard let timeout else { return try await follow() }
        return try await withThrowingTaskGroup(of: RolloutStatus.self) { group in
            group.addTask { try await follow() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw KubeError(code: .timeout, message: "timed out waiting for the condition",
                                hint: "deployment \"\(name)\" did not finish rolling out within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The deployment's rollout history, oldest revision first, from its ReplicaSets (those matching its
    /// selector and controlled by it) and their revision annotations, as `kubectl rollout history`.
    public func history(_ name: String) async throws -> [RolloutRevision] {
        try await history(of: try await get(name))
    }

    func history(of deployment: AppsV1.Deployment) async throws -> [RolloutRevision] {
        guard let selector = deployment.spec?.selector else { return [] }
        let replicaSets = client.resources(AppsV1.ReplicaSet.self, in: namespace)
        let uid = deployment.metadata?.uid
        var revisions: [RolloutRevision] = []
        for replicaSet in try await replicaSets.list(ListOptions(labelSelector: try LabelSelector(selector))).items {
            guard replicaSet.metadata?.ownerReferences?.contains(where: { $0.controller == true && $0.uid == uid }) == true,
                  let text = replicaSet.metadata?.annotations?[DeploymentAnnotations.revision], let revision = Int64(text) else { continue }
            revisions.append(RolloutRevision(revision: revision, changeCause: replicaSet.metadata?.annotations?[DeploymentAnnotations.changeCause],
                                             replicaSet: replicaSet))
        }
        return revisions.sorted { $0.revision < $1.revision }
    }

    /// Rolls the deployment back to `toRevision` (0: the previous revision), as `kubectl rollout undo`: a JSON
    /// patch replacing the pod template with the revision's (without its `pod-template-hash` label) and
    /// the annotations with the deployment's own controller annotations plus the ReplicaSet's others.
    /// - Throws: ``KubeError/Code/rollout`` for a paused deployment or an unknown revision.
    public func undoRollout(_ name: String, toRevision: Int64 = 0, options: WriteOptions = WriteOptions()) async throws -> RollbackResult {
        try client.authorize("roll back", needs: .write, on: resourceName)
        let deployment = try await get(name)
        if deployment.spec?.paused == true {
            throw KubeError(code: .rollout, message: "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again")
        }
        let history = try await history(of: deployment)
        if history.isEmpty { throw KubeError(code: .rollout, message: "no rollout history found for deployment \"\(name)\"") }
        let target: RolloutRevision
        if toRevision == 0 {
            guard history.count >= 2 else { throw KubeError(code: .rollout, message: "no revision found for deployment \"\(name)\"") }
            target = history[history.count - 2]
        } else {
            guard let found = history.first(where: { $0.revision == toRevision }) else {
                throw KubeError(code: .rollout, message: "unable to find specified revision \(toRevision) in history")
            }
            target = found
        }
        var template = target.replicaSet.spec?.template ?? CoreV1.PodTemplateSpec()
        template.metadata?.labels?["pod-template-hash"] = nil
        if template == deployment.spec?.template {
            return .skipped(revision: target.revision)
        }
        var annotations = JSONObject()
        for (key, value) in (deployment.metadata?.annotations ?? [:]).sorted(by: { $0.key < $1.key })
        where DeploymentAnnotations.keptOnRollback.contains(key) {
            annotations[key] = .string(value)
        }
        for (key, value) in (target.replicaSet.metadata?.annotations ?? [:]).sorted(by: { $0.key < $1.key })
        where !DeploymentAnnotations.keptOnRollback.contains(key) {
            annotations[key] = .string(value)
        }
        let templateJSON = try KubeCoding.decode(JSONValue.self, from: try KubeCoding.encode(template))
        let patch = Patch.json([.replace("/spec/template", templateJSON), .replace("/metadata/annotations", .object(annotations))])
        let updated = try await self.patch(name, patch, options: options)
        return .rolledBack(toRevision: target.revision, deployment: updated)
    }
}

import KubeConfig
import KubeErrors
import KubeTransport

/// Options of ``KubeClient/apply(manifests:source:options:)``.
public struct ManifestApplyOptions: Sendable, Hashable {
    /// In which order objects are applied.
    public enum Order: Sendable, Hashable {
        /// Dependencies first, as Helm installs: Namespaces, then CRDs and RBAC, ConfigMaps and Secrets, then
        /// workloads; custom resources last. Stable within a kind.
        case dependenciesFirst
        /// In input order, as kubectl does.
        case input
    }

    /// The field manager (the client's ``KubeClient/fieldManager``, `kubekit`, when `nil`).
    public var fieldManager: String?
    /// Take ownership of fields other managers own (`force=true`).
    public var force: Bool
    /// Validate and admit without persisting (`dryRun=All`).
    public var dryRun: Bool
    /// How unknown and duplicate fields are treated (``FieldValidation/strict`` by default, as
    /// `kubectl apply --server-side` sends).
    public var fieldValidation: FieldValidation?
    /// The namespace for namespaced objects that name none (the client's default when `nil`). When set,
    /// an object naming another namespace is an error, as with `kubectl apply --namespace`.
    public var namespace: String?
    /// The order.
    public var order: Order
    /// Stop at the first failure instead of applying the other objects.
    public var stopOnError: Bool
    /// Refuse manifests with duplicate mapping keys (kubectl keeps the last value; so does KubeKit by
    /// default, with a warning in the result).
    public var strictDuplicateKeys: Bool

    /// Creates options.
    public init(fieldManager: String? = nil, force: Bool = false, dryRun: Bool = false, fieldValidation: FieldValidation? = .strict,
                namespace: String? = nil, order: Order = .dependenciesFirst, stopOnError: Bool = false, strictDuplicateKeys: Bool = false) {
        self.strictDuplicateKeys = strictDuplicateKeys
        self.fieldManager = fieldManager
        self.force = force
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
        self.namespace = namespace
        self.order = order
        self.stopOnError = stopOnError
    }
}

/// What happened to one object of an applied manifest.
public struct ManifestApplyResult: Sendable, CustomStringConvertible {
    /// What the apply did.
    public enum Operation: String, Sendable, Hashable {
        /// The object did not exist (HTTP 201).
        case created
        /// The object existed and changed.
        case configured
        /// The object existed and nothing changed.
        case unchanged
    }

    /// The 0-based index of the document in the input.
    public var document: Int
    /// The line where the object starts.
    public var line: Int?
    /// `kind`, when the document had one.
    public var kind: String?
    /// `apiVersion`, when the document had one.
    public var apiVersion: String?
    /// `metadata.name`, when the document had one.
    public var name: String?
    /// The namespace the object was applied in (`nil` for cluster-scoped objects).
    public var namespace: String?
    /// The outcome: the operation and the object as the server returned it, or the error.
    public var outcome: Result<(operation: Operation, object: DynamicObject), KubeError>
    /// Whether this was a server dry run.
    public var dryRun: Bool
    /// What the reader flagged in the object's document, such as a duplicate key (whose last value was used).
    public var warnings: [YAMLWarning] = []

    /// The operation, when the apply succeeded.
    public var operation: Operation? { if case .success(let success) = outcome { success.operation } else { nil } }
    /// The object the server returned, when the apply succeeded.
    public var object: DynamicObject? { if case .success(let success) = outcome { success.object } else { nil } }
    /// The error, when the apply failed.
    public var error: KubeError? { if case .failure(let error) = outcome { error } else { nil } }

    /// `deployment.apps/web`, as kubectl names objects.
    public var reference: String {
        let group = apiVersion.flatMap { $0.contains("/") ? String($0.split(separator: "/")[0]) : nil }
        let kindName = (kind ?? "object").lowercased() + (group.map { ".\($0)" } ?? "")
        return "\(kindName)/\(name ?? "<unnamed>")"
    }

    /// `deployment.apps/web configured (server dry run)`, or `document 2 (line 14): error…`.
    public var description: String {
        switch outcome {
        case .success(let success): "\(reference) \(success.operation.rawValue)\(dryRun ? " (server dry run)" : "")"
        case .failure(let error): "document \(document)\(line.map { " (line \($0))" } ?? "") \(reference): \(error.message)"
        }
    }
}

extension KubeClient {
    /// Applies YAML or JSON manifests with server-side apply: one or many documents (`---`), `kind: List`
    /// flattened. Each object is mapped to its REST path with discovery, defaulted to the namespace, and
    /// applied with `PATCH` `application/apply-patch+yaml`; the client reads each object first to tell
    /// created, configured and unchanged apart.
    ///
    /// A bad document (a YAML error, no `kind`, an unknown kind...) becomes a failed result naming its index
    /// and line; the others are still applied unless ``ManifestApplyOptions/stopOnError`` is set.
    ///
    /// - Parameters:
    ///   - manifests: The text.
    ///   - source: A file name for messages.
    /// - Returns: One result per object, in the order applied.
    public func apply(manifests: String, source: String? = nil, options: ManifestApplyOptions = ManifestApplyOptions()) async throws -> [ManifestApplyResult] {
        try await apply(manifests: Array(manifests.utf8), source: source, options: options)
    }

    /// Applies manifest bytes (UTF-8, or UTF-16 with a byte order mark), as the `String` variant does.
    public func apply(manifests: [UInt8], source: String? = nil, options: ManifestApplyOptions = ManifestApplyOptions()) async throws -> [ManifestApplyResult] {
        try authorize("apply", needs: .write, on: "manifests")
        let read = ManifestReader.read(manifests, source: source, options: .init(strictDuplicateKeys: options.strictDuplicateKeys))
        return await applyRead(read, source: source, options: options)
    }

    /// Applies manifests already read with ``ManifestReader`` (after the caller checked or changed them).
    public func apply(_ manifests: Manifests, source: String? = nil, options: ManifestApplyOptions = ManifestApplyOptions()) async throws -> [ManifestApplyResult] {
        try authorize("apply", needs: .write, on: "manifests")
        return await applyRead(manifests, source: source, options: options)
    }

    private func applyRead(_ manifests: Manifests, source: String?, options: ManifestApplyOptions) async -> [ManifestApplyResult] {
        var results: [ManifestApplyResult] = []
        for failure in manifests.failures {
            results.append(ManifestApplyResult(document: failure.document, line: failure.line, outcome: .failure(failure.error), dryRun: options.dryRun))
            if options.stopOnError { return results }
        }
        var objects: [(item: ManifestObject, object: DynamicObject)] = []
        for item in manifests.objects {
            do {
                objects.append((item, try DynamicObject(json: item.object)))
            } catch {
                var failure = error as? KubeError ?? KubeError(code: .invalidManifest, message: "\(error)")
                failure.location = KubeError.SourceLocation(file: source, line: item.line, field: failure.location?.field)
                results.append(ManifestApplyResult(document: item.document, line: item.line, outcome: .failure(failure),
                                                   dryRun: options.dryRun, warnings: item.warnings))
                if options.stopOnError { return results }
            }
        }
        if options.order == .dependenciesFirst {
            objects = objects.enumerated().sorted {
                let (left, right) = (ManifestParsing.priority($0.element.object.kind), ManifestParsing.priority($1.element.object.kind))
                return left != right ? left < right : $0.offset < $1.offset
            }.map(\.element)
        }
        for entry in objects {
            var result = await applyOne(entry.object, document: entry.item.document, line: entry.item.line, source: source, options: options)
            result.warnings = entry.item.warnings
            results.append(result)
            if options.stopOnError, result.error != nil { break }
        }
        return results
    }

    private func applyOne(_ object: DynamicObject, document: Int, line: Int, source: String?, options: ManifestApplyOptions) async -> ManifestApplyResult {
        let location = KubeError.SourceLocation(file: source, line: line)
        var namespace: String?
        let outcome: Result<(operation: ManifestApplyResult.Operation, object: DynamicObject), KubeError>
        do {
            let (info, name) = try await mapping(of: object, location: location, source: source, options: options)
            var object = object
            if info.isNamespaced {
                let resolved = object.metadata?.namespace ?? options.namespace ?? self.namespace
                if let wanted = options.namespace, resolved != wanted {
                    throw KubeError(code: .invalidManifest,
                                    message: "the namespace from the provided object \"\(resolved)\" does not match the namespace \"\(wanted)\". You must pass '--namespace=\(resolved)' to perform this operation.",
                                    location: location)
                }
                object.metadata?.namespace = resolved
                namespace = resolved
            }
            let resources = ResourceClient<DynamicObject>(client: self, namespace: namespace, type: info)
            let before: DynamicObject?
            do {
                before = try await resources.get(name)
            } catch let error as KubeError where error.isNotFound {
                before = nil
            }
            let applied = try await resources.apply(
                object, options: ApplyOptions(fieldManager: options.fieldManager, force: options.force, dryRun: options.dryRun,
                                              fieldValidation: options.fieldValidation))
            let operation: ManifestApplyResult.Operation = if let before {
                Self.sameState(before, applied, dryRun: options.dryRun) ? .unchanged : .configured
            } else {
                .created
            }
            outcome = .success((operation, applied))
        } catch var error as KubeError {
            if error.location == nil { error.location = location }
            outcome = .failure(error)
        } catch {
            outcome = .failure(KubeError(code: .invalidManifest, message: "\(error)", location: location))
        }
        return ManifestApplyResult(document: document, line: line, kind: object.kind, apiVersion: object.apiVersion,
                                   name: object.metadata?.name, namespace: namespace, outcome: outcome, dryRun: options.dryRun)
    }

    /// The object's resource type and name, or the error kubectl would give.
    private func mapping(of object: DynamicObject, location: KubeError.SourceLocation, source: String?,
                         options: ManifestApplyOptions) async throws -> (APIResourceInfo, String) {
        guard let apiVersion = object.apiVersion, !apiVersion.isEmpty else {
            throw KubeError(code: .invalidManifest, message: "the object has no apiVersion", location: location)
        }
        guard let kind = object.kind, !kind.isEmpty else {
            throw KubeError(code: .invalidManifest, message: "the object has no kind", location: location)
        }
        guard let name = object.metadata?.name, !name.isEmpty else {
            if let generateName = object.metadata?.generateName {
                throw KubeError(code: .invalidManifest, message: "from \(generateName): cannot use generate name with apply", location: location)
            }
            throw KubeError(code: .invalidManifest, message: "the \(kind) has no metadata.name", location: location)
        }
        do {
            return (try await resourceInfo(apiVersion: apiVersion, kind: kind), name)
        } catch let error as KubeError where error.code == .resourceNotMapped {
            let namespace = object.metadata?.namespace ?? options.namespace ?? self.namespace
            throw KubeError(code: .resourceNotMapped,
                            message: "resource mapping not found for name: \"\(name)\" namespace: \"\(namespace)\" from \"\(source ?? "manifest")\": \(error.message)",
                            location: location, hint: error.hint)
        }
    }

    /// Whether an apply changed nothing: the resource version stayed (a dry run never bumps it, so there the
    /// objects are compared without their managed fields).
    static func sameState(_ before: DynamicObject, _ after: DynamicObject, dryRun: Bool) -> Bool {
        guard dryRun else { return before.metadata?.resourceVersion == after.metadata?.resourceVersion }
        var (left, right) = (before, after)
        left.metadata?.managedFields = nil
        right.metadata?.managedFields = nil
        return left == right
    }
}

enum ManifestParsing {
    /// Helm's install order; unknown kinds (custom resources) last.
    static let installOrder = [
        "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
        "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
        "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
        "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet",
        "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    ]

    static func priority(_ kind: String?) -> Int {
        kind.flatMap { installOrder.firstIndex(of: $0) } ?? installOrder.count
    }
}

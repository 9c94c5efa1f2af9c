import Foundation
import KubeKit

/// What one operation produced: text as kubectl prints it, the same as structured JSON (for MCP clients),
/// and a note for standard error (`No resources found in demo namespace.`).
public struct ToolOutput: Sendable {
    /// The text for a terminal.
    public var text: String
    /// The result as JSON.
    public var structured: JSONValue
    /// What kubectl prints on standard error instead of a result.
    public var notice: String?

    /// An output.
    public init(text: String, structured: JSONValue, notice: String? = nil) {
        self.text = text
        self.structured = structured
        self.notice = notice
    }
}

/// How `get` prints objects (`-o`).
public enum OutputFormat: String, Sendable, CaseIterable {
    /// The server's table (the default).
    case table
    /// The table with its wide columns.
    case wide
    /// The objects as JSON.
    case json
    /// The objects as YAML.
    case yaml
    /// `kind.group/name` per object.
    case name
}

/// The operations the CLI and the MCP server share: kubectl's commands on a ``Session``'s client.
public struct KubeOperations: Sendable {
    /// The connection.
    public let session: Session
    var client: KubeClient { session.client }

    /// Operations on `session`.
    public init(session: Session) { self.session = session }

    func namespace(_ namespace: String?) -> String { namespace ?? session.namespace }

    /// `pod`, `deployment.apps`: how kubectl names a kind in `-o name` and messages.
    static func kindName(_ info: APIResourceInfo) -> String {
        info.kind.lowercased() + (info.group.isEmpty ? "" : ".\(info.group)")
    }

    // MARK: Read

    /// `kubectl get RESOURCE [NAME...]` with `-n`, `-A`, `-l`, `--field-selector`, `-o`.
    public func get(_ resource: String, names: [String] = [], namespace: String? = nil, allNamespaces: Bool = false,
                    labelSelector: String? = nil, fieldSelector: String? = nil, output: OutputFormat = .table) async throws -> ToolOutput {
        let info = try await client.resolveResource(resource)
        let scope: String? = info.isNamespaced && !allNamespaces ? self.namespace(namespace) : nil
        let resources = client.dynamic(info, in: scope)
        let options = ListOptions(labelSelector: labelSelector.map { LabelSelector(raw: $0) }, fieldSelector: try fieldSelector.map(Self.fieldSelector))
        let showNamespace = allNamespaces && info.isNamespaced
        switch output {
        case .table, .wide:
            var table: KubeTable
            if names.isEmpty {
                table = try await resources.table(options)
            } else {
                table = try await resources.table(names[0])
                for name in names.dropFirst() { table.rows += try await resources.table(name).rows }
            }
            if table.rows.isEmpty {
                let place = scope.map { "in \($0) namespace" } ?? ""
                return ToolOutput(text: "", structured: ["items": []], notice: "No resources found\(place.isEmpty ? "" : " " + place).")
            }
            let columns = table.columns.filter { output == .wide || $0.priority == 0 }.map { JSONValue.string($0.name) }
            let rows = table.rows.map { row in
                JSONValue.array(zip(table.columns, row.cells).filter { output == .wide || $0.0.priority == 0 }.map(\.1))
            }
            return ToolOutput(text: table.formatted(wide: output == .wide, showNamespace: showNamespace),
                              structured: ["columns": .array(columns), "rows": .array(rows)])
        case .name where names.isEmpty:
            // Names only: the table's rows carry each object's metadata, without decoding the objects.
            let lines = try await resources.table(options).rows.map { "\(Self.kindName(info))/\($0.metadata?.name ?? "")" }
            return ToolOutput(text: lines.map { $0 + "\n" }.joined(), structured: .array(lines.map { .string($0) }))
        case .json, .yaml, .name:
            var objects: [JSONValue] = []
            if names.isEmpty {
                for object in try await resources.list(options).items { objects.append(Self.complete(object, info)) }
            } else {
                for name in names { objects.append(Self.complete(try await resources.get(name), info)) }
            }
            if output == .name {
                let lines = objects.map { "\(Self.kindName(info))/\($0["metadata"]?["name"]?.stringValue ?? "")" }
                return ToolOutput(text: lines.map { $0 + "\n" }.joined(), structured: .array(lines.map { .string($0) }))
            }
            let value: JSONValue = names.count == 1 ? objects[0]
                : ["apiVersion": "v1", "items": .array(objects), "kind": "List", "metadata": ["resourceVersion": ""]]
            return ToolOutput(text: output == .json ? value.prettyJSONText() : value.yamlText, structured: value)
        }
    }

    /// An object with the `apiVersion` and `kind` lists leave out.
    static func complete(_ object: DynamicObject, _ info: APIResourceInfo) -> JSONValue {
        var copy = object
        copy.apiVersion = copy.apiVersion ?? info.apiVersion
        copy.kind = copy.kind ?? info.kind
        return copy.json
    }

    /// `a=b,c!=d` (kubectl's `--field-selector`).
    static func fieldSelector(_ text: String) throws -> FieldSelector {
        var selector = FieldSelector()
        for term in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !term.isEmpty {
            if let range = term.range(of: "!=") {
                selector = selector.notEquals(String(term[..<range.lowerBound]), String(term[range.upperBound...]))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                selector = selector.equals(String(term[..<range.lowerBound]), String(term[range.upperBound...]))
            } else {
                throw KubeError(code: .invalidArgument, message: "invalid field selector term \"\(term)\"",
                                location: .init(field: "--field-selector"), hint: "Use field=value or field!=value, comma-separated.")
            }
        }
        return selector
    }

    /// `kubectl describe RESOURCE NAME`: kubectl's layouts for pods, deployments, replica sets, services, nodes,
    /// namespaces, config maps and events, the generic one for everything else.
    public func describe(_ resource: String, name: String, namespace: String? = nil) async throws -> ToolOutput {
        let info = try await client.resolveResource(resource)
        let scope = self.namespace(namespace)
        let text: String
        switch (info.group, info.kind) {
        case ("", "Pod"): text = try await client.pods(in: scope).describe(name)
        case ("apps", "Deployment"): text = try await client.deployments(in: scope).describe(name)
        case ("apps", "ReplicaSet"): text = try await client.replicaSets(in: scope).describe(name)
        case ("", "Service"): text = try await client.resources(CoreV1.Service.self, in: scope).describe(name)
        case ("", "Node"): text = try await client.resources(CoreV1.Node.self).describe(name)
        case ("", "Namespace"): text = try await client.resources(CoreV1.Namespace.self).describe(name)
        case ("", "ConfigMap"): text = try await client.resources(CoreV1.ConfigMap.self, in: scope).describe(name)
        case ("", "Event"): text = try await client.events(in: scope).describe(name)
        default: text = try await client.dynamic(info, in: info.isNamespaced ? scope : nil).describe(name)
        }
        return ToolOutput(text: text, structured: ["kind": .string(info.kind), "name": .string(name), "description": .string(text)])
    }

    /// `kubectl logs POD [-c CONTAINER] [--tail N] [--previous] [--since-seconds S]`.
    public func logs(pod: String, namespace: String? = nil, container: String? = nil, tail: Int? = nil, previous: Bool = false,
                     sinceSeconds: Int? = nil) async throws -> ToolOutput {
        let text = try await client.pods(in: self.namespace(namespace)).logs(pod, options: Self.logOptions(container, tail, previous, sinceSeconds, follow: false))
        return ToolOutput(text: text, structured: ["pod": .string(pod), "log": .string(text)])
    }

    /// `kubectl logs -f`: the lines as they come.
    public func followLogs(pod: String, namespace: String? = nil, container: String? = nil, tail: Int? = nil) async throws -> LogLines {
        try await client.pods(in: self.namespace(namespace)).logLines(pod, options: Self.logOptions(container, tail, false, nil, follow: true))
    }

    static func logOptions(_ container: String?, _ tail: Int?, _ previous: Bool, _ since: Int?, follow: Bool) -> LogOptions {
        var options = LogOptions()
        options.container = container
        options.tailLines = tail.map(Int64.init)
        options.previous = previous
        options.sinceSeconds = since.map(Int64.init)
        options.follow = follow
        return options
    }

    /// `kubectl events [--for KIND/NAME]`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, oldest first.
    public func events(namespace: String? = nil, allNamespaces: Bool = false, forObject: String? = nil) async throws -> ToolOutput {
        let events = allNamespaces ? client.resourcesInAllNamespaces(CoreV1.Event.self) : client.events(in: self.namespace(namespace))
        var list: [CoreV1.Event]
        if let forObject {
            let parts = forObject.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw KubeError(code: .invalidArgument, message: "--for needs KIND/NAME, not \"\(forObject)\"", location: .init(field: "--for"))
            }
            let info = try await client.resolveResource(parts[0])
            list = try await events.events(forKind: info.kind, name: parts[1])
        } else {
            list = events.sorted(try await events.list().items)
        }
        if list.isEmpty {
            return ToolOutput(text: "", structured: ["events": []], notice: "No events found\(allNamespaces ? "" : " in \(self.namespace(namespace)) namespace").")
        }
        let now = Date()
        var rows: [KubeTable.Row] = []
        var structured: [JSONValue] = []
        for event in list {
            let seen = event.lastSeen.map { KubeAge.format(now.timeIntervalSince1970 - Double($0.secondsSinceEpoch)) } ?? "<unknown>"
            let object = "\(event.involvedObject?.kind?.lowercased() ?? "")/\(event.involvedObject?.name ?? "")"
            let message = (event.message ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            rows.append(KubeTable.Row(cells: [.string(seen), .string(event.type ?? ""), .string(event.reason ?? ""), .string(object), .string(message)],
                                      metadata: event.metadata))
            structured.append(["lastSeen": event.lastSeen.map { .string($0.description) } ?? nil, "type": .string(event.type ?? ""),
                               "reason": .string(event.reason ?? ""), "object": .string(object), "message": .string(message),
                               "namespace": .string(event.metadata?.namespace ?? "")])
        }
        let table = KubeTable(columns: ["Last Seen", "Type", "Reason", "Object", "Message"].map { KubeTable.Column(name: $0) }, rows: rows)
        return ToolOutput(text: table.formatted(showNamespace: allNamespaces), structured: ["events": .array(structured)])
    }

    /// Rows padded into columns two spaces apart (Go's tabwriter as `kubectl rollout history` sets it up), the
    /// last column as it is.
    static func columns(_ rows: [[String]]) -> String {
        let count = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    // MARK: Write

    /// `kubectl apply --server-side -f FILE`: each object created, configured or unchanged.
    public func apply(manifests: String, source: String, namespace: String? = nil, dryRun: Bool = false, force: Bool = false) async throws -> ToolOutput {
        try client.authorize("apply", needs: .write, on: "manifests")
        var options = ManifestApplyOptions(force: force, dryRun: dryRun)
        options.namespace = self.namespace(namespace)
        let results = try await client.apply(manifests: manifests, source: source, options: options)
        let failures = results.compactMap(\.error)
        let text = results.map { $0.description + "\n" }.joined()
        if let first = failures.first, failures.count == results.count {
            throw first
        }
        return ToolOutput(text: text, structured: .array(results.map { result in
            ["object": .string(result.reference), "result": .string(result.operation?.rawValue ?? "failed"),
             "error": result.error.map { .string($0.message) } ?? nil, "dryRun": .bool(result.dryRun)]
        }))
    }

    /// `kubectl delete RESOURCE NAME... | -l SELECTOR`.
    public func delete(_ resource: String, names: [String], namespace: String? = nil, labelSelector: String? = nil,
                       dryRun: Bool = false) async throws -> ToolOutput {
        try client.authorize("delete", needs: .write, on: resource)
        let info = try await client.resolveResource(resource)
        let resources = client.dynamic(info, in: info.isNamespaced ? self.namespace(namespace) : nil)
        var targets = names
        if names.isEmpty {
            guard let labelSelector else {
                throw KubeError(code: .invalidArgument, message: "resource(s) were provided, but no name was specified",
                                hint: "Name the objects, or select them with -l.")
            }
            targets = try await resources.list(ListOptions(labelSelector: LabelSelector(raw: labelSelector))).items.compactMap(\.name)
        }
        var lines: [String] = []
        for name in targets {
            _ = try await resources.delete(name, options: DeleteOptions(dryRun: dryRun))
            lines.append("\(info.kind.lowercased()) \"\(name)\" deleted\(dryRun ? " (server dry run)" : "")")
        }
        if lines.isEmpty { return ToolOutput(text: "", structured: .array([]), notice: "No resources found") }
        return ToolOutput(text: lines.map { $0 + "\n" }.joined(), structured: .array(targets.map { .string($0) }))
    }

    /// `kubectl scale RESOURCE NAME --replicas N`.
    public func scale(_ resource: String, name: String, replicas: Int, namespace: String? = nil, dryRun: Bool = false) async throws -> ToolOutput {
        try client.authorize("scale", needs: .write, on: resource)
        let info = try await client.resolveResource(resource)
        let scale = try await client.dynamic(info, in: self.namespace(namespace)).scale(name, replicas: Int32(replicas), options: WriteOptions(dryRun: dryRun))
        let line = "\(Self.kindName(info))/\(name) scaled\(dryRun ? " (server dry run)" : "")"
        return ToolOutput(text: line + "\n", structured: ["object": .string("\(Self.kindName(info))/\(name)"), "replicas": .integer(Int64(scale.spec?.replicas ?? 0))])
    }

    // MARK: Rollouts (deployments)

    /// What `kubectl rollout ACTION deployment/NAME` can do.
    public enum RolloutAction: String, Sendable, CaseIterable {
        /// Wait for the rollout to finish.
        case status
        /// Restart the pods (a new rollout).
        case restart
        /// Roll back to the previous (or a given) revision.
        case undo
        /// The revisions and their change causes.
        case history
        /// Stop rolling out changes.
        case pause
        /// Resume rolling out.
        case resume
    }

    /// `kubectl rollout ACTION deployment/NAME`; `progress` gets each status line while `status` waits.
    public func rollout(_ action: RolloutAction, deployment name: String, namespace: String? = nil, toRevision: Int64 = 0,
                        timeout: Duration? = nil, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> ToolOutput {
        let deployments = client.deployments(in: self.namespace(namespace))
        let reference = "deployment.apps/\(name)"
        if ![.status, .history].contains(action) { try client.authorize("rollout \(action.rawValue)", needs: .write, on: "deployments.apps") }
        func done(_ verb: String) -> ToolOutput {
            ToolOutput(text: "\(reference) \(verb)\n", structured: ["object": .string(reference), "result": .string(verb)])
        }
        switch action {
        case .status:
            var lines: [String] = []
            let final = try await deployments.waitForRollout(name, timeout: timeout) { status in
                if !status.isComplete { progress(status.message) }
            }
            lines.append(final.message)
            return ToolOutput(text: lines.joined(separator: "\n") + "\n", structured: ["object": .string(reference), "complete": .bool(final.isComplete),
                                                                                       "message": .string(final.message)])
        case .restart:
            _ = try await deployments.restart(name)
            return done("restarted")
        case .pause:
            _ = try await deployments.pause(name)
            return done("paused")
        case .resume:
            _ = try await deployments.resume(name)
            return done("resumed")
        case .undo:
            switch try await deployments.undoRollout(name, toRevision: toRevision) {
            case .rolledBack(let revision, _):
                var output = done("rolled back")
                output.structured = ["object": .string(reference), "result": "rolled back", "revision": .integer(revision)]
                return output
            case .skipped(let revision):
                return ToolOutput(text: "\(reference) skipped rollback (current template already matches revision \(revision))\n",
                                  structured: ["object": .string(reference), "result": "skipped", "revision": .integer(revision)])
            }
        case .history:
            let revisions = try await deployments.history(name)
            var rows = [["REVISION", "CHANGE-CAUSE"]]
            rows += revisions.map { ["\($0.revision)", $0.changeCause ?? "<none>"] }
            return ToolOutput(text: "\(reference) \n" + Self.columns(rows) + "\n",
                              structured: .array(revisions.map { ["revision": .integer($0.revision), "changeCause": $0.changeCause.map { .string($0) } ?? nil] }))
        }
    }

    // MARK: Full tier

    /// `kubectl exec POD [-c C] -- COMMAND...`: the output, collected, and the command's exit code.
    public func exec(pod: String, command: [String], namespace: String? = nil, container: String? = nil,
                     stdin: [UInt8]? = nil) async throws -> (output: ToolOutput, exitCode: Int) {
        try client.authorize("exec into", needs: .full, on: "pods")
        guard !command.isEmpty else {
            throw KubeError(code: .invalidArgument, message: "you must specify at least one command for the container")
        }
        let result = try await client.pods(in: self.namespace(namespace)).run(pod, command: command, container: container, stdin: stdin)
        return (ToolOutput(text: result.stdoutText, structured: ["stdout": .string(result.stdoutText), "stderr": .string(result.stderrText),
                                                                 "exitCode": .integer(Int64(result.exitCode))],
                           notice: result.stderrText.isEmpty ? nil : result.stderrText), result.exitCode)
    }

    /// `kubectl port-forward POD LOCAL:REMOTE...`: listening until the forwarder is closed.
    public func portForward(pod: String, ports: [PortMapping], namespace: String? = nil, address: String = "127.0.0.1") async throws -> PortForwarder {
        try client.authorize("port-forward to", needs: .full, on: "pods")
        return try await client.pods(in: self.namespace(namespace)).forward(pod, ports: ports, address: address)
    }

    /// `LOCAL:REMOTE`, `:REMOTE` (any free local port) or `PORT` (the same on both sides).
    public static func portMapping(_ text: String) throws -> PortMapping {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let local = parts.count == 2 ? (parts[0].isEmpty ? 0 : Int(parts[0])) : Int(parts[0])
        guard parts.count <= 2, let local, let remote = Int(parts.last ?? "") else {
            throw KubeError(code: .invalidArgument, message: "\"\(text)\" is not a port mapping", hint: "Use LOCAL:REMOTE, :REMOTE or PORT.")
        }
        return PortMapping(local: local, remote: remote)
    }

    /// `kubectl cp SRC DST`, one side `POD:PATH`.
    public func copy(from source: String, to destination: String, namespace: String? = nil, container: String? = nil) async throws -> ToolOutput {
        try client.authorize("copy files with", needs: .full, on: "pods")
        let pods = client.pods(in: self.namespace(namespace))
        func remote(_ text: String) -> (pod: String, path: String)? {
            guard let colon = text.firstIndex(of: ":"), !text.hasPrefix("/"), !text.hasPrefix(".") else { return nil }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        let report: CopyReport
        switch (remote(source), remote(destination)) {
        case (let from?, nil):
            report = try await pods.download(from: from.pod, path: from.path, to: URL(fileURLWithPath: destination), container: container)
        case (nil, let to?):
            report = try await pods.upload(URL(fileURLWithPath: source), to: to.pod, path: to.path, container: container)
        default:
            throw KubeError(code: .invalidArgument, message: "one of source or destination must be a remote file specification (POD:PATH)",
                            hint: "kubectl cp copies between this machine and a pod.")
        }
        // kubectl cp prints nothing on success; what was skipped (special files) goes to standard error.
        let skipped = report.skipped.map { "skipped \($0)" }.joined(separator: "\n")
        return ToolOutput(text: "", structured: ["files": .integer(Int64(report.files)), "directories": .integer(Int64(report.directories)),
                                                 "bytes": .integer(Int64(report.bytes)), "skipped": .array(report.skipped.map { .string($0) })],
                          notice: skipped.isEmpty ? nil : skipped)
    }
}

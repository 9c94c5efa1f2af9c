// kubekit-mcp: an MCP tool server (stdio) with kubectl's operations on KubeKit, in three tiers.
//
//   kubekit-mcp [--tier read|write|full] [--kubeconfig FILE] [--profile NAME] [--production-tier read|write|full]
//
// Tools above the server's tier are not listed (and not served). Each call may name its own `profile`,
// `context` and `namespace`; kubeconfigs are read in place, never copied or written; a 401 makes the
// transport refresh the credential (exec plugin, token file) and retry once. A profile named production gets
// the read tier unless --production-tier says otherwise. With no kubeconfig on the machine the tools answer
// from the embedded demo cluster. Standard output carries only JSON-RPC; logs go to standard error.

import Foundation
import KubeKit
import KubeKitToolbox
import Logging
import MCP

@main
struct KubeKitMCP {
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        do {
            let settings = try ServerSettings(arguments: Array(CommandLine.arguments.dropFirst()))
            let tools = ToolServer(settings: settings)
            let server = Server(name: "kubekit-mcp", version: "0.1.0", capabilities: .init(tools: .init(listChanged: false)))
            await server.withMethodHandler(ListTools.self) { _ in
                ListTools.Result(tools: ToolCatalog.tools(upTo: settings.tier))
            }
            await server.withMethodHandler(CallTool.self) { parameters in
                await tools.call(parameters.name, arguments: parameters.arguments ?? [:])
            }
            try await server.start(transport: StdioTransport())
            await server.waitUntilCompleted()
            await tools.shutdown()
        } catch {
            FileHandle.standardError.write(Data("kubekit-mcp: \(error)\n".utf8))
            exit(2)
        }
    }
}

/// The server's command line.
struct ServerSettings: Sendable {
    var tier = AccessTier.read
    var productionTier = AccessTier.read
    var defaults = ConnectionOptions()

    init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            func value() throws -> String {
                guard let value = iterator.next() else { throw KubeError(code: .invalidArgument, message: "\(argument) needs a value") }
                return value
            }
            func tierValue() throws -> AccessTier {
                let text = try value()
                guard let tier = AccessTier(name: text) else {
                    throw KubeError(code: .invalidArgument, message: "\(argument) must be read, write or full, not \"\(text)\"")
                }
                return tier
            }
            switch argument {
            case "--tier": tier = try tierValue()
            case "--production-tier": productionTier = try tierValue()
            case "--kubeconfig": defaults.kubeconfig = try value()
            case "--profile": defaults.profile = try value()
            case "--context": defaults.context = try value()
            case "--help", "-h":
                print("usage: kubekit-mcp [--tier read|write|full] [--kubeconfig FILE] [--profile NAME] [--context NAME] [--production-tier TIER]")
                exit(0)
            default:
                throw KubeError(code: .invalidArgument, message: "unknown argument \(argument)", hint: "Try --help.")
            }
        }
    }
}

/// The tools, their tiers and input schemas.
enum ToolCatalog {
    static let connection: [String: Value] = [
        "profile": ["type": "string", "description": "A named environment (ephemeral, stage, production, or KUBEKIT_PROFILE_<NAME>)."],
        "context": ["type": "string", "description": "The kubeconfig context."],
        "namespace": ["type": "string", "description": "The namespace (default: the context's)."],
    ]

    static func schema(_ properties: [String: Value], required: [String] = []) -> Value {
        .object(["type": "object", "properties": .object(properties.merging(connection) { own, _ in own }),
                 "required": .array(required.map { .string($0) })])
    }

    static let all: [(AccessTier, Tool)] = [
        (.read, Tool(name: "k8s_get", description: "List objects of a kind (or get some by name) as kubectl get prints them, or as JSON/YAML.",
                     inputSchema: schema(["resource": ["type": "string", "description": "pods, deploy, svc, nodes, any kind or short name"],
                                          "names": ["type": "array", "items": ["type": "string"]],
                                          "all_namespaces": ["type": "boolean"], "label_selector": ["type": "string"],
                                          "field_selector": ["type": "string"],
                                          "output": ["type": "string", "enum": ["table", "wide", "json", "yaml", "name"]]], required: ["resource"]),
                     annotations: .init(readOnlyHint: true))),
        (.read, Tool(name: "k8s_describe", description: "Describe one object with its events, as kubectl describe.",
                     inputSchema: schema(["resource": ["type": "string"], "name": ["type": "string"]], required: ["resource", "name"]),
                     annotations: .init(readOnlyHint: true))),
        (.read, Tool(name: "k8s_logs", description: "A container's log (tail, previous, since).",
                     inputSchema: schema(["pod": ["type": "string"], "container": ["type": "string"], "tail": ["type": "integer"],
                                          "previous": ["type": "boolean"], "since_seconds": ["type": "integer"]], required: ["pod"]),
                     annotations: .init(readOnlyHint: true))),
        (.read, Tool(name: "k8s_get_events", description: "Events, oldest first, optionally of one object (for: KIND/NAME).",
                     inputSchema: schema(["all_namespaces": ["type": "boolean"], "for": ["type": "string"]]),
                     annotations: .init(readOnlyHint: true))),
        (.write, Tool(name: "k8s_apply", description: "Server-side apply YAML or JSON manifests (one or more documents).",
                      inputSchema: schema(["manifests": ["type": "string"], "dry_run": ["type": "boolean"], "force": ["type": "boolean"]],
                                          required: ["manifests"]),
                      annotations: .init(destructiveHint: false, idempotentHint: true))),
        (.write, Tool(name: "k8s_delete", description: "Delete objects by name or label selector.",
                      inputSchema: schema(["resource": ["type": "string"], "names": ["type": "array", "items": ["type": "string"]],
                                           "label_selector": ["type": "string"], "dry_run": ["type": "boolean"]], required: ["resource"]),
                      annotations: .init(destructiveHint: true))),
        (.write, Tool(name: "k8s_scale", description: "Set the replicas of a deployment, replica set or stateful set.",
                      inputSchema: schema(["resource": ["type": "string"], "name": ["type": "string"], "replicas": ["type": "integer"],
                                           "dry_run": ["type": "boolean"]], required: ["resource", "name", "replicas"]),
                      annotations: .init(destructiveHint: true, idempotentHint: true))),
        (.write, Tool(name: "k8s_rollout", description: "A deployment's rollout: status, restart, undo, history, pause, resume.",
                      inputSchema: schema(["action": ["type": "string", "enum": ["status", "restart", "undo", "history", "pause", "resume"]],
                                           "deployment": ["type": "string"], "to_revision": ["type": "integer"],
                                           "timeout_seconds": ["type": "integer"]], required: ["action", "deployment"]),
                      annotations: .init(destructiveHint: true))),
        (.full, Tool(name: "k8s_exec", description: "Run a command in a container and return its output and exit code.",
                     inputSchema: schema(["pod": ["type": "string"], "command": ["type": "array", "items": ["type": "string"]],
                                          "container": ["type": "string"], "stdin": ["type": "string"]], required: ["pod", "command"]),
                     annotations: .init(destructiveHint: true))),
        (.full, Tool(name: "k8s_port_forward", description: "Forward local ports to a pod for a while (default 300 s); returns the local ports.",
                     inputSchema: schema(["pod": ["type": "string"], "ports": ["type": "array", "items": ["type": "string"]],
                                          "seconds": ["type": "integer"]], required: ["pod", "ports"]),
                     annotations: .init(destructiveHint: false))),
        (.full, Tool(name: "k8s_cp", description: "Copy files between this machine and a container; one side POD:PATH.",
                     inputSchema: schema(["source": ["type": "string"], "destination": ["type": "string"], "container": ["type": "string"]],
                                         required: ["source", "destination"]),
                     annotations: .init(destructiveHint: true))),
    ]

    /// The tools a server of `tier` lists.
    static func tools(upTo tier: AccessTier) -> [Tool] { all.filter { $0.0 <= tier }.map(\.1) }
}

/// Runs the tools: one session per (profile, context) kept for the server's life, so credentials are loaded
/// once and the embedded demo cluster keeps its state between calls.
actor ToolServer {
    let settings: ServerSettings
    /// Connecting tasks by options: concurrent first calls share one connection (and one demo cluster).
    var sessions: [ConnectionOptions: Task<Session, any Error>] = [:]
    /// Port-forwards still open, by a number of their own (each closes itself after its time).
    var forwarders: [Int: PortForwarder] = [:]
    var nextForwarder = 0

    init(settings: ServerSettings) { self.settings = settings }

    func session(_ arguments: [String: Value]) async throws -> Session {
        var options = settings.defaults
        if let profile = arguments["profile"]?.stringValue { options.profile = profile }
        if let context = arguments["context"]?.stringValue { options.context = context }
        options.tier = options.profile == "production" ? min(settings.tier, settings.productionTier) : settings.tier
        if let connecting = sessions[options] { return try await connecting.value }
        let connecting = Task { try await Session.connect(options) }
        sessions[options] = connecting
        do {
            return try await connecting.value
        } catch {
            sessions[options] = nil   // a broken kubeconfig may be fixed before the next call
            throw error
        }
    }

    func call(_ name: String, arguments: [String: Value]) async -> CallTool.Result {
        guard ToolCatalog.tools(upTo: settings.tier).contains(where: { $0.name == name }) else {
            return CallTool.Result(content: [.text(text: "unknown tool \"\(name)\" (this server serves the \(settings.tier) tier)", annotations: nil, _meta: nil)],
                                   isError: true)
        }
        do {
            let output = try await run(name, arguments, KubeOperations(session: try await session(arguments)))
            var text = output.text
            if let notice = output.notice { text += (text.isEmpty ? "" : "\n") + notice }
            let structured: Value = switch output.structured {
            case .object: Self.value(output.structured)
            default: .object(["result": Self.value(output.structured)])
            }
            return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: Optional(structured), isError: false)
        } catch let error as KubeError {
            return CallTool.Result(content: [.text(text: "\(error)", annotations: nil, _meta: nil)],
                                   structuredContent: Optional<Value>.some(["error": .string(error.message), "code": .string("\(error.code)")]), isError: true)
        } catch {
            return CallTool.Result(content: [.text(text: "\(error)", annotations: nil, _meta: nil)], isError: true)
        }
    }

    func run(_ name: String, _ arguments: [String: Value], _ operations: KubeOperations) async throws -> ToolOutput {
        func string(_ key: String) -> String? { arguments[key]?.stringValue }
        func require(_ key: String) throws -> String {
            guard let value = string(key), !value.isEmpty else {
                throw KubeError(code: .invalidArgument, message: "\(name) needs \"\(key)\"", location: .init(field: key))
            }
            return value
        }
        func int(_ key: String) -> Int? { arguments[key]?.intValue ?? arguments[key]?.doubleValue.map { Int($0) } }
        func bool(_ key: String) -> Bool { arguments[key]?.boolValue ?? false }
        func strings(_ key: String) -> [String] { arguments[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        let namespace = string("namespace")
        switch name {
        case "k8s_get":
            let format = try string("output").map { text in
                guard let format = OutputFormat(rawValue: text) else {
                    throw KubeError(code: .invalidArgument, message: "output must be table, wide, json, yaml or name, not \"\(text)\"",
                                    location: .init(field: "output"))
                }
                return format
            } ?? .table
            return try await operations.get(try require("resource"), names: strings("names"), namespace: namespace, allNamespaces: bool("all_namespaces"),
                                            labelSelector: string("label_selector"), fieldSelector: string("field_selector"), output: format)
        case "k8s_describe":
            return try await operations.describe(try require("resource"), name: try require("name"), namespace: namespace)
        case "k8s_logs":
            return try await operations.logs(pod: try require("pod"), namespace: namespace, container: string("container"), tail: int("tail"),
                                             previous: bool("previous"), sinceSeconds: int("since_seconds"))
        case "k8s_get_events":
            return try await operations.events(namespace: namespace, allNamespaces: bool("all_namespaces"), forObject: string("for"))
        case "k8s_apply":
            return try await operations.apply(manifests: try require("manifests"), source: "manifests", namespace: namespace,
                                              dryRun: bool("dry_run"), force: bool("force"))
        case "k8s_delete":
            return try await operations.delete(try require("resource"), names: strings("names"), namespace: namespace,
                                               labelSelector: string("label_selector"), dryRun: bool("dry_run"))
        case "k8s_scale":
            guard let replicas = int("replicas") else {
                throw KubeError(code: .invalidArgument, message: "k8s_scale needs \"replicas\"", location: .init(field: "replicas"))
            }
            return try await operations.scale(try require("resource"), name: try require("name"), replicas: replicas, namespace: namespace,
                                              dryRun: bool("dry_run"))
        case "k8s_rollout":
            let text = try require("action")
            guard let action = KubeOperations.RolloutAction(rawValue: text) else {
                throw KubeError(code: .invalidArgument, message: "action must be status, restart, undo, history, pause or resume, not \"\(text)\"",
                                location: .init(field: "action"))
            }
            var deployment = try require("deployment")
            if let slash = deployment.lastIndex(of: "/") { deployment = String(deployment[deployment.index(after: slash)...]) }
            return try await operations.rollout(action, deployment: deployment, namespace: namespace, toRevision: Int64(int("to_revision") ?? 0),
                                                timeout: .seconds(int("timeout_seconds") ?? 300))
        case "k8s_exec":
            let (output, code) = try await operations.exec(pod: try require("pod"), command: strings("command"), namespace: namespace,
                                                           container: string("container"), stdin: string("stdin").map { Array($0.utf8) })
            if code != 0 {
                throw KubeError(code: .commandFailed, message: "command terminated with exit code \(code)\n\(output.text)\(output.notice ?? "")")
            }
            return output
        case "k8s_port_forward":
            let mappings = try strings("ports").map(KubeOperations.portMapping)
            let forwarder = try await operations.portForward(pod: try require("pod"), ports: mappings, namespace: namespace)
            let seconds = int("seconds") ?? 300
            let id = nextForwarder
            nextForwarder += 1
            forwarders[id] = forwarder
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                await self.close(forwarder: id)
            }
            let lines = forwarder.mappings.map { "Forwarding from 127.0.0.1:\($0.local) -> \($0.remote)" }
            return ToolOutput(text: lines.joined(separator: "\n") + "\n(for \(seconds) s)",
                              structured: ["ports": .array(forwarder.mappings.map { ["local": .integer(Int64($0.local)), "remote": .integer(Int64($0.remote))] }),
                                           "seconds": .integer(Int64(seconds))])
        case "k8s_cp":
            var output = try await operations.copy(from: try require("source"), to: try require("destination"), namespace: namespace,
                                                   container: string("container"))
            output.text = "copied \(output.structured["files"]?.jsonText ?? "0") file(s), \(output.structured["bytes"]?.jsonText ?? "0") bytes"
            return output
        default:
            throw KubeError(code: .invalidArgument, message: "unknown tool \"\(name)\"")
        }
    }

    func close(forwarder id: Int) async {
        await forwarders.removeValue(forKey: id)?.close()
    }

    func shutdown() async {
        for forwarder in forwarders.values { await forwarder.close() }
        for connecting in sessions.values { await (try? connecting.value)?.shutdown() }
    }

    /// KubeKit's JSON as the MCP SDK's value.
    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .integer(let number): .int(Int(number))
        case .unsignedInteger(let number): number <= UInt64(Int.max) ? .int(Int(number)) : .double(Double(number))
        case .double(let number): .double(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(value))
        case .object(let object): .object(Dictionary(object.map { ($0.key, value($0.value)) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}

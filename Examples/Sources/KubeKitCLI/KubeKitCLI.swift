// kubekit: a kubectl-like CLI on KubeKit, with tool tiers and named profiles.
//
//   kubekit get pods -n demo -o wide          (read tier, the default)
//   kubekit --tier write scale deployment web --replicas 5
//   kubekit --profile stage --tier full exec web-0 -- ls /
//
// With no kubeconfig on the machine it talks to the embedded demo cluster and says so on standard error.
// Errors print as the KubeError text and exit 1; usage errors exit 2. Shell completion:
// `kubekit --generate-completion-script bash|zsh|fish`.

import ArgumentParser
import Foundation
import KubeKit
import KubeKitToolbox

@main
struct KubeKitCLI {
    static func main() async {
        do {
            var command = try Kubekit.parseAsRoot(GlobalOptions.movedAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as KubeError {
            Terminal.error("error: \(error)")
            exit(1)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = Kubekit.exitCode(for: error)
            let message = Kubekit.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                exit(0)
            }
            Terminal.error(message)
            // Usage errors exit 2 (as kubectl and most Unix tools), not argument-parser's 64.
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Standard error, unbuffered.
enum Terminal {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func write(_ output: ToolOutput) {
        if !output.text.isEmpty { FileHandle.standardOutput.write(Data(output.text.utf8)) }
        if let notice = output.notice { error(notice) }
    }
}

/// The options every command takes, as kubectl's global flags, plus `--profile` and `--tier`.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Path to the kubeconfig file (read in place, never written).", completion: .file())
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use.")
    var context: String?

    @Option(name: [.short, .long], help: "The namespace (default: the context's).")
    var namespace: String?

    @Option(help: "A named environment: ephemeral, stage, production (~/.kube/config.e, .s, .p; KUBEKIT_PROFILE_<NAME>=FILE adds one).")
    var profile: String?

    @Option(help: "What commands may do: read, write or full (default read; KUBEKIT_TIER; production never defaults above read).")
    var tier: String?

    /// The flags kubectl takes before its command too (`kubekit --tier write scale ...`), moved after the
    /// subcommand where argument-parser reads them.
    static func movedAfterSubcommand(_ arguments: [String]) -> [String] {
        let withValue: Set<String> = ["--kubeconfig", "--context", "-n", "--namespace", "--profile", "--tier"]
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if withValue.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if let name = argument.split(separator: "=", maxSplits: 1).first, argument.contains("="), withValue.contains(String(name)) {
                leading.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }

    func connect() async throws -> Session {
        var tierValue: AccessTier?
        if let tier {
            guard let parsed = AccessTier(name: tier) else {
                throw ValidationError("--tier must be read, write or full, not \"\(tier)\"")
            }
            tierValue = parsed
        }
        let session = try await Session.connect(ConnectionOptions(kubeconfig: kubeconfig, context: context, namespace: namespace,
                                                                  profile: profile, tier: tierValue))
        if session.isEmbedded {
            Terminal.error("kubekit: using \(session.origin)")
        }
        return session
    }

    /// Connects, runs `body`, closes the connection.
    func run(_ body: (KubeOperations) async throws -> Void) async throws {
        let session = try await connect()
        do {
            try await body(KubeOperations(session: session))
        } catch {
            await session.shutdown()
            throw error
        }
        await session.shutdown()
    }
}

struct Kubekit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubekit",
        abstract: "A kubectl-like client on KubeKit, with tool tiers and named profiles.",
        discussion: """
            Tiers: read (get, describe, logs, events), write (apply, delete, scale, rollout), full (exec, \
            port-forward, cp). Commands above the tier are refused before anything is sent.
            """,
        subcommands: [Get.self, Describe.self, Logs.self, Events.self, Apply.self, Delete.self, Scale.self, Rollout.self,
                      Exec.self, PortForward.self, Copy.self])
}

/// `TYPE NAME...` or `TYPE/NAME`.
func splitResource(_ resource: String, _ names: [String]) -> (String, [String]) {
    if let slash = resource.firstIndex(of: "/") {
        return (String(resource[..<slash]), [String(resource[resource.index(after: slash)...])] + names)
    }
    return (resource, names)
}

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List objects or show some, as the server prints them.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The resource type (pods, deploy, svc...), or TYPE/NAME.") var resource: String
    @Argument(help: "Names of objects (default: all).") var names: [String] = []
    @Flag(name: [.customShort("A"), .long], help: "All namespaces.") var allNamespaces = false
    @Option(name: [.short, .customLong("selector")], help: "A label selector (app=web,tier!=cache).") var labelSelector: String?
    @Option(name: .customLong("field-selector"), help: "A field selector (status.phase=Running).") var fieldSelector: String?
    @Option(name: [.short, .long], help: "json, yaml, wide or name.") var output: String?

    func run() async throws {
        let format: OutputFormat
        switch output {
        case nil: format = .table
        case let value?:
            guard let parsed = OutputFormat(rawValue: value), parsed != .table else {
                throw ValidationError("--output must be json, yaml, wide or name, not \"\(value)\"")
            }
            format = parsed
        }
        let (type, objectNames) = splitResource(resource, names)
        let types = type.split(separator: ",").map(String.init)
        try await global.run { operations in
            for (index, type) in types.enumerated() {
                // Several types (`get deploy,svc`): one table each, a blank line between, as kubectl.
                if index > 0, format == .table || format == .wide { Terminal.write(ToolOutput(text: "\n", structured: nil)) }
                Terminal.write(try await operations.get(type, names: objectNames, namespace: global.namespace, allNamespaces: allNamespaces,
                                                        labelSelector: labelSelector, fieldSelector: fieldSelector, output: format))
            }
        }
    }
}

struct Describe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an object in detail with its events, as kubectl describe.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The resource type, or TYPE/NAME.") var resource: String
    @Argument(help: "The object's name.") var name: String?

    func run() async throws {
        let (type, names) = splitResource(resource, name.map { [$0] } ?? [])
        guard names.count == 1 else { throw ValidationError("describe needs one object: TYPE NAME or TYPE/NAME") }
        try await global.run { operations in
            Terminal.write(try await operations.describe(type, name: names[0], namespace: global.namespace))
        }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a container's log.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The pod (or pod/NAME).") var pod: String
    @Option(name: [.short, .long], help: "The container.") var container: String?
    @Option(help: "Only the last N lines.") var tail: Int?
    @Flag(name: [.short, .long], help: "Keep printing new lines.") var follow = false
    @Flag(name: [.short, .long], help: "The previous container's log.") var previous = false
    @Option(name: .customLong("since-seconds"), help: "Only lines newer than this.") var sinceSeconds: Int?

    func run() async throws {
        let name = pod.hasPrefix("pod/") ? String(pod.dropFirst(4)) : pod
        try await global.run { operations in
            if follow {
                for try await line in try await operations.followLogs(pod: name, namespace: global.namespace, container: container, tail: tail) {
                    print(line)
                }
            } else {
                Terminal.write(try await operations.logs(pod: name, namespace: global.namespace, container: container, tail: tail,
                                                         previous: previous, sinceSeconds: sinceSeconds))
            }
        }
    }
}

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List events, oldest first, as kubectl events.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("A"), .long], help: "All namespaces.") var allNamespaces = false
    @Option(name: .customLong("for"), help: "Only the events of KIND/NAME.") var forObject: String?

    func run() async throws {
        try await global.run { operations in
            Terminal.write(try await operations.events(namespace: global.namespace, allNamespaces: allNamespaces, forObject: forObject))
        }
    }
}

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply manifests with server-side apply (write tier).")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .customLong("filename")], help: "A YAML or JSON file, or - for standard input.", completion: .file())
    var file: String
    @Option(name: .customLong("dry-run"), help: "server: have the server check without saving.") var dryRun: String?
    @Flag(name: .customLong("force-conflicts"), help: "Take over fields other managers own.") var force = false

    func run() async throws {
        let dryRunServer = try parseDryRun(dryRun)
        let text: String
        if file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw KubeError(code: .fileNotFound, message: "the path \"\(file)\" does not exist", location: .init(file: file))
            }
            text = String(decoding: data, as: UTF8.self)
        }
        try await global.run { operations in
            Terminal.write(try await operations.apply(manifests: text, source: file == "-" ? "<stdin>" : file, namespace: global.namespace,
                                                      dryRun: dryRunServer, force: force))
        }
    }
}

/// `--dry-run=server` (the only dry run KubeKit does: the server checks).
func parseDryRun(_ value: String?) throws -> Bool {
    switch value {
    case nil, "none": return false
    case "server": return true
    case "client": throw ValidationError("--dry-run=client is not supported: use --dry-run=server (the server validates without saving)")
    case let other?: throw ValidationError("--dry-run must be server or none, not \"\(other)\"")
    }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete objects (write tier).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The resource type, or TYPE/NAME.") var resource: String
    @Argument(help: "Names of objects.") var names: [String] = []
    @Option(name: [.short, .customLong("selector")], help: "Delete what this label selector matches.") var labelSelector: String?
    @Option(name: .customLong("dry-run"), help: "server: have the server check without deleting.") var dryRun: String?

    func run() async throws {
        let dryRunServer = try parseDryRun(dryRun)
        let (type, objectNames) = splitResource(resource, names)
        try await global.run { operations in
            Terminal.write(try await operations.delete(type, names: objectNames, namespace: global.namespace, labelSelector: labelSelector,
                                                       dryRun: dryRunServer))
        }
    }
}

struct Scale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set the replicas of a deployment, replica set or stateful set (write tier).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The resource type, or TYPE/NAME.") var resource: String
    @Argument(help: "The object's name.") var name: String?
    @Option(help: "The new replica count.") var replicas: Int
    @Option(name: .customLong("dry-run"), help: "server: have the server check without saving.") var dryRun: String?

    func run() async throws {
        let dryRunServer = try parseDryRun(dryRun)
        let (type, names) = splitResource(resource, name.map { [$0] } ?? [])
        guard names.count == 1 else { throw ValidationError("scale needs one object: TYPE NAME or TYPE/NAME") }
        try await global.run { operations in
            Terminal.write(try await operations.scale(type, name: names[0], replicas: replicas, namespace: global.namespace, dryRun: dryRunServer))
        }
    }
}

struct Rollout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage a deployment's rollout: status (read), restart, undo, history (read), pause, resume (write).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "status, restart, undo, history, pause or resume.") var action: String
    @Argument(help: "deployment/NAME (or NAME).") var deployment: String
    @Option(name: .customLong("to-revision"), help: "undo: the revision to roll back to (default: the previous one).") var toRevision: Int64 = 0
    @Option(help: "status: give up after this many seconds.") var timeout: Int?

    func run() async throws {
        guard let rolloutAction = KubeOperations.RolloutAction(rawValue: action) else {
            throw ValidationError("rollout action must be one of \(KubeOperations.RolloutAction.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(action)\"")
        }
        var name = deployment
        for prefix in ["deployment/", "deployments/", "deploy/", "deployment.apps/"] where name.hasPrefix(prefix) { name = String(name.dropFirst(prefix.count)) }
        let timeout = self.timeout.map { Duration.seconds($0) }
        try await global.run { operations in
            // A progress line on a long wait (kubectl prints each distinct status too).
            Terminal.write(try await operations.rollout(rolloutAction, deployment: name, namespace: global.namespace, toRevision: toRevision,
                                                        timeout: timeout) { line in Terminal.error(line) })
        }
    }
}

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a command in a container (full tier); exits with its exit code.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The pod.") var pod: String
    @Option(name: [.short, .long], help: "The container.") var container: String?
    @Flag(name: [.short, .customLong("stdin")], help: "Pass standard input to the command.") var stdin = false
    @Argument(parsing: .postTerminator, help: "The command, after --.") var command: [String] = []

    func run() async throws {
        let input = stdin ? [UInt8](FileHandle.standardInput.readDataToEndOfFile()) : nil
        var exitCode = 0
        try await global.run { operations in
            let (output, code) = try await operations.exec(pod: pod, command: command, namespace: global.namespace, container: container, stdin: input)
            Terminal.write(output)
            exitCode = code
        }
        if exitCode != 0 { throw ExitCode(Int32(truncatingIfNeeded: exitCode)) }
    }
}

struct PortForward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port-forward", abstract: "Forward local ports to a pod (full tier) until interrupted.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The pod (or pod/NAME).") var pod: String
    @Argument(help: "LOCAL:REMOTE, :REMOTE or PORT.") var ports: [String]
    @Option(help: "The local address to listen on.") var address = "127.0.0.1"
    @Option(help: "Stop after this many seconds (default: never).") var seconds: Int?

    func run() async throws {
        let mappings = try ports.map(KubeOperations.portMapping)
        let name = pod.hasPrefix("pod/") ? String(pod.dropFirst(4)) : pod
        try await global.run { operations in
            let forwarder = try await operations.portForward(pod: name, ports: mappings, namespace: global.namespace, address: address)
            for mapping in forwarder.mappings { print("Forwarding from \(address):\(mapping.local) -> \(mapping.remote)") }
            if let seconds {
                try await Task.sleep(for: .seconds(seconds))
            } else {
                for await failure in forwarder.failures { Terminal.error("error: \(failure)") }
            }
            await forwarder.close()
        }
    }
}

struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cp", abstract: "Copy files to or from a container (full tier); POD:PATH on one side.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The source (a local path or POD:PATH).") var source: String
    @Argument(help: "The destination (a local path or POD:PATH).") var destination: String
    @Option(name: [.short, .long], help: "The container.") var container: String?

    func run() async throws {
        try await global.run { operations in
            Terminal.write(try await operations.copy(from: source, to: destination, namespace: global.namespace, container: container))
        }
    }
}

// kubekit-bench: KubeKit's client for the peer benchmark harness (../shared/bench in the project's
// workspace). Each command does one workload in one process and prints the count as its last line.
//
//   kubekit-bench get-pod NAME [--kubeconfig FILE] [--namespace NS] [--repeat N] [--concurrency C]
//   kubekit-bench watch-pods [--kubeconfig FILE] [--namespace NS]
//
// get-pod: N GETs of one pod (sequential, or C in flight), each body decoded; prints the number decoded.
// watch-pods: one watch request, every event decoded until the stream ends; prints the number decoded.

import Foundation
import KubeConfig
import KubeErrors
import KubeTransport

/// The fields every decoded pod must have; the full generated models arrive with KubeResources.
struct PodSummary: Decodable {
    struct Metadata: Decodable {
        var name: String
        var namespace: String?
        var uid: String?
        var resourceVersion: String?
    }
    struct Status: Decodable { var phase: String? }
    var kind: String?
    var metadata: Metadata
    var status: Status?
}

struct Arguments {
    var command = ""
    var positional: [String] = []
    var options: [String: String] = [:]

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        command = iterator.next() ?? ""
        while let argument = iterator.next() {
            if argument.hasPrefix("--") {
                options[String(argument.dropFirst(2))] = iterator.next() ?? ""
            } else {
                positional.append(argument)
            }
        }
    }

    func int(_ name: String, default value: Int) -> Int { options[name].flatMap(Int.init) ?? value }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("kubekit-bench: \(message)\n".utf8))
    exit(2)
}

func getPod(_ arguments: Arguments) async throws -> Int {
    guard let name = arguments.positional.first else { fail("get-pod needs a pod name") }
    let loader = KubeconfigLoader(explicitPaths: arguments.options["kubeconfig"].map { [$0] } ?? [])
    let configuration = try loader.load(ConfigOverrides(namespace: arguments.options["namespace"]))
    let transport = CurlTransport(configuration)
    defer { transport.shutdown() }
    let request = KubeRequest(path: "/api/v1/namespaces/\(configuration.namespace)/pods/\(name)")
    let repeatCount = arguments.int("repeat", default: 1)
    let concurrency = max(1, arguments.int("concurrency", default: 1))
    let decoder = JSONDecoder()

    @Sendable func fetch() async throws -> Int {
        let (_, body) = try await transport.data(for: request)
        let pod = try decoder.decode(PodSummary.self, from: Data(body))
        return pod.metadata.name == name ? 1 : 0
    }

    if concurrency == 1 {
        var decoded = 0
        for _ in 0..<repeatCount { decoded += try await fetch() }
        return decoded
    }
    return try await withThrowingTaskGroup(of: Int.self) { group in
        var started = 0
        var decoded = 0
        while started < min(concurrency, repeatCount) {
            group.addTask { try await fetch() }
            started += 1
        }
        while let result = try await group.next() {
            decoded += result
            if started < repeatCount {
                group.addTask { try await fetch() }
                started += 1
            }
        }
        return decoded
    }
}

struct WatchEvent: Decodable {
    var type: String
    var object: PodSummary
}

func watchPods(_ arguments: Arguments) async throws -> Int {
    let loader = KubeconfigLoader(explicitPaths: arguments.options["kubeconfig"].map { [$0] } ?? [])
    let configuration = try loader.load(ConfigOverrides(namespace: arguments.options["namespace"]))
    let transport = CurlTransport(configuration)
    defer { transport.shutdown() }
    let request = KubeRequest(path: "/api/v1/namespaces/\(configuration.namespace)/pods",
                              query: [("watch", "true"), ("allowWatchBookmarks", "true")], kind: .stream)
    let response = try await transport.send(request)
    let decoder = JSONDecoder()
    var decoded = 0
    for try await line in response.body.lines where !line.isEmpty {
        let event = try line.withUnsafeBufferPointer { try decoder.decode(WatchEvent.self, from: Data(buffer: $0)) }
        if !event.object.metadata.name.isEmpty { decoded += 1 }
    }
    return decoded
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
do {
    switch arguments.command {
    case "get-pod":
        print(try await getPod(arguments))
    case "watch-pods":
        print(try await watchPods(arguments))
    default:
        fail("unknown command \"\(arguments.command)\"; commands: get-pod, watch-pods")
    }
} catch {
    fail("\(error)")
}

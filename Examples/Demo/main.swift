// kubekit-demo: loads the Kubernetes configuration the way kubectl does, prints what a client connects to
// (without secrets), then asks the server for its version, the first pods of the namespace and the
// rollout state of its deployments through the typed API (read-only tier).
//
//   swift run kubekit-demo [--kubeconfig FILE] [--context NAME] [--namespace NS] [--profile ephemeral|stage|production]
//
// With no kubeconfig on the machine (and not in a pod) it uses an embedded demo kubeconfig and answers from
// in-memory recorded responses (KubeTesting's RecordedTransport), so it always runs.

import Foundation
import KubeKit
import KubeTesting

let embeddedDemoKubeconfig = """
    apiVersion: v1
    kind: Config
    current-context: demo
    clusters:
    - name: demo-cluster
      cluster:
        server: https://demo.k8s.test:6443
        # A test-only CA (KubeKit's loopback test CA): the demo never connects, but the CA must be a real certificate.
        certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURGekNDQWYrZ0F3SUJBZ0lVQ3Y1cDRaWE1XRVdKVjRDQXVjOXUwelUrVGNNd0RRWUpLb1pJaHZjTkFRRUwKQlFBd0dqRVlNQllHQTFVRUF3d1BhM1ZpWld0cGRDMTBaWE4wTFdOaE1DQVhEVEkyTVRFeU1qRTBNell3TjFvWQpEekl4TWpZeE1ESTVNVFF6TmpBM1dqQWFNUmd3RmdZRFZRUUREQTlyZFdKbGEybDBMWFJsYzNRdFkyRXdnZ0VpCk1BMEdDU3FHU0liM0RRRUJBUVVBQTRJQkR3QXdnZ0VLQW9JQkFRQ3M1MHI0YURVeUpZKzNMaWo2U0s0OWhRbG8KYVJHeUxMTVcyTE02V3FGUFoyODlIR250SUV6VjU0dzZ6RTFUZkMwNkFJN0lnU0FxRG5RNVJEcXZnU2Z5Ly84VAppdGd6TUhuZTdscU9EdnVvT3lSZThHa042UzRESzlhaTZ6TzJsbmQwZ2Z4TXJPaGhuTGJ4czZiTDduWmhMZzF5CjFoaDJrUFpzNGF0akhoa01NWGtpUnAzd2tXQWtGdXJmU2xBMUY4ckZMRzBCdEpqQVVUWU1XVktKZU85YVg1K1MKZlRxTDVsb0NDT0RLVXRLRDNVRThzMWlnR2Nld2Z5eEJTU0ZKdVpJTTZWOGFnRjlWWU9VUmY0OW5lYzlYN3RlRgpHeEtGOWVnc00vTFRjb1pjRm1aOHBRU1VPT1RrSm8xeEdZbXR1T1BqbVptTVNDUzhVMVh4c2ZXT1ZkejNBZ01CCkFBR2pVekJSTUIwR0ExVWREZ1FXQkJTcGpKd25NekxZRWlvYXZvL2lYS0ZRMDZKZitUQWZCZ05WSFNNRUdEQVcKZ0JTcGpKd25NekxZRWlvYXZvL2lYS0ZRMDZKZitUQVBCZ05WSFJNQkFmOEVCVEFEQVFIL01BMEdDU3FHU0liMwpEUUVCQ3dVQUE0SUJBUUNrWE9NQ09CU3pkUHM2bWd0cHduQTc0NHhKbEFWMjJGbXMyK29DaXI5WVg5TDZ0UGZrCnlnQ2YyZURoajQ0Nlpualg3aWVzZHNuRzgyR3k5SHlyRnZyNmtVMFNLZWZjMW90NVhBdXlrWENlKytPUk9MNWIKQkxXUFpKQzd2eEpKM25MN0hubC8yN1ZCcys3NWlWclgvRk5kK1BwWm9YVkdad2J2L2phQmV0eTF0YmQ0RGJMbQptTVd0MktvV2dFZngvTWtzWThjYUJxZksyYlU5RVByOGZPSWhwSFM5TE5FNTVVU3p3VmVtS1JrUUdEMXVZenlpCk5XZDBtT0JsNjFoM1FzdVVaOHlLR2Z0d0cxcm5nNTZVV0ZBOWFXYWZjOG90RzM0Z0c2L2xpc2xsL01DRU1DbG0Kd1RrT0RaaGJWOEszMmtyRDlOcVJOL3VvdjNpS2RrbDMveVdSCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
    users:
    - name: demo-user
      user:
        token: demo-token-never-printed
    contexts:
    - name: demo
      context: {cluster: demo-cluster, user: demo-user, namespace: demo}
    """

struct Options {
    var kubeconfig: String?
    var profile: String?
    var overrides = ConfigOverrides()

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            func value() throws -> String {
                guard let value = iterator.next() else { throw KubeError(code: .invalidConfiguration, message: "\(argument) needs a value") }
                return value
            }
            switch argument {
            case "--kubeconfig": kubeconfig = try value()
            case "--context": overrides.context = try value()
            case "--namespace", "-n": overrides.namespace = try value()
            case "--profile": profile = try value()
            case "--help", "-h":
                print("usage: kubekit-demo [--kubeconfig FILE] [--context NAME] [--namespace NS] [--profile ephemeral|stage|production]")
                exit(0)
            default:
                throw KubeError(code: .invalidConfiguration, message: "unknown argument \(argument)", hint: "Try --help.")
            }
        }
    }
}

func loadConfiguration(_ options: Options) throws -> (ClientConfiguration, origin: String) {
    if let profile = options.profile {
        let configuration = try ClusterProfiles.suffixedFiles().configuration(for: profile, overrides: options.overrides)
        return (configuration, "profile \(profile) (\(configuration.sources.joined(separator: ", ")))")
    }
    let loader = KubeconfigLoader(explicitPaths: options.kubeconfig.map { [$0] } ?? [])
    do {
        let configuration = try loader.load(options.overrides)
        let origin = configuration.sources.isEmpty ? "in-cluster service account" : configuration.sources.joined(separator: ", ")
        return (configuration, origin)
    } catch let error as KubeError {
        guard error.code == .configurationNotFound else { throw error }
        let demo = try Kubeconfig(yaml: embeddedDemoKubeconfig, file: "embedded demo kubeconfig")
        return (try loader.resolve(demo, overrides: options.overrides), "embedded demo kubeconfig (no kubeconfig found on this machine)")
    }
}

/// Responses a small cluster would give, for the offline demo (shapes as kube-apiserver v1.36 sends them).
let embeddedRecordings: [Recording] = [
    Recording(
        description: "GET /version",
        request: .init(method: "GET", path: "/version"),
        response: .init(status: 200, headers: ["content-type": "application/json"], body: """
            {"major":"1","minor":"36","gitVersion":"v1.36.2","platform":"linux/amd64"}
            """)),
    Recording(
        description: "LIST pods in demo, first page",
        request: .init(method: "GET", path: "/api/v1/namespaces/demo/pods?limit=10"),
        response: .init(status: 200, headers: ["content-type": "application/json"], body: """
            {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"2105"},"items":[
            {"metadata":{"name":"api-7d9c6b8f4-lx2kq","namespace":"demo"},"status":{"phase":"Pending"}},
            {"metadata":{"name":"web-f9cfb4c88-2bhrx","namespace":"demo"},"status":{"phase":"Running"}},
            {"metadata":{"name":"web-f9cfb4c88-q425z","namespace":"demo"},"status":{"phase":"Running"}}]}
            """)),
    Recording(
        description: "LIST deployments in demo",
        request: .init(method: "GET", path: "/apis/apps/v1/namespaces/demo/deployments"),
        response: .init(status: 200, headers: ["content-type": "application/json"], body: """
            {"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{"resourceVersion":"2105"},"items":[
            {"metadata":{"name":"api","namespace":"demo","generation":3},"spec":{"replicas":2},
             "status":{"observedGeneration":3,"replicas":2,"updatedReplicas":1,"availableReplicas":1}},
            {"metadata":{"name":"web","namespace":"demo","generation":5},"spec":{"replicas":3},
             "status":{"observedGeneration":5,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3}}]}
            """)),
]

struct VersionInfo: Decodable { var gitVersion: String; var platform: String? }

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let (configuration, origin) = try loadConfiguration(options)
    print("KubeKit demo — resolved Kubernetes configuration")
    print("source: \(origin)")
    print(configuration.description)

    let offline = origin.hasPrefix("embedded")
    let transport: any KubeTransport
    if offline {
        transport = RecordedTransport(embeddedRecordings)
        print("transport: recorded responses (offline demo)")
    } else {
        var settings = CurlTransport.Configuration()
        settings.requestTimeout = .seconds(10)
        settings.retryPolicy = RetryPolicy(maxAttempts: 2)
        transport = CurlTransport(configuration, configuration: settings)
        print("transport: \(Libcurl.current)")
    }

    let decoder = JSONDecoder()
    let (_, versionBody) = try await transport.data(for: KubeRequest(path: "/version"))
    let version = try decoder.decode(VersionInfo.self, from: Data(versionBody))
    print("\nserver version: \(version.gitVersion)\(version.platform.map { " (\($0))" } ?? "")")

    // The typed API, read-only: this demo cannot change anything.
    let client = KubeClient(transport: transport, namespace: configuration.namespace, tier: .read)
    let pods = try await client.pods().list(ListOptions(limit: 10)).items
    print("pods in \(configuration.namespace): \(pods.isEmpty ? "none" : "")")
    let width = pods.map { $0.metadata?.name?.count ?? 0 }.max() ?? 0
    for pod in pods {
        let name = pod.metadata?.name ?? "?"
        print("  \(name.padding(toLength: width + 2, withPad: " ", startingAt: 0))\(pod.status?.phase ?? "Unknown")")
    }
    let deployments = try await client.deployments().list().items
    print("deployments in \(configuration.namespace): \(deployments.isEmpty ? "none" : "")")
    for deployment in deployments {
        let status = (try? RolloutStatus.of(deployment).message) ?? "rollout failed"
        print("  \(status)")
    }
    do {
        _ = try await client.deployments().restart("web")
    } catch let error as KubeError where error.code == .tierDenied {
        print("\nrestart refused before sending anything: \(error.message)")
    }
    await (transport as? CurlTransport)?.shutdown()
} catch let error as KubeError {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}

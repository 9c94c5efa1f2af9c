// kubekit-demo: loads the Kubernetes configuration the way kubectl does and prints what a client would
// connect to — without secrets and without contacting the cluster.
//
//   swift run kubekit-demo [--kubeconfig FILE] [--context NAME] [--namespace NS] [--profile ephemeral|stage|production]
//
// With no kubeconfig on the machine (and not in a pod) it uses an embedded demo kubeconfig, so it always runs.

import Foundation
import KubeKit

let embeddedDemoKubeconfig = """
    apiVersion: v1
    kind: Config
    current-context: demo
    clusters:
    - name: demo-cluster
      cluster:
        server: https://demo.k8s.test:6443
        certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmRlbW8KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
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

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let (configuration, origin) = try loadConfiguration(options)
    print("KubeKit demo — resolved Kubernetes configuration")
    print("source: \(origin)")
    print(configuration.description)
    print("transport: \(Libcurl.current)")
} catch let error as KubeError {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}

// list-pods: the pods of a namespace with their phase and node, through the typed API.
//
//   swift run list-pods [NAMESPACE]
//
// Uses your kubeconfig as kubectl would; with none, the embedded demo cluster.

import KubeKit
import KubeKitToolbox

let namespace = CommandLine.arguments.dropFirst().first
let session = try await Session.connect(ConnectionOptions(namespace: namespace))
print("# \(session.origin)")
for pod in try await session.client.pods().list().items {
    let name = pod.metadata?.name ?? "?"
    print("\(name)\t\(pod.status?.phase ?? "Unknown")\t\(pod.spec?.nodeName ?? "-")")
}
await session.shutdown()

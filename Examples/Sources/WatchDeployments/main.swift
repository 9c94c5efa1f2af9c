// watch-deployments: prints each change to the namespace's deployments (ready/desired replicas) as it
// happens; a watch that resumes across disconnects and relists when its resourceVersion expires.
//
//   swift run watch-deployments [--seconds N]
//
// Against the embedded demo cluster it scales `web` once so there is something to see.

import Foundation
import KubeKit
import KubeKitToolbox

let arguments = Array(CommandLine.arguments.dropFirst())
let seconds = arguments.firstIndex(of: "--seconds").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 30
let session = try await Session.connect(ConnectionOptions(tier: .write))
print("# \(session.origin); watching deployments in \(session.namespace) for \(seconds) s")
let deployments = session.client.deployments()

func line(_ deployment: AppsV1.Deployment) -> String {
    "\(deployment.metadata?.name ?? "?") \(deployment.status?.readyReplicas ?? 0)/\(deployment.spec?.replicas ?? 1) ready"
}

let watcher = Task {
    for try await event in deployments.watch() {
        switch event {
        case .added(let deployment): print("ADDED     \(line(deployment))")
        case .modified(let deployment): print("MODIFIED  \(line(deployment))")
        case .deleted(let deployment): print("DELETED   \(deployment.metadata?.name ?? "?")")
        case .relisted(let all): print("RELISTED  \(all.map(line).joined(separator: ", "))")
        case .bookmark: break
        }
    }
}
if session.isEmbedded {
    try await Task.sleep(for: .milliseconds(200))
    _ = try await deployments.scale("web", replicas: 4)
}
try? await Task.sleep(for: .seconds(seconds))
watcher.cancel()
await session.shutdown()

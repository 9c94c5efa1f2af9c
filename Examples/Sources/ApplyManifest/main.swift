// apply-manifest: server-side apply of a YAML file (or a built-in example), then what changed.
//
//   swift run apply-manifest [FILE] [--dry-run]
//
// Needs the write tier, which this example asks for explicitly.

import Foundation
import KubeKit
import KubeKitToolbox

let arguments = Array(CommandLine.arguments.dropFirst())
let dryRun = arguments.contains("--dry-run")
let file = arguments.first { !$0.hasPrefix("--") }
let manifests = try file.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? """
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: greeting}
    data: {message: hello from KubeKit}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: hello}
    spec:
      replicas: 1
      selector: {matchLabels: {app: hello}}
      template:
        metadata: {labels: {app: hello}}
        spec:
          containers: [{name: hello, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: [netexec]}]
    """
let session = try await Session.connect(ConnectionOptions(tier: .write))
print("# \(session.origin)")
let results = try await session.client.apply(manifests: manifests, source: file ?? "built-in example",
                                             options: ManifestApplyOptions(dryRun: dryRun))
for result in results { print(result) }
await session.shutdown()
exit(results.contains { $0.error != nil } ? 1 : 0)

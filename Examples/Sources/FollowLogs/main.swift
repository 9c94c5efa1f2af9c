// follow-logs: follows a pod's log line by line (kubectl logs -f), the first pod of the namespace by default.
//
//   swift run follow-logs [POD] [--tail N]

import Foundation
import KubeKit
import KubeKitToolbox

let arguments = Array(CommandLine.arguments.dropFirst())
let tail = arguments.firstIndex(of: "--tail").flatMap { arguments.indices.contains($0 + 1) ? Int64(arguments[$0 + 1]) : nil }
let session = try await Session.connect(ConnectionOptions())
print("# \(session.origin)")
let pods = session.client.pods()
let named = arguments.first { !$0.hasPrefix("--") && Int($0) == nil }
let first = named == nil ? try await pods.list().items.first?.metadata?.name : nil
guard let pod = named ?? first else {
    print("no pods in \(session.namespace)")
    exit(0)
}
var options = LogOptions()
options.follow = true
options.tailLines = tail
print("# following \(pod)")
for try await line in try await pods.logLines(pod, options: options) {
    print(line)
}
await session.shutdown()

// tiny-controller: a controller on an informer and a work queue. It keeps every deployment in the namespace
// labelled `owner` (adding `owner=unknown` where missing), reconciling from the informer's cache and retrying
// failures with backoff.
//
//   swift run tiny-controller [--seconds N]

import Foundation
import KubeKit
import KubeKitToolbox

let arguments = Array(CommandLine.arguments.dropFirst())
let seconds = arguments.firstIndex(of: "--seconds").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 10
let session = try await Session.connect(ConnectionOptions(tier: .write))
print("# \(session.origin); reconciling deployments in \(session.namespace) for \(seconds) s")
let deployments = session.client.deployments()
let informer = Informer(deployments)
let queue = WorkQueue<String>()

/// Labels one deployment, from the cache: nothing to do when the label is there.
func reconcile(_ name: String) async throws {
    guard let deployment = informer.store.get(name, namespace: session.namespace), deployment.metadata?.labels?["owner"] == nil else { return }
    _ = try await deployments.patch(name, .merge(["metadata": ["labels": ["owner": "unknown"]]]))
    print("labelled deployment \(name) owner=unknown")
}

let controller = Task {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await informer.run() }
        group.addTask {
            for await event in informer.events {
                switch event {
                case .added(let object), .updated(_, let object): queue.add(object.metadata?.name ?? "")
                case .deleted: break
                }
            }
        }
        group.addTask {
            while let name = await queue.next() {
                do {
                    try await reconcile(name)
                    queue.forget(name)
                } catch {
                    print("retrying \(name): \(error)")
                    queue.addRateLimited(name)
                }
                queue.done(name)
            }
        }
        try await group.waitForAll()
    }
}
try? await Task.sleep(for: .seconds(seconds))
controller.cancel()
queue.shutDown()
await session.shutdown()

import Foundation
import Testing

@Suite("the kubekit CLI, run as a binary against the embedded demo cluster", .timeLimit(.minutes(2)))
struct CLITests {
    @Test("get pods: kubectl's table, and the embedded cluster announced on standard error's first line")
    func getPods() throws {
        let result = try Binaries.run("kubekit", ["get", "pods"])
        #expect(result.status == 0)
        #expect(result.stderr.hasPrefix("kubekit: using the embedded demo cluster (no kubeconfig found"))
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "NAME                READY   STATUS    RESTARTS   AGE")
        #expect(lines.count == 6)
        #expect(lines.dropFirst().allSatisfy { $0.contains("1/1     Running   0") })
        #expect(lines.filter { $0.hasPrefix("web-") }.count == 3)
    }

    @Test("get -o wide, -o name, -o json, -o yaml and several kinds at once")
    func outputs() throws {
        let wide = try Binaries.run("kubekit", ["get", "pods", "-n", "demo", "-o", "wide", "-l", "app=web"])
        #expect(wide.stdout.hasPrefix("NAME                READY   STATUS    RESTARTS   AGE   IP            NODE        NOMINATED NODE   READINESS GATES\n"))
        #expect(wide.stdout.split(separator: "\n").count == 4)
        let names = try Binaries.run("kubekit", ["get", "deploy", "-o", "name"])
        #expect(names.stdout == "deployment.apps/api\ndeployment.apps/web\n")
        let json = try Binaries.run("kubekit", ["get", "deployment/web", "-o", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["kind"] as? String == "Deployment")
        #expect((object?["spec"] as? [String: Any])?["replicas"] as? Int == 3)
        let yaml = try Binaries.run("kubekit", ["get", "cm", "app-config", "-o", "yaml"])
        #expect(yaml.stdout.hasPrefix("apiVersion: v1\ndata:\n  FEATURE_FLAGS: checkout,search\n  LOG_LEVEL: info\nkind: ConfigMap\n"))
        let all = try Binaries.run("kubekit", ["get", "deploy", "-A"])
        #expect(all.stdout.hasPrefix("NAMESPACE   NAME   READY   UP-TO-DATE   AVAILABLE   AGE\ndemo        api    2/2     2            2           "))
        let both = try Binaries.run("kubekit", ["get", "deploy,svc"])
        #expect(both.stdout.contains("web    3/3     3            3           ") && both.stdout.contains("\n\nNAME   TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)   AGE\n"))
    }

    @Test("describe deployment: kubectl's layout with the replica sets and events")
    func describe() throws {
        let result = try Binaries.run("kubekit", ["describe", "deployment", "web"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("Name:                   web\nNamespace:              demo\n"))
        #expect(result.stdout.contains("Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable\n"))
        #expect(result.stdout.contains("RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"))
        #expect(result.stdout.contains("OldReplicaSets:  <none>\nNewReplicaSet:   web-q2pc5hn (3/3 replicas created)\n"))
        #expect(result.stdout.contains("ScalingReplicaSet"))
    }

    @Test("logs and events")
    func logsAndEvents() throws {
        let pod = try Binaries.run("kubekit", ["get", "pods", "-l", "app=web", "-o", "name"]).stdout.split(separator: "\n")[0]
        let logs = try Binaries.run("kubekit", ["logs", String(pod)])
        #expect(logs.stdout == "/docker-entrypoint.sh: Configuration complete; ready for start up\n10.244.0.1 - - \"GET / HTTP/1.1\" 200 615 \"-\" \"kube-probe/1.36\"\n")
        let events = try Binaries.run("kubekit", ["events", "--for", "deployment/web"])
        #expect(events.stdout.hasPrefix("LAST SEEN   TYPE     REASON              OBJECT           MESSAGE\n"))
        #expect(events.stdout.contains("Scaled up replica set web-q2pc5hn from 0 to 3"))
    }

    @Test("tiers: read refuses writes before sending anything; --tier write (before or after the command) allows them")
    func tiers() throws {
        let refused = try Binaries.run("kubekit", ["scale", "deploy", "web", "--replicas", "5"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("error: scale deploy needs the write tier; this client has the read tier\n"))
        let scaled = try Binaries.run("kubekit", ["--tier", "write", "scale", "deploy", "web", "--replicas", "5"])
        #expect(scaled.status == 0)
        #expect(scaled.stdout == "deployment.apps/web scaled\n")
        let restarted = try Binaries.run("kubekit", ["rollout", "restart", "deployment/web", "--tier=write"])
        #expect(restarted.stdout == "deployment.apps/web restarted\n")
        let exec = try Binaries.run("kubekit", ["--tier", "write", "exec", "web", "--", "ls"])
        #expect(exec.status == 1 && exec.stderr.contains("exec into pods needs the full tier; this client has the write tier"))
    }

    @Test("apply -f - with --dry-run=server, rollout status and history")
    func applyAndRollout() throws {
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n"
        let applied = try Binaries.run("kubekit", ["apply", "-f", "-", "--tier", "write", "--dry-run=server"], stdin: manifest)
        #expect(applied.status == 0)
        #expect(applied.stdout == "configmap/extra created (server dry run)\n")
        let status = try Binaries.run("kubekit", ["rollout", "status", "deployment/web"])
        #expect(status.stdout == "deployment \"web\" successfully rolled out\n")
        let history = try Binaries.run("kubekit", ["rollout", "history", "web"])
        #expect(history.stdout == "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n\n")
    }

    @Test("errors: the KubeError text and exit 1; usage errors exit 2; completion scripts")
    func errors() throws {
        let unknown = try Binaries.run("kubekit", ["get", "widgets"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("error: the server doesn't have a resource type \"widgets\"\n"))
        let missing = try Binaries.run("kubekit", ["describe", "pod", "nope"])
        #expect(missing.status == 1 && missing.stderr.contains("error: pods \"nope\" not found"))
        let usage = try Binaries.run("kubekit", ["get"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("Missing expected argument '<resource>'"))
        let badOutput = try Binaries.run("kubekit", ["get", "pods", "-o", "xml"])
        #expect(badOutput.status == 2 && badOutput.stderr.contains("--output must be json, yaml, wide or name"))
        let completion = try Binaries.run("kubekit", ["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.stdout.contains("_kubekit()"))
    }

    @Test("a production profile defaults to read even when KUBEKIT_TIER says write; its kubeconfig is read in place")
    func productionProfile() throws {
        let home = try Binaries.temporaryDirectory()
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".kube"), withIntermediateDirectories: true)
        let kubeconfig = home.appendingPathComponent(".kube/config.p")
        let text = """
            apiVersion: v1
            kind: Config
            clusters: [{name: prod, cluster: {server: "https://prod.k8s.test:6443"}}]
            users: [{name: prod, user: {token: not-a-secret}}]
            contexts: [{name: prod, context: {cluster: prod, user: prod, namespace: shop}}]
            current-context: prod

            """
        try text.write(to: kubeconfig, atomically: true, encoding: .utf8)
        var environment = try Binaries.environment(home: home)
        environment["KUBEKIT_TIER"] = "write"
        let result = try Binaries.run("kubekit", ["--profile", "production", "rollout", "restart", "web"], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: rollout restart deployments.apps needs the write tier; this client has the read tier"))
        #expect(try String(contentsOf: kubeconfig, encoding: .utf8) == text)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent(".kube").path) == ["config.p"])
    }
}

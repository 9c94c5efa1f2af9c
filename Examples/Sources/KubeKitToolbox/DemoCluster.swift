import Foundation
import KubeKit
import KubeTesting

/// The embedded default: KubeTesting's in-memory fake cluster with a small shop in namespace `demo` — a
/// node, deployments `web` (nginx, 3 replicas) and `api` (2 replicas) whose controllers made their ReplicaSets
/// and Running pods, a Service, a ConfigMap, pod logs and the controllers' events. Changes made through it
/// (apply, scale, rollout restart) behave as on a cluster, and last as long as the process.
public enum DemoCluster {
    /// The namespace the demo lives in.
    public static let namespace = "demo"

    /// The manifests the demo starts from.
    public static let manifests = """
        apiVersion: v1
        kind: Node
        metadata:
          name: fake-node
          labels: {kubernetes.io/hostname: fake-node, kubernetes.io/os: linux, node-role.kubernetes.io/control-plane: ""}
        spec: {podCIDR: 10.244.0.0/24}
        status:
          capacity: {cpu: "4", memory: 16Gi, pods: "110"}
          allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
          conditions:
          - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status}
          addresses:
          - {type: InternalIP, address: 172.18.0.2}
          - {type: Hostname, address: fake-node}
          nodeInfo: {kubeletVersion: v1.36.2, osImage: Debian GNU/Linux 12 (bookworm), kernelVersion: 6.1.0-27-amd64,
                     containerRuntimeVersion: containerd://2.1.1, operatingSystem: linux, architecture: amd64,
                     machineID: demo, systemUUID: demo, bootID: demo, kubeProxyVersion: ""}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: demo, labels: {app: web}}
        spec:
          replicas: 3
          strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 25%, maxSurge: 25%}}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: nginx
                image: nginx:1.27
                ports: [{name: http, containerPort: 80, protocol: TCP}]
                resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api, namespace: demo, labels: {app: api}}
        spec:
          replicas: 2
          strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 25%, maxSurge: 25%}}
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              containers:
              - name: api
                image: registry.k8s.io/e2e-test-images/agnhost:2.53
                args: [netexec, --http-port=8080]
                ports: [{containerPort: 8080, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: demo, labels: {app: web}}
        spec:
          type: ClusterIP
          clusterIP: 10.96.0.172
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: http, protocol: TCP}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: app-config, namespace: demo}
        data: {LOG_LEVEL: info, FEATURE_FLAGS: "checkout,search"}
        """

    /// A new demo cluster (each call: a fresh one).
    public static func make() async throws -> FakeCluster {
        let cluster = FakeCluster(namespaces: ["default", "kube-system", "kube-public", "kube-node-lease", namespace])
        cluster.enableControllers(.all)
        try cluster.seed(manifests)
        // Every pod has a few lines of log.
        for pod in try await KubeClient(transport: cluster).pods(in: namespace).list().items {
            guard let name = pod.metadata?.name else { continue }
            let app = pod.metadata?.labels?["app"] ?? ""
            let lines = app == "web"
                ? ["/docker-entrypoint.sh: Configuration complete; ready for start up", "10.244.0.1 - - \"GET / HTTP/1.1\" 200 615 \"-\" \"kube-probe/1.36\""]
                : ["I1201 09:00:00.000000       1 log.go:245] Started HTTP server on port 8080", "I1201 09:00:05.000000       1 log.go:245] GET /healthz"]
            cluster.setLog(lines.joined(separator: "\n") + "\n", pod: name, namespace: namespace)
        }
        return cluster
    }
}

extension KubeError {
    /// The request an API or transport error belongs to, parsed from the HTTP method and path.
    ///
    /// Only names go in here: never headers, query values or bodies, so it is always safe to print.
    public struct RequestContext: Sendable, Hashable, CustomStringConvertible {
        /// The HTTP method, upper-case (`GET`, `POST`...).
        public var method: String
        /// The request path without the query string.
        public var path: String
        /// The API group (`""` for the core group), when the path is an API path.
        public var group: String?
        /// The API version, when the path is an API path.
        public var version: String?
        /// The resource (plural, lower-case: `pods`).
        public var resource: String?
        /// The namespace, for namespaced paths.
        public var namespace: String?
        /// The object name, when the path names one object.
        public var name: String?
        /// The subresource (`status`, `scale`, `log`...).
        public var subresource: String?

        /// Parses a Kubernetes REST path such as `/api/v1/namespaces/demo/pods/web-0/log?follow=true`.
        ///
        /// Paths that are not API paths (`/version`, `/healthz`) keep only `method` and `path`.
        public init(method: String, path: String) {
            self.method = method.uppercased()
            let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
            self.path = pathOnly
            var parts = pathOnly.split(separator: "/").map(String.init)
            guard let root = parts.first else { return }
            switch root {
            case "api" where parts.count >= 2:
                group = ""
                version = parts[1]
                parts.removeFirst(2)
            case "apis" where parts.count >= 3:
                group = parts[1]
                version = parts[2]
                parts.removeFirst(3)
            default:
                return
            }
            if parts.first == "namespaces", parts.count >= 3, !Self.namespaceSubresources.contains(parts[2]) || parts.count > 3 {
                namespace = parts[1]
                parts.removeFirst(2)
            }
            if parts.count >= 1 { resource = parts[0] }
            if parts.count >= 2 { name = parts[1] }
            if parts.count >= 3 { subresource = parts[2...].joined(separator: "/") }
        }

        private static let namespaceSubresources: Set<String> = ["status", "finalize"]

        /// `resource[.group]`, e.g. `deployments.apps` or `pods`.
        public var qualifiedResource: String? {
            guard let resource else { return nil }
            if let group, !group.isEmpty { return "\(resource).\(group)" }
            return resource
        }

        /// client-go's suffix form: `get pods web-0`.
        public var description: String {
            var words = [method.lowercased()]
            if let qualifiedResource {
                words.append(subresource.map { "\(qualifiedResource)/\($0)" } ?? qualifiedResource)
                if let name { words.append(name) }
            } else {
                words.append(path)
            }
            return words.joined(separator: " ")
        }
    }
}

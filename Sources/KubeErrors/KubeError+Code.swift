extension KubeError {
    /// A machine-readable error category.
    ///
    /// `Code` is a struct wrapping a private enum, so new codes can be added in minor releases without
    /// breaking `switch` statements. Compare with `==` against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            // API
            case api
            // Configuration files and YAML
            case configurationNotFound
            case fileNotFound
            case fileUnreadable
            case yamlSyntax
            case invalidConfiguration
            case contextNotFound
            case clusterNotFound
            case userNotFound
            case invalidBase64
            case certificateUnreadable
            case invalidServerURL
            case invalidProxyURL
            case tokenFileUnreadable
            case inClusterUnavailable
            case profileNotFound
            // Credentials
            case execPluginNotFound
            case execPluginFailed
            case execPluginInvalidOutput
            case authProviderUnsupported
            case unauthorized
            // Transport and decoding
            case transport
            case timeout
            case cancelled
            case responseTooLarge
            case decoding
            case unsupported
            // Typed API
            case tierDenied
            case invalidArgument
            case invalidManifest
            case resourceNotMapped
            case rollout
            // Streaming (exec, cp)
            case commandFailed
            case unsafeArchive
            // Testing
            case endOfRecording
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A short, stable name without dynamic values (safe as a metric label).
        public var description: String { wrapped.rawValue }

        /// The API server answered with an error; ``KubeError/status`` holds its `Status`.
        public static let api = Code(.api)

        /// No kubeconfig was found and in-cluster configuration is not available.
        public static let configurationNotFound = Code(.configurationNotFound)
        /// A file that must exist does not (an explicit kubeconfig path, a referenced certificate file).
        public static let fileNotFound = Code(.fileNotFound)
        /// A file exists but cannot be read.
        public static let fileUnreadable = Code(.fileUnreadable)
        /// A YAML or JSON document is not well-formed.
        public static let yamlSyntax = Code(.yamlSyntax)
        /// A configuration is well-formed but a field has the wrong type or an invalid value.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The requested (or current) context does not exist.
        public static let contextNotFound = Code(.contextNotFound)
        /// The requested cluster does not exist.
        public static let clusterNotFound = Code(.clusterNotFound)
        /// The requested user (auth info) does not exist.
        public static let userNotFound = Code(.userNotFound)
        /// A `*-data` field is not valid base64.
        public static let invalidBase64 = Code(.invalidBase64)
        /// A certificate, key or CA file named in the configuration cannot be read.
        public static let certificateUnreadable = Code(.certificateUnreadable)
        /// The cluster's `server` is not a usable `https://` or `http://` URL.
        public static let invalidServerURL = Code(.invalidServerURL)
        /// The cluster's `proxy-url` is not a usable proxy URL.
        public static let invalidProxyURL = Code(.invalidProxyURL)
        /// A bearer-token file cannot be read or is empty.
        public static let tokenFileUnreadable = Code(.tokenFileUnreadable)
        /// In-cluster configuration was requested but the service-account environment is missing.
        public static let inClusterUnavailable = Code(.inClusterUnavailable)
        /// A named cluster profile was requested that was never registered.
        public static let profileNotFound = Code(.profileNotFound)

        /// An exec credential plugin's command cannot be found.
        public static let execPluginNotFound = Code(.execPluginNotFound)
        /// An exec credential plugin exited with a non-zero status or could not be started.
        public static let execPluginFailed = Code(.execPluginFailed)
        /// An exec credential plugin printed something that is not a valid `ExecCredential`.
        public static let execPluginInvalidOutput = Code(.execPluginInvalidOutput)
        /// The kubeconfig uses a legacy `auth-provider` that KubeKit does not run.
        public static let authProviderUnsupported = Code(.authProviderUnsupported)
        /// The server rejected the credentials even after they were refreshed.
        public static let unauthorized = Code(.unauthorized)

        /// The request did not get a complete HTTP response (DNS, TCP, TLS, reset connection...).
        public static let transport = Code(.transport)
        /// A client-side timeout expired.
        public static let timeout = Code(.timeout)
        /// The awaiting task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// A response body exceeded the configured size limit.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// A response body could not be decoded into the expected type.
        public static let decoding = Code(.decoding)
        /// The operation is not supported in this configuration.
        public static let unsupported = Code(.unsupported)

        /// The client's safety tier does not allow the verb; nothing was sent.
        public static let tierDenied = Code(.tierDenied)
        /// An argument is invalid (an empty name, a malformed label selector, a missing namespace...);
        /// nothing was sent.
        public static let invalidArgument = Code(.invalidArgument)
        /// A manifest document cannot be applied (not an object, no `apiVersion`/`kind`/`metadata.name`...).
        public static let invalidManifest = Code(.invalidManifest)
        /// Discovery does not know the manifest's `apiVersion`/`kind` (a CRD that is not installed yet).
        public static let resourceNotMapped = Code(.resourceNotMapped)
        /// A rollout action cannot proceed or a rollout failed (paused deployment, progress deadline
        /// exceeded, unknown revision...).
        public static let rollout = Code(.rollout)
        /// A command run in a container (by ``KubeError`` producers such as `cp`) exited with a non-zero code;
        /// the message carries its stderr.
        public static let commandFailed = Code(.commandFailed)
        /// An archive from a container (`cp` from a pod) holds an entry that would be written outside the
        /// destination (`../x`, an absolute link target, a path through a symbolic link); nothing of it is written.
        public static let unsafeArchive = Code(.unsafeArchive)
        /// A test transport (KubeTesting) has no more responses for a stream: its script is over. A resilient
        /// watch ends normally on it (its loop finishes) instead of reconnecting.
        public static let endOfRecording = Code(.endOfRecording)
    }
}

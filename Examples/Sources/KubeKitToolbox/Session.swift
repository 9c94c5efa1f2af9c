import Foundation
import KubeKit
import KubeTesting

/// Where a front end's cluster comes from: kubectl's flags plus named profiles and the tool tier.
public struct ConnectionOptions: Sendable, Hashable {
    /// `--kubeconfig FILE` (read in place, never copied or written).
    public var kubeconfig: String?
    /// `--context NAME`.
    public var context: String?
    /// `-n/--namespace NS`.
    public var namespace: String?
    /// `--profile NAME`: a named environment (`ephemeral`, `stage`, `production` → `~/.kube/config.e`, `.s`,
    /// `.p`; `KUBEKIT_PROFILE_<NAME>=FILE` adds or moves one).
    public var profile: String?
    /// `--tier read|write|full`; `nil`: the default (`KUBEKIT_TIER`, else read; never above read for a profile
    /// named production).
    public var tier: AccessTier?

    /// Options as given on a command line.
    public init(kubeconfig: String? = nil, context: String? = nil, namespace: String? = nil, profile: String? = nil, tier: AccessTier? = nil) {
        self.kubeconfig = kubeconfig
        self.context = context
        self.namespace = namespace
        self.profile = profile
        self.tier = tier
    }
}

/// A connected client and where it came from.
public struct Session: Sendable {
    /// The client, at the session's tier.
    public let client: KubeClient
    /// The namespace commands use unless told otherwise.
    public let namespace: String
    /// Where the configuration came from, without secrets (`kubeconfig /home/me/.kube/config, context kind`).
    public let origin: String
    /// Whether this is the embedded demo cluster (no kubeconfig was found).
    public let isEmbedded: Bool
    /// The tier the client has.
    public var tier: AccessTier { client.tier }
    let transport: any KubeTransport

    /// The default tier: `KUBEKIT_TIER` if set, else read; a profile named production never defaults above read.
    public static func defaultTier(profile: String?, environment: [String: String]) throws -> AccessTier {
        var tier = AccessTier.read
        if let text = environment["KUBEKIT_TIER"], !text.isEmpty {
            guard let parsed = AccessTier(name: text) else {
                throw KubeError(code: .invalidArgument, message: "KUBEKIT_TIER=\(text) is not a tier", hint: "Use read, write or full.")
            }
            tier = parsed
        }
        return profile == "production" ? min(tier, .read) : tier
    }

    /// The profiles: the three suffixed files next to `~/.kube/config`, plus `KUBEKIT_PROFILE_<NAME>=FILE`.
    public static func profiles(environment: [String: String]) -> ClusterProfiles {
        var profiles = ClusterProfiles.suffixedFiles(environment: environment)
        for (key, value) in environment where key.hasPrefix("KUBEKIT_PROFILE_") && !value.isEmpty {
            profiles.register(String(key.dropFirst("KUBEKIT_PROFILE_".count)).lowercased(), .file(value))
        }
        return profiles
    }

    /// Connects as kubectl would: `--profile`, else `--kubeconfig`, else `KUBECONFIG`, `~/.kube/config`, the
    /// pod's service account; with none of them, the embedded demo cluster (`embedded`, made on first use).
    public static func connect(_ options: ConnectionOptions, environment: [String: String] = ProcessInfo.processInfo.environment,
                               embedded: @Sendable () async throws -> FakeCluster = { try await DemoCluster.make() }) async throws -> Session {
        let tier = try options.tier ?? defaultTier(profile: options.profile, environment: environment)
        let overrides = ConfigOverrides(context: options.context, namespace: options.namespace)
        let configuration: ClientConfiguration
        let origin: String
        if let profile = options.profile {
            configuration = try profiles(environment: environment).configuration(for: profile, overrides: overrides)
            origin = "profile \(profile) (\(configuration.sources.joined(separator: ", ")))"
        } else {
            let loader = KubeconfigLoader(explicitPaths: options.kubeconfig.map { [$0] } ?? [], environment: environment)
            do {
                configuration = try loader.load(overrides)
                origin = configuration.sources.isEmpty ? "in-cluster service account" : configuration.sources.joined(separator: ", ")
            } catch let error as KubeError where error.code == .configurationNotFound && options.kubeconfig == nil {
                let cluster = try await embedded()
                let namespace = options.namespace ?? DemoCluster.namespace
                return Session(client: KubeClient(transport: cluster, namespace: namespace, tier: tier), namespace: namespace,
                               origin: "the embedded demo cluster (no kubeconfig found; nothing leaves this process)",
                               isEmbedded: true, transport: cluster)
            }
        }
        let transport = CurlTransport(configuration)
        let context = configuration.contextName.map { ", context \($0)" } ?? ""
        return Session(client: KubeClient(transport: transport, namespace: configuration.namespace, tier: tier),
                       namespace: configuration.namespace, origin: origin + context, isEmbedded: false, transport: transport)
    }

    /// Closes the connections.
    public func shutdown() async {
        await (transport as? CurlTransport)?.shutdown()
    }
}

extension AccessTier {
    /// `read`, `write` or `full`.
    public init?(name: String) {
        guard let tier = AccessTier.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
        self = tier
    }
}

// swift-tools-version: 6.2
//
// KubeKit's examples, a package of their own so that their dependencies (swift-argument-parser, the MCP
// Swift SDK) stay out of the library's Package.swift. It depends on the library by path (the repository
// root); CI builds it and runs its tests, which drive the built `kubekit` and `kubekit-mcp` binaries.
//
//   kubekit         a kubectl-like CLI with tool tiers and named profiles
//   kubekit-mcp     an MCP tool server (stdio) with the same operations
//   list-pods, watch-deployments, apply-manifest, follow-logs, tiny-controller: small focused examples

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "KubeKitExamples",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kubekit", targets: ["KubeKitCLI"]),
        .executable(name: "kubekit-mcp", targets: ["KubeKitMCP"]),
        .executable(name: "list-pods", targets: ["ListPods"]),
        .executable(name: "watch-deployments", targets: ["WatchDeployments"]),
        .executable(name: "apply-manifest", targets: ["ApplyManifest"]),
        .executable(name: "follow-logs", targets: ["FollowLogs"]),
        .executable(name: "tiny-controller", targets: ["TinyController"]),
    ],
    dependencies: [
        .package(name: "KubeKit", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // What the CLI and the MCP server share: connecting (profiles, tiers, the embedded demo cluster) and
        // kubectl's operations.
        .target(
            name: "KubeKitToolbox",
            dependencies: [
                .product(name: "KubeKit", package: "KubeKit"),
                .product(name: "KubeTesting", package: "KubeKit"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "KubeKitCLI",
            dependencies: ["KubeKitToolbox", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "KubeKitMCP",
            dependencies: ["KubeKitToolbox", .product(name: "MCP", package: "swift-sdk"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "ListPods", dependencies: ["KubeKitToolbox"], swiftSettings: swiftSettings),
        .executableTarget(name: "WatchDeployments", dependencies: ["KubeKitToolbox"], swiftSettings: swiftSettings),
        .executableTarget(name: "ApplyManifest", dependencies: ["KubeKitToolbox"], swiftSettings: swiftSettings),
        .executableTarget(name: "FollowLogs", dependencies: ["KubeKitToolbox"], swiftSettings: swiftSettings),
        .executableTarget(name: "TinyController", dependencies: ["KubeKitToolbox"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KubeKitExamplesTests",
            dependencies: ["KubeKitToolbox"],
            swiftSettings: swiftSettings
        ),
    ]
)

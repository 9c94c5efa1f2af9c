// swift-tools-version: 6.2
//
// KubeKit: a Kubernetes client SDK for Swift on Linux.
//
// Layering (every arrow points down):
//   KubeErrors ← KubeConfig, KubeRetry ← KubeTransport ← KubeResources ← KubeRuntime ← KubeKit
//   KubeTesting → KubeTransport, KubeConfig, KubeErrors (no models)
// System libraries: libcurl (CKubeCurl) for HTTP, libyaml (CKubeYAML) for YAML.
// The examples (the kubekit CLI, the MCP tool server, small programs) are a package of their own in Examples/,
// so their dependencies (swift-argument-parser, the MCP SDK) stay out of this one.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "KubeKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KubeKit", targets: ["KubeKit"]),
        .library(name: "KubeErrors", targets: ["KubeErrors"]),
        .library(name: "KubeConfig", targets: ["KubeConfig"]),
        .library(name: "KubeRetry", targets: ["KubeRetry"]),
        .library(name: "KubeTransport", targets: ["KubeTransport"]),
        .library(name: "KubeResources", targets: ["KubeResources"]),
        .library(name: "KubeTesting", targets: ["KubeTesting"]),
        .library(name: "KubeRuntime", targets: ["KubeRuntime"]),
        .executable(name: "kubekit-bench", targets: ["KubeKitBench"]),
        .executable(name: "kubekit-modelgen", targets: ["KubeKitModelGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Test-only: a real TLS / HTTP/2 loopback API server for the libcurl transport's tests.
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.35.0"),
    ],
    targets: [
        // MARK: System libraries (headers only; the shims are static inline C)
        .systemLibrary(
            name: "CKubeCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CKubeYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),

        // MARK: Library modules
        .target(
            name: "KubeErrors",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeConfig",
            dependencies: [
                "KubeErrors",
                "CKubeYAML",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeRetry",
            dependencies: ["KubeErrors"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeTransport",
            dependencies: [
                "KubeErrors",
                "KubeConfig",
                "KubeRetry",
                "CKubeCurl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeResources",
            dependencies: ["KubeTransport", "KubeConfig", "KubeErrors", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeRuntime",
            dependencies: ["KubeResources", "KubeErrors"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeKit",
            dependencies: ["KubeErrors", "KubeConfig", "KubeRetry", "KubeTransport", "KubeResources", "KubeRuntime"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeTesting",
            // What it imports, and no more: a test target using it does not build the generated models
            // unless it asks for them.
            dependencies: ["KubeTransport", "KubeConfig", "KubeErrors"],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks (measured with the peer harness; see Documentation/Benchmarks.md)
        .executableTarget(
            name: "KubeKitBench",
            dependencies: ["KubeConfig", "KubeErrors", "KubeTransport", "KubeResources", "KubeRuntime", "KubeTesting", "KubeStreamTestServer"],
            path: "Benchmarks/KubeKitBench",
            swiftSettings: swiftSettings
        ),

        // MARK: The model generator (reads the Kubernetes OpenAPI spec; see Documentation/Models.md)
        .executableTarget(
            name: "KubeKitModelGen",
            path: "Generator",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        // An in-process exec / attach / port-forward WebSocket server (for the tests and kubekit-bench).
        .target(
            name: "KubeStreamTestServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/KubeStreamTestServer",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeErrorsTests",
            dependencies: ["KubeErrors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeConfigTests",
            dependencies: [
                "KubeConfig",
                "KubeErrors",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeRetryTests",
            dependencies: ["KubeRetry", "KubeErrors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeTestingTests",
            dependencies: ["KubeTesting", "KubeTransport", "KubeErrors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeResourcesTests",
            dependencies: ["KubeResources", "KubeConfig", "KubeErrors", "KubeTransport", "KubeTesting", "KubeStreamTestServer", "KubeRuntime"],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeKitTests",
            dependencies: ["KubeKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeTransportTests",
            dependencies: [
                "KubeTransport",
                "KubeConfig",
                "KubeErrors",
                "KubeRetry",
                "KubeTesting",
                "KubeStreamTestServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            exclude: ["Resources"],
            swiftSettings: swiftSettings
        ),
    ]
)

// swift-tools-version: 6.2
//
// Fuzz targets for KubeKit's parsers of untrusted input, built with libFuzzer by Scripts/fuzz.sh.
// A package of its own: its executable has no `main` (libFuzzer provides it), so it must stay out of the
// library package's ordinary builds.

import PackageDescription

let package = Package(
    name: "KubeKitFuzz",
    dependencies: [.package(name: "KubeKit", path: "..")],
    targets: [
        .executableTarget(
            name: "KubeKitFuzz",
            dependencies: [
                .product(name: "KubeConfig", package: "KubeKit"),
                .product(name: "KubeErrors", package: "KubeKit"),
                .product(name: "KubeResources", package: "KubeKit"),
                .product(name: "KubeTransport", package: "KubeKit"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)

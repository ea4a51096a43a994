// swift-tools-version: 6.0
import PackageDescription

/// System include paths for Debian's libtorch 1.13 and OpenCV 4.6 packages.
let nativeIncludes: [String] = [
    "-I/usr/include/opencv4",
    "-I/usr/include/torch/csrc/api/include",
]

let package = Package(
    name: "CAMKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "CAMKit", targets: ["CAMKit"]),
        .executable(name: "camkit", targets: ["camkit"]),
        .executable(name: "camkit-serve", targets: ["camkit-serve"]),
        .executable(name: "camkit-bench", targets: ["CAMKitBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(nativeIncludes + ["-O2", "-Wno-deprecated-declarations"]),
            ],
            linkerSettings: [
                .linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
                .linkedLibrary("opencv_core"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_imgcodecs"),
            ]
        ),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .target(name: "Torch", dependencies: ["CTorch"]),
        .target(
            name: "CAMKit",
            dependencies: [
                "Torch", "CTorch", "CHDF5", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .target(
            name: "CAMServer",
            dependencies: ["CAMKit", "Torch", .product(name: "Hummingbird", package: "hummingbird")],
            resources: [
                .embedInCode("Public/index.html"), .embedInCode("Public/app.js"), .embedInCode("Public/style.css"),
                .embedInCode("Public/openapi.json"),
            ]
        ),
        .target(name: "CAMKitCLI", dependencies: ["CAMKit", "Torch", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "camkit",
            dependencies: ["CAMKit", "CAMKitCLI", "Torch", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The web app is its own executable so that `camkit` builds without the server stack; `camkit serve` runs it.
        .executableTarget(
            name: "camkit-serve",
            dependencies: ["CAMKit", "CAMKitCLI", "CAMServer", "Torch", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "CAMKitBench", dependencies: ["CAMKit", "Torch"], path: "Benchmarks/CAMKitBench"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"]),
        .testTarget(name: "CAMKitTests", dependencies: ["CAMKit", "Torch", "TestSupport"]),
        .testTarget(
            name: "CAMServerTests",
            dependencies: ["CAMServer", "CAMKit", "Torch", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)

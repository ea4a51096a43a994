// swift-tools-version:5.4
import Foundation
import PackageDescription

// libFuzzer harnesses, one executable per parser, built apart from the product (`make fuzz`, README:
// Fuzzing): `swift build --package-path Fuzz --build-path .build-fuzz -Xswiftc -sanitize=fuzzer`
// instruments every Swift module, CAMKit's parsers included, with libFuzzer's coverage counters.
// Tools version 5.4 on purpose: each harness is a library-style executable (Harness.swift, no main)
// whose main is libFuzzer's; from 5.5 SwiftPM would rename a `<module>_main` that does not exist.

/// The CAMKit package one folder up; SwiftPM names a path dependency after its folder, whatever the clone is called.
let root = URL(fileURLWithPath: #file).deletingLastPathComponent().deletingLastPathComponent()
let camkit = root.lastPathComponent.lowercased()

/// Each harness: its folder under Sources/ and the CAMKit products it reads with.
let harnesses: [(name: String, products: [String])] = [
    ("fuzz-tfrecord", ["CAMFormats"]),
    ("fuzz-example", ["CAMFormats"]),
    ("fuzz-npy", ["CAMFormats", "CAMImaging"]),
    ("fuzz-safetensors", ["CAMModels", "Torch"]),
    ("fuzz-mat", ["CAMFormats", "CAMData"]),
    ("fuzz-image-header", ["CAMFormats"]),
    ("fuzz-coco", ["CAMData"]),
    ("fuzz-voc", ["CAMData"]),
    ("fuzz-csv", ["CAMData"]),
    ("fuzz-wsol", ["CAMData"]),
    ("fuzz-keras-config", ["CAMFormats", "CAMModels", "Torch"]),
    ("fuzz-keras-h5", ["CAMModels"]),
    ("fuzz-keras-zip", ["CAMModels"]),
    ("fuzz-server-request", ["CAMServer", "CAMKit"])
]

let package = Package(
    name: "CAMKitFuzz",
    dependencies: [
        .package(path: root.path),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0")
    ],
    targets: [
        .target(name: "FuzzSupport")
    ]
        + harnesses.map { h in
            .executableTarget(
                name: h.name,
                dependencies: ["FuzzSupport"] + h.products.map { .product(name: $0, package: camkit) }
                    + (h.name == "fuzz-server-request" ? [.product(name: "HummingbirdCore", package: "hummingbird")] : []),
                swiftSettings: [.unsafeFlags(["-parse-as-library"])])
        }
)

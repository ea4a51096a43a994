// swift-tools-version: 6.0
import Foundation
import PackageDescription

/// Optional libtorch to build against instead of Debian's 1.13: the root of an install holding include/ and lib/,
/// e.g. a torch 2.x wheel's `torch` directory (`CAMKIT_LIBTORCH=tools/.venv/lib/python3.11/site-packages/torch`).
/// Unset, the build is the Debian one. A relative path is taken from the package directory.
let libtorchRoot: String? = ProcessInfo.processInfo.environment["CAMKIT_LIBTORCH"].flatMap {
    $0.isEmpty ? nil : $0.hasPrefix("/") ? $0 : Context.packageDirectory + "/" + $0
}

/// System include paths for Debian's libtorch 1.13 and OpenCV 4.6 packages (libtorch's from `libtorchRoot` when set).
let nativeIncludes: [String] =
    ["-I/usr/include/opencv4"]
    + (libtorchRoot.map {
        ["-I\($0)/include", "-I\($0)/include/torch/csrc/api/include"]
    } ?? ["-I/usr/include/torch/csrc/api/include"])

/// Debian links libtorch; a wheel links only torch_cpu and c10 (its libtorch.so pulls in the CUDA libraries)
/// and finds them at run time through an rpath.
let torchLinks: [LinkerSetting] =
    libtorchRoot.map {
        [
            .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
            .unsafeFlags(["-L\($0)/lib", "-Xlinker", "-rpath", "-Xlinker", "\($0)/lib"])
        ]
    } ?? [.linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10")]

/// The library's stages, lowest first. Each target may import only the targets before it (and the C
/// modules), never one after it: the compiler enforces the direction (README, Layout).
let protobuf = Target.Dependency.product(name: "SwiftProtobuf", package: "swift-protobuf")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let mustache = Target.Dependency.product(name: "Mustache", package: "swift-mustache")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

/// Every stage target, so that the umbrella `CAMKit` and the tests can name them all.
let stages: [Target.Dependency] = [
    "CAMCore", "CAMImaging", "CAMFormats", "CAMModels", "CAMData", "CAMExplain", "CAMFaithfulness", "CAMLocalize", "CAMTrain", "CAMReport",
    "CAMJobs"
]

let package = Package(
    name: "CAMKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "CAMKit", targets: ["CAMKit"]),
        // The stages the fuzz harnesses (Fuzz/) read with, without building every stage.
        .library(name: "CAMImaging", targets: ["CAMImaging"]),
        .library(name: "CAMFormats", targets: ["CAMFormats"]),
        .library(name: "CAMModels", targets: ["CAMModels"]),
        .library(name: "CAMData", targets: ["CAMData"]),
        .library(name: "CAMServer", targets: ["CAMServer"]),
        .executable(name: "camkit", targets: ["camkit"]),
        .executable(name: "camkit-serve", targets: ["camkit-serve"]),
        .executable(name: "camkit-bench", targets: ["CAMKitBench"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0")
    ],
    targets: [
        // C: libtorch, OpenCV and Eigen shims apart (the Torch product links no OpenCV), libhdf5 and zlib as system libraries (CSystemZlib: ZIPFoundation has its own CZlib module).
        .target(
            name: "CTorch",
            cxxSettings: [.unsafeFlags(nativeIncludes + ["-O2", "-Wno-deprecated-declarations"])],
            linkerSettings: torchLinks
        ),
        .target(
            name: "CCV",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-O2"])],
            linkerSettings: [
                .linkedLibrary("opencv_core"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_imgcodecs"), .linkedLibrary("jpeg")
            ]
        ),
        // Eigen's sparse solver for ROAD's imputation (header-only; Debian libeigen3-dev).
        .target(name: "CImpute", cxxSettings: [.unsafeFlags(["-I/usr/include/eigen3", "-O2"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .systemLibrary(name: "CSystemZlib", path: "Sources/CSystemZlib"),
        .target(name: "Torch", dependencies: ["CTorch"]),

        // The stages, in dependency order.
        /// Errors, atomic files, progress lines, version: what every stage shares, with no tensors.
        .target(name: "CAMCore"),
        /// Images, float maps, codecs, resize, colour maps, contours, drawing, boxes and IoU, overlays.
        .target(name: "CAMImaging", dependencies: ["CAMCore", "Torch", "CCV"]),
        /// File formats: NPY, HDF5, TFRecord and tf.train.Example, MATLAB v5, image headers.
        .target(name: "CAMFormats", dependencies: ["CAMCore", "CAMImaging", "CHDF5", "CSystemZlib", protobuf]),
        /// Networks (ResNets in both layouts, graph networks), checkpoints, Keras (.h5, .keras) and torchvision import, preprocessing.
        .target(
            name: "CAMModels",
            dependencies: ["CAMCore", "Torch", "CAMImaging", "CAMFormats", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        /// Samples, dataset readers, the synthetic generator, the loader.
        .target(name: "CAMData", dependencies: ["CAMCore", "Torch", "CAMImaging", "CAMFormats"]),
        /// CAM, Grad-CAM and the family; raw maps to display maps.
        .target(name: "CAMExplain", dependencies: ["CAMCore", "Torch", "CAMImaging", "CAMModels"]),
        /// Faithfulness metrics of maps: drop/increase in confidence, ROAD with its imputer, deletion/insertion.
        .target(name: "CAMFaithfulness", dependencies: ["CAMCore", "Torch", "CAMImaging", "CAMModels", "CAMData", "CAMExplain", "CImpute"]),
        /// Boxes from maps, threshold sweeps, dataset metrics, the result store.
        .target(name: "CAMLocalize", dependencies: ["CAMCore", "CAMImaging", "CAMFormats", "CAMExplain", "CAMFaithfulness", grdb]),
        /// Training: trainer, runs, checkpoints on disk.
        .target(name: "CAMTrain", dependencies: ["CAMCore", "Torch", "CAMModels", "CAMData"]),
        /// Panels, charts, the HTML report.
        .target(
            name: "CAMReport",
            dependencies: [
                "CAMCore", "Torch", "CAMImaging", "CAMModels", "CAMData", "CAMExplain", "CAMFaithfulness", "CAMLocalize", "CAMTrain", mustache
            ]
        ),
        /// The file-writing jobs that the CLI and the server call: explain, localize, evaluate, demo, data inspect.
        .target(
            name: "CAMJobs",
            dependencies: [
                "CAMCore", "Torch", "CAMImaging", "CAMFormats", "CAMModels", "CAMData", "CAMExplain", "CAMFaithfulness", "CAMLocalize",
                "CAMTrain", "CAMReport", .product(name: "Crypto", package: "swift-crypto")
            ]
        ),
        /// The library product: re-exports every stage.
        .target(name: "CAMKit", dependencies: stages + ["Torch"]),

        // Front ends.
        .target(
            name: "CAMServer",
            dependencies: ["CAMKit", "Torch", .product(name: "Hummingbird", package: "hummingbird")],
            resources: [
                .embedInCode("Public/index.html"), .embedInCode("Public/app.js"), .embedInCode("Public/style.css"),
                .embedInCode("Public/openapi.json")
            ]
        ),
        .target(name: "CAMKitCLI", dependencies: ["CAMKit", "Torch", argumentParser]),
        .executableTarget(name: "camkit", dependencies: ["CAMKit", "CAMKitCLI", "Torch", argumentParser]),
        // The web app is its own executable so that `camkit` builds without the server stack; `camkit serve` runs it.
        .executableTarget(name: "camkit-serve", dependencies: ["CAMKit", "CAMKitCLI", "CAMServer", "Torch", argumentParser]),
        .executableTarget(name: "CAMKitBench", dependencies: ["CAMKit", "Torch"], path: "Benchmarks/CAMKitBench"),

        // Tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"]),
        // CSystemZlib: the inflate tests compress their own decompression bomb.
        .testTarget(name: "CAMKitTests", dependencies: stages + ["CAMKit", "Torch", "TestSupport", "CSystemZlib", grdb]),
        .testTarget(
            name: "CAMServerTests",
            dependencies: ["CAMServer", "CAMKit", "Torch", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")]
        )
    ],
    swiftLanguageModes: [.v6],
    // libtorch 2.x headers require C++20.
    cxxLanguageStandard: libtorchRoot == nil ? .cxx17 : .cxx20
)

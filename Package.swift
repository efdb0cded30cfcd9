// swift-tools-version: 6.0
//
// TextRNN: a trainer and a lean runtime for recurrent text classifiers.
//
// Products
//   textrnn      libtextrnn.so, the C ABI of include/textrnn.h. It carries the Swift
//                standard library statically and exports the textrnn_* symbols only.
//   textrnn-cli  the command-line tool (`make` installs it as bin/textrnn; SwiftPM does not
//                allow an executable product with the library's name).
import PackageDescription

let packageRoot = String(#filePath.dropLast("Package.swift".count))

/// Release builds drop bounds and exclusivity checks in the numeric modules: their hot loops
/// run on raw pointers whose extents are validated once, when a bundle or batch is set up.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "TextRNN",
    products: [
        .library(name: "textrnn", type: .dynamic, targets: ["TextRNNCAPI"]),
        .library(name: "TextRNNRuntime", targets: ["TextRNNRuntime"]),
        .library(name: "TextRNNTrainer", targets: ["TextRNNTrainer"]),
        .executable(name: "textrnn-cli", targets: ["TextRNNCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CTextRNN"),
        // The runtime's SIMD kernels (AVX-512/VNNI, AVX2/FMA, portable; chosen by cpuid at load):
        // C because Swift cannot compile one function for several instruction sets. libc only.
        // -gdwarf-4: Swift emits DWARF 4; valgrind 3.19 (`make leaks`) misreads a library with more
        // than one DWARF 5 unit (kernels.c and load_checks.c) and gives up.
        .target(name: "CTextRNNKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-gdwarf-4"])]),
        // CTextRNN: the runtime's version is the header's.
        .target(name: "TextRNNRuntime", dependencies: ["CJSONC", "CTextRNNKernels", "CTextRNN"], swiftSettings: numericSettings),
        .target(
            name: "TextRNNCAPI",
            dependencies: ["TextRNNRuntime", "CTextRNN"],
            exclude: ["exports.map"],
            swiftSettings: numericSettings,
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib",
                    // lld: gold leaves GOT relocations against (local) Swift metadata symbols in
                    // .dynsym, so `nm -D` would list more than textrnn_*.
                    "-use-ld=lld",
                    // Never unloaded by dlclose: per-thread state has pthread key destructors in
                    // this library, and the static Swift runtime does not support unloading.
                    "-Xlinker", "-z", "-Xlinker", "nodelete",
                    "-Xlinker", "--version-script=\(packageRoot)Sources/TextRNNCAPI/exports.map",
                ]),
            ]
        ),
        .target(name: "TextRNNTrainer", dependencies: ["TextRNNRuntime", "COpenBLAS"], swiftSettings: numericSettings),
        .executableTarget(
            name: "TextRNNCLI",
            dependencies: [
                "TextRNNRuntime", "TextRNNTrainer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test scaffolding, in no product: Keras fixture reading for the test targets and the
        // textrnn-fixture developer tool. The runtime's tests do not build the trainer.
        .target(name: "TextRNNTestSupport", dependencies: ["TextRNNRuntime"], path: "Tests/TextRNNTestSupport"),
        .executableTarget(name: "textrnn-fixture", dependencies: ["TextRNNRuntime", "TextRNNTestSupport"], path: "Tests/FixtureTool"),
        .testTarget(name: "TextRNNRuntimeTests", dependencies: ["TextRNNRuntime", "TextRNNTestSupport"]),
        .testTarget(name: "TextRNNTrainerTests", dependencies: ["TextRNNTrainer", "TextRNNRuntime", "TextRNNTestSupport"]),
    ]
)

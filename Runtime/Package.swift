// swift-tools-version: 6.0
//
// The TextRNN runtime, a package of its own so that its tests build and run without the trainer:
//
//     swift test --package-path Runtime
//
// The root package (../Package.swift) depends on it by path and builds libtextrnn.so, the C ABI
// of ../include/textrnn.h, from it; the trainer and the CLI use it there.
//
// Products
//   TextRNNRuntime      inference only, no Foundation: text pipeline, bundle reader/writer, layers.
//                       Declarations marked `@_spi(TextRNNInternal)` are for TextRNN's own modules
//                       (the C ABI, the trainer, the CLI), not a public Swift API.
//   TextRNNTestSupport  test scaffolding (Keras fixture reading) for the test targets and the
//                       textrnn-fixture developer tool; nothing shipped links it.
import PackageDescription

/// Release builds drop bounds and exclusivity checks in the numeric modules: their hot loops
/// run on raw pointers whose extents are validated once, when a bundle or batch is set up.
/// (The root manifest applies the same setting to its numeric modules.)
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "TextRNNRuntime",
    products: [
        .library(name: "TextRNNRuntime", targets: ["TextRNNRuntime"]),
        .library(name: "TextRNNTestSupport", targets: ["TextRNNTestSupport"]),
    ],
    targets: [
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        // The public header, ../include/textrnn.h: the runtime's version is the header's.
        .systemLibrary(name: "CTextRNN"),
        // The runtime's SIMD kernels (AVX-512/VNNI, AVX2/FMA, portable; chosen by cpuid at load):
        // C because Swift cannot compile one function for several instruction sets. libc only.
        // -gdwarf-4: Swift emits DWARF 4; valgrind 3.19 (`make leaks`) misreads a library with more
        // than one DWARF 5 unit (kernels.c and load_checks.c) and gives up.
        // No unwind tables: nothing unwinds through this C code (Swift errors are values, and
        // the C throws nothing), and libtextrnn.so has a size budget (docs/packaging.md).
        .target(name: "CTextRNNKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-gdwarf-4", "-fno-asynchronous-unwind-tables"])]),
        .target(name: "TextRNNRuntime", dependencies: ["CJSONC", "CTextRNNKernels", "CTextRNN"], swiftSettings: numericSettings),
        .target(name: "TextRNNTestSupport", dependencies: ["TextRNNRuntime"], path: "Tests/TextRNNTestSupport"),
        .testTarget(name: "TextRNNRuntimeTests", dependencies: ["TextRNNRuntime", "TextRNNTestSupport"]),
    ]
)

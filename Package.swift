// swift-tools-version: 6.0
//
// TextRNN: a trainer and a lean runtime for recurrent text classifiers.
//
// Products
//   textrnn      libtextrnn.so, the C ABI of include/textrnn.h. It carries the Swift
//                standard library statically and exports the textrnn_* symbols only.
//   textrnn-trainer  libtextrnn-trainer.so, the trainer's C ABI of include/textrnn_trainer.h
//                (training in process, from Python too); exports textrnn_trainer_* only.
//   textrnn-cli  the command-line tool (`make` installs it as bin/textrnn; SwiftPM does not
//                allow an executable product with the library's name).
import PackageDescription

let packageRoot = String(#filePath.dropLast("Package.swift".count))

/// Release builds drop bounds and exclusivity checks in the numeric modules: their hot loops
/// run on raw pointers whose extents are validated once, when a bundle or batch is set up.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

/// Foundation linked statically: `-static-stdlib` alone leaves out what the static Foundation
/// archives need (their autolink entries are not read from archive members).
let staticFoundationFlags = ["-static-stdlib"] + ["CoreFoundation", "_FoundationICU", "_FoundationCollections", "_FoundationCShims", "FoundationEssentials", "FoundationInternationalization", "swiftSynchronization"].map { "-l\($0)" }

/// A C library carrying the Swift standard library statically and exporting the symbols of
/// its version script only (libtextrnn.so; libtextrnn-trainer.so, which uses Foundation).
func cLibraryLinkerSettings(exports: String, foundation: Bool = false) -> [LinkerSetting] {
    [
        .unsafeFlags((foundation ? staticFoundationFlags : []) + [
            "-static-stdlib",
            // lld: gold leaves GOT relocations against (local) Swift metadata symbols in
            // .dynsym, so `nm -D` would list more than the exported functions.
            "-use-ld=lld",
            // Never unloaded by dlclose: per-thread state has pthread key destructors in
            // these libraries, and the static Swift runtime does not support unloading.
            "-Xlinker", "-z", "-Xlinker", "nodelete",
            "-Xlinker", "--version-script=\(packageRoot)\(exports)",
        ] + (foundation ? [] : leanLibraryFlags)),
    ]
}

/// Size (issue 16: stripped libtextrnn.so <= 6 MB; it is mostly the static Swift standard
/// library, which no section GC can thin as its metadata reaches everything). Packed relative
/// relocations (DT_RELR, glibc >= 2.36) shrink .rela.dyn from 370 KB to 10 KB; identical code
/// folding merges the runtime's duplicate C++ functions; no unwind tables (.eh_frame_hdr, and
/// .eh_frame by the linker script, 570 KB): nothing unwinds through this library (Swift errors
/// are values; its C and C++ parts throw no exceptions).
let leanLibraryFlags = [
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--icf=all", "-Xlinker", "--no-eh-frame-hdr",
    "-Xlinker", "--script=\(packageRoot)Sources/TextRNNCAPI/no-unwind-tables.ld",
    "-Xlinker", "-O2", "-Xlinker", "--hash-style=gnu",
]

/// Debug builds (`swift test`) optimize the trainer too, bounds checks kept: its tests train real
/// models, and unoptimized loops made them most of CI's time (its Swift suite took 955 s, now
/// about 65 s). Without computed side effects: with them, Swift 6.3's optimizer summarised
/// `fitBagRegression` as not writing through its `log` closure, and a test that appended the
/// log to a captured `var` read it back empty (the closure ran; the caller's reads were folded).
/// BagSearchTests catches that. Production callers pass class methods (`progress.message`),
/// which it did not affect.
let trainerDebugSettings: [SwiftSetting] = [
    .unsafeFlags(["-O", "-Xllvm", "-sil-disable-pass=compute-side-effects"], .when(configuration: .debug)),
]

let runtime = Target.Dependency.product(name: "TextRNNRuntime", package: "Runtime")
let testSupport = Target.Dependency.product(name: "TextRNNTestSupport", package: "Runtime")

let package = Package(
    name: "TextRNN",
    products: [
        .library(name: "textrnn", type: .dynamic, targets: ["TextRNNCAPI"]),
        .library(name: "TextRNNTrainer", targets: ["TextRNNTrainer"]),
        .executable(name: "textrnn-cli", targets: ["TextRNNCLI"]),
        // ---- Packaging (issue 16): the trainer's C ABI, include/textrnn_trainer.h.
        .library(name: "textrnn-trainer", type: .dynamic, targets: ["TextRNNTrainerCAPI"]),
    ],
    dependencies: [
        // The runtime (Runtime/Package.swift): its own package, so that its tests build alone.
        .package(path: "Runtime"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "TextRNNCAPI",
            dependencies: [runtime],
            exclude: ["exports.map", "no-unwind-tables.ld"],
            swiftSettings: numericSettings,
            linkerSettings: cLibraryLinkerSettings(exports: "Sources/TextRNNCAPI/exports.map")
        ),
        .target(name: "TextRNNTrainer", dependencies: [runtime, "COpenBLAS"], swiftSettings: numericSettings + trainerDebugSettings),
        .executableTarget(
            name: "TextRNNCLI",
            dependencies: [
                runtime, "TextRNNTrainer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Self-contained (issue 16): runs where no Swift toolchain is installed.
            linkerSettings: [.unsafeFlags(staticFoundationFlags + ["-use-ld=lld"])]
        ),
        // ---- Packaging (issue 16): the trainer's C ABI (libtextrnn-trainer.so).
        .systemLibrary(name: "CTextRNNTrainer"),
        .target(
            name: "TextRNNTrainerCAPI",
            dependencies: ["TextRNNTrainer", "CTextRNNTrainer"],
            exclude: ["exports.map"],
            linkerSettings: cLibraryLinkerSettings(exports: "Sources/TextRNNTrainerCAPI/exports.map", foundation: true)
        ),
        // The textrnn-fixture developer tool (a Keras fixture as a bundle, for the Python tests and
        // the fuzz corpus) and the trainer's tests; the runtime's tests are in Runtime/.
        .executableTarget(name: "textrnn-fixture", dependencies: [runtime, testSupport], path: "Tests/FixtureTool"),
        .testTarget(name: "TextRNNTrainerTests", dependencies: ["TextRNNTrainer", runtime, testSupport]),
    ]
)

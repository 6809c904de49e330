// swift-tools-version: 6.1
import PackageDescription

// Module layout follows the data flow of a control tick:
//   configuration -> transports -> protocols -> drivers -> policy -> safety -> runtime -> recording
// Each module exists because it holds real code; the C libraries are reached only through their
// wrapper modules (CYAML through ReinsConfig, CZMQ and CSerialPort through ReinsTransport).
let package = Package(
    name: "Reins",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reins", targets: ["reins"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        // System libraries from Debian, found through pkg-config.
        .systemLibrary(
            name: "CYAML", pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(
            name: "CZMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(
            name: "CSerialPort", pkgConfig: "libserialport",
            providers: [.apt(["libserialport-dev"])]),
        // Thin C helpers for POSIX and Linux calls Swift cannot reach directly (macros, GNU-only functions).
        .target(name: "CPlatform"),

        .target(name: "ReinsCore", dependencies: ["CPlatform"]),
        .target(name: "ReinsConfig", dependencies: ["ReinsCore", "CYAML"]),
        // Byte links (serial, pty, UDP, TCP) and ZeroMQ; they know nothing about protocols.
        .target(name: "ReinsTransport", dependencies: ["ReinsCore", "ReinsConfig", "CPlatform", "CSerialPort", "CZMQ"]),
        // Pure wire codecs: bytes in, values out. No file descriptors, no sockets.
        .target(
            name: "ReinsProtocols",
            dependencies: ["ReinsCore"]),
        // What robots are asked to do: arm reach targets, the car's track, drone waypoints.
        .target(name: "ReinsTasks", dependencies: ["ReinsCore", "ReinsConfig"]),
        // Simulated robots that speak the real wire protocols.
        .target(
            name: "ReinsSimulators",
            dependencies: ["ReinsCore", "ReinsConfig", "ReinsTasks", "ReinsProtocols", "ReinsTransport"]),
        // The safety filter: the single place that changes actions before they reach a robot.
        .target(name: "ReinsSafety", dependencies: ["ReinsCore", "ReinsConfig"]),
        // One driver per protocol behind the `RobotDriver` lifecycle.
        .target(
            name: "ReinsDrivers",
            dependencies: ["ReinsCore", "ReinsConfig", "ReinsProtocols", "ReinsTransport"]),
        .target(
            name: "ReinsRuntime",
            dependencies: [
                "ReinsCore", "ReinsConfig", "CPlatform", "ReinsTransport", "ReinsProtocols", "ReinsDrivers", "ReinsSafety", "ReinsTasks", "ReinsPolicy", "ReinsRecording",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]),
        // Dense-layer kernels for policy inference: AVX2+FMA chosen at run time, portable C otherwise.
        // Optimised in debug builds too: tests and `swift run` deploy policies at 1 kHz.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("m")]),
        // Learned policies: safetensors loading, Float32 inference, Lipschitz certification,
        // the per-tick robustness monitor and the CARIL confidence-aware corrector.
        .target(name: "ReinsPolicy", dependencies: ["ReinsCore", "ReinsConfig", "CKernels"]),
        // The run record: an MCAP writer fed from the loop through a lock-free ring, its reader and repair.
        .target(name: "ReinsRecording", dependencies: ["ReinsCore", "ReinsConfig"]),
        // Behaviour cloning: RaC data composition, Lipschitz-constrained MLP fitting with an
        // optional CARIL head, policy files the loader certifies.
        .target(name: "ReinsLearning", dependencies: ["ReinsCore", "ReinsPolicy", "CKernels"]),
        .executableTarget(
            name: "reins",
            dependencies: [
                "CPlatform", "ReinsCore", "ReinsConfig", "ReinsRuntime", "ReinsTransport", "ReinsProtocols", "ReinsSimulators", "ReinsDrivers", "ReinsPolicy", "ReinsTasks", "ReinsRecording", "ReinsLearning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Helpers shared by the test targets (temporary folders, running subprocesses).
        .target(name: "ReinsTestSupport", dependencies: ["ReinsCore", "ReinsConfig", "ReinsSafety", "ReinsRuntime", "ReinsSimulators"], path: "Tests/ReinsTestSupport"),
        .testTarget(name: "ReinsCoreTests", dependencies: ["ReinsCore", "ReinsTestSupport"]),
        .testTarget(name: "ReinsConfigTests", dependencies: ["ReinsCore", "ReinsConfig", "ReinsTestSupport"]),
        .testTarget(name: "ReinsTransportTests", dependencies: ["ReinsCore", "ReinsTransport", "ReinsTestSupport"]),
        .testTarget(name: "ReinsSafetyTests", dependencies: ["ReinsCore", "ReinsConfig", "ReinsSafety", "ReinsTestSupport"]),
        .testTarget(
            name: "ReinsDriversTests",
            dependencies: ["ReinsCore", "ReinsConfig", "ReinsTransport", "ReinsDrivers", "ReinsRuntime", "ReinsSimulators", "ReinsTasks", "ReinsRecording", "ReinsTestSupport"]),
        // Tasks, the track and the scripted experts; the experts run through the runtime's pipeline.
        .testTarget(
            name: "ReinsTasksTests",
            dependencies: ["ReinsCore", "ReinsConfig", "ReinsTasks", "ReinsRuntime", "ReinsSimulators", "ReinsTestSupport"]),
        .testTarget(
            name: "ReinsSimulatorsTests",
            dependencies: ["ReinsCore", "ReinsConfig", "ReinsTransport", "ReinsProtocols", "ReinsSimulators", "ReinsTestSupport"]),
        .testTarget(name: "ReinsProtocolsTests", dependencies: ["ReinsCore", "ReinsProtocols", "ReinsTestSupport"]),
        .testTarget(
            name: "ReinsRuntimeTests",
            dependencies: [
                "ReinsRuntime", "ReinsTestSupport", "ReinsCore", "ReinsPolicy", "ReinsTasks", "ReinsConfig", "ReinsDrivers", "ReinsSimulators", "ReinsSafety", "ReinsRecording",
                // Linked ahead of libc, its malloc/free replace libc's for the whole test process,
                // which is how the zero-allocation test counts allocations on the loop thread.
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ]),
        .testTarget(
            name: "ReinsPolicyTests",
            dependencies: [
                // `reins` is here so `swift test --filter ReinsPolicyTests` builds the binary the
                // eval tests run.
                "ReinsCore", "ReinsConfig", "ReinsPolicy", "ReinsTestSupport", "reins",
                // Counts heap allocations on the calling thread (see ReinsRuntimeTests).
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ]),
        .testTarget(
            name: "ReinsRecordingTests",
            dependencies: [
                // `reins` is here so `swift test --filter ReinsRecordingTests` builds the binary the
                // crash, repair and inspect tests run.
                "ReinsCore", "ReinsConfig", "ReinsRecording", "ReinsTestSupport", "reins",
                // Counts heap allocations on the producing thread (see ReinsRuntimeTests).
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ]),
        .testTarget(name: "ReinsCLITests", dependencies: ["reins", "CPlatform", "ReinsTestSupport", "ReinsConfig", "ReinsCore", "ReinsRecording", "ReinsSafety", "ReinsTransport", "ReinsProtocols", "ReinsPolicy", "ReinsRuntime"]),
        .testTarget(name: "ReinsLearningTests", dependencies: ["ReinsCore", "CKernels", "ReinsLearning", "ReinsPolicy", "ReinsTestSupport"]),
    ]
)

// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceCatalog", targets: ["SluiceCatalog"]),
        .library(name: "SluiceSimulator", targets: ["SluiceSimulator"]),
        .library(name: "SluiceGateway", targets: ["SluiceGateway"]),
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The domain, the performance model and the policies: no I/O, no server dependencies.
        .target(
            name: "SluiceCore",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The GPU and model catalog and the calibrations (bundled files, loading, lookup): what the simulator, the
        // gateway and the engine share, without the simulator.
        .target(
            name: "SluiceCatalog",
            dependencies: ["SluiceCore", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources/catalog.json"), .copy("Resources/calibrations")]
        ),
        // One engine replica as the simulator steps it (iteration scheduler, paged KV cache, output lag, request queue)
        // and its real-clock host for `sluice engine`: shared by the simulator and the engine without either importing
        // the other.
        .target(
            name: "SluiceEngineModel",
            dependencies: ["SluiceCore", .product(name: "DequeModule", package: "swift-collections")]
        ),
        // The discrete-event simulator, workloads, calibration data readers and reports.
        .target(
            name: "SluiceSimulator",
            dependencies: [
                "SluiceCore",
                "SluiceCatalog",
                "SluiceEngineModel",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [
                .copy("Resources/azure-conv-2023.csv"),
                .copy("Resources/azure-code-2023.csv"),
                .copy("Resources/LICENSE-azure-trace-CC-BY-4.0.txt"),
                .copy("Resources/sharegpt4-stats.csv"),
                .copy("Resources/LICENSE-sharegpt4-stats-Apache-2.0.txt"),
            ]
        ),
        // Charts and self-contained HTML reports (inline SVG): no dependencies.
        .target(name: "SluiceCharts"),
        // Cost-aware tool planning (CATP-LLM): the plan language, the cost model, the planner.
        .target(name: "SluiceToolPlanning", dependencies: ["SluiceCore"]),
        // Plan tools reached over HTTP: any tool endpoint, and LLM calls through Sluice's gateway.
        .target(
            name: "SluiceToolCalls",
            dependencies: [
                "SluiceCore",
                "SluiceToolPlanning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The gateway's durable state: the cost ledger and tenant store, in SQLite (GRDB) or PostgreSQL (postgres-nio).
        .target(
            name: "SluiceLedger",
            dependencies: [
                "SluiceCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The OpenAI-compatible gateway: the server dependencies live here only.
        .target(
            name: "SluiceGateway",
            dependencies: [
                "SluiceCore",
                "SluiceCatalog",
                "SluiceLedger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `sluice engine`: the simulator's engine model served in real time behind an OpenAI-compatible API.
        .target(
            name: "SluiceEngine",
            dependencies: [
                "SluiceCore",
                "SluiceCatalog",
                "SluiceEngineModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore",
                "SluiceCatalog",
                "SluiceSimulator",
                "SluiceEngineModel",
                "SluiceGateway",
                "SluiceLedger",
                "SluiceEngine",
                "SluiceToolPlanning",
                "SluiceToolCalls",
                "SluiceCharts",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"]),
        .testTarget(name: "SluiceSimulatorTests", dependencies: ["SluiceCore", "SluiceCatalog", "SluiceEngineModel", "SluiceSimulator"]),
        .testTarget(name: "SluiceCLITests", dependencies: ["sluice", "SluiceCore"]),
        .testTarget(name: "SluiceLedgerTests", dependencies: ["SluiceLedger", "SluiceCore"]),
        .testTarget(name: "SluiceChartsTests", dependencies: ["SluiceCharts"]),
        .testTarget(name: "SluiceToolPlanningTests", dependencies: ["SluiceToolPlanning", "SluiceCore"]),
        .testTarget(
            name: "SluiceGatewayTests",
            dependencies: [
                "SluiceGateway", "SluiceCore", "SluiceLedger", "SluiceToolPlanning", "SluiceToolCalls",
                // The simulator only for the admission parity test: the gateway itself does not import it.
                "SluiceSimulator", "SluiceEngineModel", "SluiceCatalog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.treatWarning("ExplicitSendable", as: .error))
    target.swiftSettings = settings
}

// The simulator's event loop touches engine state millions of times per second; dynamic exclusivity checks on
// class-held state cost about a third of its time. Static checking still applies; dynamic checks stay on in
// debug builds (and so in the tests).
for target in package.targets where ["SluiceCore", "SluiceEngineModel", "SluiceSimulator"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
    ]
}

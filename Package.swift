// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Aural",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AuralRPC", targets: ["AuralRPC"]),
        .library(name: "AuralWire", targets: ["AuralWire"]),
        .library(name: "AuralAudio", targets: ["AuralAudio"]),
        .library(name: "AuralSeparation", targets: ["AuralSeparation"]),
        .library(name: "AuralPitch", targets: ["AuralPitch"]),
        .library(name: "AuralChords", targets: ["AuralChords"]),
        .library(name: "AuralEmbedding", targets: ["AuralEmbedding"]),
        .library(name: "AuralSpeech", targets: ["AuralSpeech"]),
        .library(name: "AuralRemote", targets: ["AuralRemote"]),
        .executable(name: "SeparationService", targets: ["SeparationService"]),
        .executable(name: "SessionService", targets: ["SessionService"]),
        .executable(name: "ChordService", targets: ["ChordService"]),
        .executable(name: "EmbeddingService", targets: ["EmbeddingService"]),
        .executable(name: "Edge", targets: ["Edge"]),
        .executable(name: "aural", targets: ["AuralCLI"]),
        .executable(name: "TranscriptionService", targets: ["TranscriptionService"]),
        .executable(name: "rpc-fixture", targets: ["RPCFixture"]),
        .executable(name: "stage-fixture", targets: ["StageFixture"]),
        .executable(name: "aural-bench", targets: ["AuralBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // C libraries (Debian packages installed by scripts/bootstrap).
        .systemLibrary(name: "CNNG", path: "Sources/CNNG"),
        .systemLibrary(name: "CSndFile", path: "Sources/CSndFile", pkgConfig: "sndfile"),
        .systemLibrary(name: "CKissFFT", path: "Sources/CKissFFT"),  // its .pc only adds -D flags SwiftPM refuses
        .systemLibrary(name: "CSampleRate", path: "Sources/CSampleRate", pkgConfig: "samplerate"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq"),
        .systemLibrary(name: "COpenSSLCrypto", path: "Sources/COpenSSLCrypto", pkgConfig: "libcrypto"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        // PocketSphinx 5, built from source by scripts/bootstrap (Debian has only 5prealpha).
        .systemLibrary(name: "CPocketSphinx", path: "Sources/CPocketSphinx", pkgConfig: "pocketsphinx"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl"),

        // Generated from proto/ by scripts/gen-proto; committed.
        .target(
            name: "AuralWire",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["PROTO_SHA256"]
        ),
        .target(
            name: "AuralRPC",
            dependencies: [
                "CNNG", "AuralWire",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Decode/encode, resampling, STFT and spectral helpers; no sockets, no HTTP.
        .target(name: "AuralAudio", dependencies: ["CSndFile", "CKissFFT", "CSampleRate"]),

        .target(name: "AuralSeparation", dependencies: ["AuralAudio"]),
        // Vocal melody: pYIN pitch tracking, note segmentation, frames JSON.
        .target(name: "AuralPitch", dependencies: ["AuralAudio"]),
        // Chords, beats, tempo and key. KissFFT directly: frames are analysed one at a time without storing a spectrogram.
        .target(name: "AuralChords", dependencies: ["AuralAudio", "CKissFFT"]),
        // Sentence embeddings: all-MiniLM-L6-v2 (WordPiece, BERT on OpenBLAS sgemm); no sockets, no HTTP.
        .target(name: "AuralEmbedding", dependencies: ["COpenBLAS"]),
        // Speech: voice activity, speaker diarization, RTTM and DER scoring, recognition (PocketSphinx); no sockets, no HTTP.
        .target(name: "AuralSpeech", dependencies: ["AuralAudio", "CPocketSphinx"]),
        // Clients of OpenAI-compatible network APIs (speech to text), over libcurl.
        .target(name: "AuralRemote", dependencies: ["AuralSpeech", "AuralAudio", "CCurl"]),
        // Blob storage: local files now, S3-compatible later.
        .target(name: "AuralBlob", dependencies: ["COpenSSLCrypto"]),
        // One SQL interface, two drivers (SQLite, PostgreSQL), numbered migrations.
        .target(name: "AuralStore", dependencies: ["CSQLite", "CLibPQ"]),
        // Jobs, the leased task queue and the pipeline DAG; no sockets.
        .target(name: "AuralSession", dependencies: ["AuralStore"]),

        // RPC faces of the stages: wire messages in, library calls, wire messages out.
        .target(
            name: "AuralServices",
            dependencies: [
                "AuralRPC", "AuralWire", "AuralAudio", "AuralSeparation", "AuralPitch", "AuralChords", "AuralEmbedding", "AuralSpeech", "AuralBlob",
                "AuralStore", "AuralSession", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // The public REST API: HTTP in, SessionService calls and blob files out.
        .target(
            name: "AuralEdge",
            dependencies: [
                "AuralRPC", "AuralWire", "AuralAudio", "AuralBlob", "AuralServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("openapi.json")]
        ),

        // Thin executables: configuration, wiring, run.
        .executableTarget(
            name: "Edge",
            dependencies: [
                "AuralEdge", "AuralRPC",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SeparationService",
            dependencies: [
                "AuralServices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "TranscriptionService",
            dependencies: [
                "AuralServices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "ChordService",
            dependencies: [
                "AuralServices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "EmbeddingService",
            dependencies: [
                "AuralServices", "AuralRPC", "AuralEmbedding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SessionService",
            dependencies: [
                "AuralServices", "AuralRPC", "AuralBlob", "AuralStore", "AuralSession",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The `aural` command: `up` supervises a local stack; the rest are REST clients.
        .executableTarget(
            name: "AuralCLI",
            dependencies: [
                "AuralRPC", "AuralStore", "AuralSession", "AuralEmbedding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // A real RPC server process for integration tests, the C interop test and benchmarks.
        .executableTarget(
            name: "RPCFixture",
            dependencies: [
                "AuralRPC", "AuralWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/RPCFixture"
        ),
        .executableTarget(
            name: "StageFixture",
            dependencies: [
                "AuralServices", "AuralRPC", "AuralBlob", "AuralSession", "AuralWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/StageFixture"
        ),
        .executableTarget(
            name: "AuralBench",
            dependencies: [
                "AuralRPC", "AuralWire", "AuralAudio", "AuralSeparation", "AuralPitch", "AuralChords", "AuralSpeech",
                "AuralEmbedding", "AuralServices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/AuralBench"
        ),

        .target(
            name: "AuralTestSupport",
            dependencies: ["AuralRPC", "AuralWire", "AuralStore", "AuralEmbedding", .product(name: "Logging", package: "swift-log")],
            path: "Tests/AuralTestSupport"
        ),
        .testTarget(
            name: "AuralRPCTests",
            dependencies: [
                "AuralRPC", "AuralWire", "CNNG", "AuralTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CSndFile", "CKissFFT", "CSampleRate"]
        ),
        .testTarget(
            name: "SessionServiceTests",
            dependencies: ["AuralServices", "AuralRPC", "AuralWire", "AuralAudio", "AuralBlob", "AuralSession", "AuralStore", "AuralTestSupport"]
        ),
        .testTarget(
            name: "EdgeTests",
            dependencies: [
                "AuralEdge", "AuralAudio", "AuralStore", "AuralTestSupport", "AuralWire", "AuralRPC", "AuralSpeech",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        .testTarget(name: "DeploymentTests", dependencies: ["AuralTestSupport"]),
        .testTarget(name: "AuralSessionTests", dependencies: ["AuralSession", "AuralStore", "AuralTestSupport"]),
        .testTarget(name: "AuralAudioTests", dependencies: ["AuralAudio", "AuralRPC"]),
        .testTarget(name: "AuralEmbeddingTests", dependencies: ["AuralEmbedding", "AuralTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "EmbeddingServiceTests",
            dependencies: ["AuralServices", "AuralEmbedding", "AuralRPC", "AuralWire", "AuralTestSupport"]
        ),
        .testTarget(name: "AuralChordsTests", dependencies: ["AuralChords", "AuralAudio", "AuralRPC"]),
        .testTarget(name: "AuralSpeechTests", dependencies: ["AuralSpeech", "AuralAudio", "AuralTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ChordServiceTests",
            dependencies: ["AuralServices", "AuralRPC", "AuralWire", "AuralAudio", "AuralChords", "AuralTestSupport"]
        ),
        .testTarget(
            name: "AuralSeparationTests",
            dependencies: ["AuralSeparation", "AuralAudio", "AuralRPC", "AuralWire", "AuralServices", "AuralTestSupport"]
        ),
        .testTarget(
            name: "AuralRemoteTests",
            dependencies: [
                "AuralRemote", "AuralSpeech", "AuralAudio",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ]
        ),
        .testTarget(
            name: "AuralPitchTests",
            dependencies: ["AuralPitch", "AuralAudio", "AuralBlob", "AuralRPC", "AuralWire", "AuralServices", "AuralTestSupport"]
        ),
    ]
)

import Foundation

/// The nng addresses of the Aural processes (DESIGN.md §2). Locally they are
/// `ipc://` sockets in the run directory; deployments set `tcp://` addresses
/// through `AURAL_*` variables.
public struct AuralAddresses: Sendable, Equatable {
    public var sessionRPC: String
    public var workRPC: String
    public var eventsIn: String
    public var eventsOut: String

    /// The address of a stage's direct-call REP socket, e.g. `separation-rpc`.
    public var stageRPC: [String: String]

    public static let stageNames = ["separation", "transcription", "chords", "embedding"]

    public init(runDirectory: String, environment: AuralEnvironment = .init()) {
        func address(_ variable: String, _ name: String) -> String {
            environment[variable] ?? Self.ipcURL(name: name, runDirectory: runDirectory)
        }
        sessionRPC = address("AURAL_SESSION_RPC", "session-rpc")
        workRPC = address("AURAL_WORK_RPC", "work-rpc")
        eventsIn = address("AURAL_EVENTS_IN", "events-in")
        eventsOut = address("AURAL_EVENTS_OUT", "events-out")
        var stages: [String: String] = [:]
        for stage in Self.stageNames {
            stages[stage] = address("AURAL_\(stage.uppercased())_RPC", "\(stage)-rpc")
        }
        stageRPC = stages
    }

    /// Unix socket paths hold about 107 bytes; a run directory deep in the
    /// file system falls back to a short path under /tmp named after it.
    public static func ipcURL(name: String, runDirectory: String) -> String {
        let absolute = URL(fileURLWithPath: runDirectory).standardizedFileURL.path
        let path = absolute + "/" + name
        if path.utf8.count < 100 { return "ipc://" + path }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, stable across runs
        for byte in absolute.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "ipc:///tmp/aural-\(String(hash, radix: 36))/\(name)"
    }

    /// Creates the directory an `ipc://` address lives in.
    public static func prepare(_ url: String) throws {
        guard url.hasPrefix("ipc://") else { return }
        let directory = URL(fileURLWithPath: String(url.dropFirst("ipc://".count))).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }
}

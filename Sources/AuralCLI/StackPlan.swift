import AuralEmbedding
import AuralRPC
import Foundation

/// Which processes make up a local stack and how each is configured: the
/// embedded default (SQLite and files under the data directory, `ipc://`
/// sockets under DATA/run), SessionService, N workers of each stage whose
/// executable was built, and the Edge.
struct StackPlan: Sendable {
    /// Stage name → executable, in pipeline order.
    static let stageExecutables = [("separation", "SeparationService"), ("transcription", "TranscriptionService"), ("chords", "ChordService")]

    var binDirectory: String
    var dataDirectory: String
    var port: Int
    var databaseURL: String?
    var replicas: [String: Int]
    var environment: [String: String] = ProcessInfo.processInfo.environment

    /// The directory `aural` itself was started from, where `swift build` puts its siblings.
    static var ownDirectory: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }

    var stagesAvailable: [String] {
        Self.stageExecutables.filter { FileManager.default.isExecutableFile(atPath: binDirectory + "/" + $0.1) }.map(\.0)
    }

    /// Why EmbeddingService is left out, or nil when it runs: it needs its
    /// executable and the installed model (without it, it could only crash-loop).
    var embeddingUnavailableReason: String? {
        guard FileManager.default.isExecutableFile(atPath: binDirectory + "/EmbeddingService") else { return "not built" }
        var modelEnvironment = environment
        modelEnvironment["AURAL_DATA_DIR"] = dataDirectory
        let weights = ModelLocation.miniLMDirectory(environment: modelEnvironment).appendingPathComponent("model.safetensors").path
        guard FileManager.default.fileExists(atPath: weights) else {
            return "no model at \(weights); install it with `\(EmbeddingModelError.installCommand)`"
        }
        return nil
    }

    func children() throws -> [ChildSpec] {
        let data = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: data + "/run", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data + "/blobs", withIntermediateDirectories: true)
        var shared = environment
        shared["AURAL_DATA_DIR"] = data
        shared["AURAL_HTTP_PORT"] = String(port)
        if let databaseURL { shared["AURAL_DATABASE_URL"] = databaseURL }
        // The pipeline is what this stack can run, unless the operator chose one.
        if shared["AURAL_PIPELINE"] == nil { shared["AURAL_PIPELINE"] = stagesAvailable.joined(separator: ",") }

        var children = [ChildSpec(name: "session", executable: binDirectory + "/SessionService", arguments: [], environment: shared)]
        for (stage, executable) in Self.stageExecutables where stagesAvailable.contains(stage) {
            let count = replicas[stage] ?? 1
            for replica in 1...max(1, count) where count > 0 {
                // Each replica serves direct calls on its own socket; the first keeps the well-known address.
                let arguments = replica == 1 ? [] : ["--listen", AuralAddresses.ipcURL(name: "\(stage)-rpc-\(replica)", runDirectory: data + "/run")]
                children.append(ChildSpec(name: count > 1 ? "\(stage)-\(replica)" : stage, executable: binDirectory + "/" + executable,
                                          arguments: arguments, environment: shared))
            }
        }
        if embeddingUnavailableReason == nil {
            children.append(ChildSpec(name: "embedding", executable: binDirectory + "/EmbeddingService", arguments: [], environment: shared))
        }
        children.append(ChildSpec(name: "edge", executable: binDirectory + "/Edge", arguments: [], environment: shared))
        return children
    }
}

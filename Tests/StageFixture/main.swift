import ArgumentParser
import AuralBlob
import AuralRPC
import AuralServices
import AuralSession
import AuralWire
import Foundation
import Logging

/// A stage worker process for the queue's crash, cancel and drain tests: the
/// real StageWorker loop around a handler whose running time the test sets.
/// It reports progress every 50 ms and writes one small artifact.
@main
struct StageFixture: AsyncParsableCommand {
    @Option var dataDir: String
    @Option var stage: String = "chords"
    @Option var seconds: Double = 1
    @Option var drainSeconds: Double = 30

    func run() async throws {
        let environment = AuralEnvironment()
        AuralLogging.bootstrap(level: .notice)
        let logger = Logger(label: "stage-fixture")
        guard let stage = PipelineStage(rawValue: stage) else { throw ValidationError("unknown stage \(stage)") }
        let addresses = AuralAddresses(runDirectory: dataDir + "/run", environment: environment)
        let blobs = try LocalBlobStore(root: dataDir + "/blobs")
        var configuration = StageWorker.Configuration(workerID: "fixture-\(getpid())")
        configuration.drainTimeout = .milliseconds(Int64(drainSeconds * 1000))
        configuration.heartbeatInterval = .milliseconds(300)
        let worker = try StageWorker(
            handler: TimedStage(stage: stage, seconds: seconds, blobs: blobs), workRPC: addresses.workRPC,
            eventsIn: addresses.eventsIn, blobs: blobs, configuration: configuration, logger: logger)
        try await ServiceRunner.run([worker], logger: logger)
    }
}

struct TimedStage: StageHandler {
    let stage: PipelineStage
    let seconds: Double
    let blobs: LocalBlobStore

    func run(_ task: Aural_V1_Task, progress: StageProgress) async throws -> StageOutput {
        let steps = max(1, Int(seconds / 0.05))
        for step in 1...steps {
            try await Task.sleep(for: .milliseconds(50))
            try progress.report(Double(step) / Double(steps))
        }
        var blob = Aural_V1_BlobRef()
        blob.key = "\(task.outputPrefix)/\(stage.rawValue).json"
        let data = Data(#"{"attempt":\#(task.attempt)}"#.utf8)
        try blobs.write(blob.key, data: data)
        blob.contentType = "application/json"
        blob.size = UInt64(data.count)
        return StageOutput(artifacts: [blob], summary: ["\(stage.rawValue)_attempt": String(task.attempt)])
    }
}

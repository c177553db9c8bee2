import AuralBlob
import AuralRPC
import AuralSession
import AuralWire
import Foundation
import Synchronization

/// What a stage does with one leased task. Implementations are the same
/// library calls the direct-call REP methods make.
public protocol StageHandler: Sendable {
    var stage: PipelineStage { get }
    func run(_ task: Aural_V1_Task, progress: StageProgress) async throws -> StageOutput
}

public struct StageOutput: Sendable {
    /// Blobs written under the task's `output_prefix`.
    public var artifacts: [Aural_V1_BlobRef]
    /// Merged into the job's metadata (e.g. `duration`, `key`, `tempo_bpm`).
    public var summary: [String: String]

    public init(artifacts: [Aural_V1_BlobRef], summary: [String: String]) {
        self.artifacts = artifacts
        self.summary = summary
    }
}

extension LocalBlobStore {
    /// The path of a stage's input, which must be in storage: a missing input
    /// stays missing, so the failure is not retryable.
    func stageInputPath(_ key: String, describedAs what: String = "input") throws -> String {
        let path = try path(for: key)
        guard FileManager.default.fileExists(atPath: path) else {
            throw StageFailure("\(what) \(key) is missing from blob storage", retryable: false)
        }
        return path
    }
}

/// A failure the handler understands: `retryable` says whether another
/// attempt could succeed (a full disk may clear; a corrupt file will not).
public struct StageFailure: Error, CustomStringConvertible {
    public var message: String
    public var retryable: Bool

    public init(_ message: String, retryable: Bool) {
        self.message = message
        self.retryable = retryable
    }

    public var description: String { message }
}

/// The handler's line back to the worker: it reports progress (0...1) and
/// learns, by a thrown `StageStopped`, that it should stop — the job was
/// cancelled, the lease was lost, or the worker is shutting down. Called
/// from DSP threads, so it only takes a lock and publishes without waiting.
public final class StageProgress: Sendable {
    public enum StopReason: Sendable, Equatable { case jobCancelled, leaseLost, shuttingDown }

    public struct StageStopped: Error { public let reason: StopReason }

    private struct State {
        var percent: Double = 0
        var reportedPercent: Double = 0
        var stopReason: StopReason?
        var lastPublished: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let publish: @Sendable (Double) -> Void
    private let publishInterval: Duration

    init(publishInterval: Duration = .milliseconds(200), publish: @escaping @Sendable (Double) -> Void) {
        self.publishInterval = publishInterval
        self.publish = publish
    }

    public func report(_ fraction: Double) throws(StageStopped) {
        let now = ContinuousClock.now
        let (stop, publishPercent) = state.withLock { state -> (StopReason?, Double?) in
            state.percent = min(max(fraction, 0), 1) * 100
            guard state.stopReason == nil else { return (state.stopReason, nil) }
            if let last = state.lastPublished, now - last < publishInterval { return (nil, nil) }
            state.lastPublished = now
            return (nil, state.percent)
        }
        if let stop { throw StageStopped(reason: stop) }
        if let publishPercent { publish(publishPercent) }
    }

    public var percent: Double { state.withLock { $0.percent } }
    var stopReason: StopReason? { state.withLock { $0.stopReason } }

    func stop(_ reason: StopReason) {
        state.withLock { state in if state.stopReason == nil { state.stopReason = reason } }
    }

    /// True when progress moved since the last call (to heartbeat early).
    func takeProgressChange() -> Double? {
        state.withLock { state in
            guard state.percent != state.reportedPercent else { return nil }
            state.reportedPercent = state.percent
            return state.percent
        }
    }
}

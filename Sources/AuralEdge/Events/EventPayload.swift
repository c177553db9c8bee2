import AuralWire
import Foundation

/// How a job event looks to clients, on SSE (`event:` name plus JSON
/// `data:`) and on the WebSocket (`{"event": name, "data": …}`).
struct EventPayload: Encodable, Sendable {
    let job_id: String
    let sequence: UInt64
    let time: String
    var stage: String?
    var status: String?
    var stage_progress: Double?
    var progress: Double?
    var error_message: String?
    var results: String?

    /// `progress`, `stage`, `completed`, `failed` or `cancelled`.
    let name: String

    enum CodingKeys: String, CodingKey {
        case job_id, sequence, time, stage, status, stage_progress, progress, error_message, results
    }

    init?(_ event: Aural_V1_JobEvent) {
        job_id = event.jobID
        sequence = event.sequence
        time = Timestamp.iso8601(milliseconds: event.timeUnixMs)
        switch event.kind {
        case .progress(let progress):
            name = "progress"
            stage = progress.stageProgress.stage.apiName
            stage_progress = Double(progress.stageProgress.percent)
            self.progress = Double(progress.jobPercent)
        case .stage(let change):
            name = "stage"
            stage = change.stage.apiName
            status = change.status.apiName
        case .completed:
            name = "completed"
            status = "completed"
            results = "/api/v1/jobs/\(event.jobID)/results"
        case .failed(let failure):
            name = "failed"
            status = "failed"
            stage = failure.stage.apiName
            error_message = failure.errorMessage
        case .cancelled:
            name = "cancelled"
            status = "cancelled"
        case nil:
            return nil
        }
    }

    var isTerminal: Bool { ["completed", "failed", "cancelled"].contains(name) }
    /// Progress ticks are not stored, so only lifecycle events advance a resumable position.
    var isLifecycle: Bool { name != "progress" }

    func json() -> String {
        (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? "{}"
    }
}

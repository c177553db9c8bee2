@testable import AuralSession
import Testing

@Suite struct EstimateTests {
    private func job(_ state: JobState, progress: Double, startedAtMs: Int64?) -> JobRecord {
        JobRecord(id: "j", state: state, stage: nil, progress: progress,
                  input: BlobReference(key: "k", contentType: "audio/wav", size: 1), inputFilename: "a.wav", audio: nil,
                  metadata: [:], options: [:], errorMessage: nil, createdAtMs: 0, startedAtMs: startedAtMs, completedAtMs: nil, artifacts: [])
    }

    @Test func remainingTimeIsExtrapolatedFromProgress() {
        // A quarter done after 10 s: 30 s to go.
        #expect(job(.processing, progress: 25, startedAtMs: 1_000).estimatedSecondsRemaining(now: 11_000) == 30)
        #expect(job(.processing, progress: 50, startedAtMs: 0).estimatedSecondsRemaining(now: 4_000) == 4)
    }

    @Test func unknownUntilThereIsProgressAndZeroOnceFinished() {
        #expect(job(.queued, progress: 0, startedAtMs: nil).estimatedSecondsRemaining(now: 5_000) == nil)
        #expect(job(.processing, progress: 1, startedAtMs: 0).estimatedSecondsRemaining(now: 5_000) == nil)
        #expect(job(.completed, progress: 100, startedAtMs: 0).estimatedSecondsRemaining(now: 5_000) == 0)
        #expect(job(.failed, progress: 40, startedAtMs: 0).estimatedSecondsRemaining(now: 5_000) == 0)
    }
}

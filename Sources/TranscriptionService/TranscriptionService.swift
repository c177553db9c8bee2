import ArgumentParser
import AuralServices

@main
struct TranscriptionServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TranscriptionService",
        abstract: "Transcribes the vocal melody (pitch frames every 10 ms and notes) and speech (who spoke when, and the words).")

    @OptionGroup var options: StageServiceOptions

    func run() async throws {
        try await options.run(serviceName: "TranscriptionService", stage: .transcription) { blobs, work in
            let melody = TranscriptionRPCService(blobs: blobs, work: work)
            let speech = SpeechRPCService(blobs: blobs, work: work)
            return ({ melody.register(on: &$0); speech.register(on: &$0) },
                    [TranscriptionStage(blobs: blobs, work: work), SpeechStage(blobs: blobs, work: work)])
        }
    }
}

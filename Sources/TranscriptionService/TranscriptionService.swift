import ArgumentParser
import AuralServices

@main
struct TranscriptionServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TranscriptionService",
        abstract: "Transcribes the vocal melody (pitch frames every 10 ms and notes) and speech (who spoke when).")

    @OptionGroup var options: StageServiceOptions

    func run() async throws {
        try await options.run(serviceName: "TranscriptionService", stage: .transcription) { blobs, work in
            let directCalls = TranscriptionRPCService(blobs: blobs, work: work)
            return ({ directCalls.register(on: &$0) }, [TranscriptionStage(blobs: blobs, work: work), SpeechStage(blobs: blobs, work: work)])
        }
    }
}

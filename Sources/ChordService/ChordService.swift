import ArgumentParser
import AuralServices

@main
struct ChordServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ChordService",
        abstract: "Finds the chords, beats, tempo and key of audio.")

    @OptionGroup var options: StageServiceOptions

    func run() async throws {
        try await options.run(serviceName: "ChordService", stage: .chords) { blobs, work in
            let directCalls = ChordRPCService(blobs: blobs, work: work)
            return ({ directCalls.register(on: &$0) }, [ChordStage(blobs: blobs, work: work)])
        }
    }
}

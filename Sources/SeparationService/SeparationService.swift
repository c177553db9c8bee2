import ArgumentParser
import AuralServices

@main
struct SeparationServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SeparationService",
        abstract: "Separates audio into vocals, drums, bass, other and instrumental stems.")

    @OptionGroup var options: StageServiceOptions

    func run() async throws {
        try await options.run(serviceName: "SeparationService", stage: .separation) { blobs, work in
            let directCalls = SeparationRPCService(blobs: blobs, work: work)
            return ({ directCalls.register(on: &$0) }, [SeparationStage(blobs: blobs, work: work)])
        }
    }
}

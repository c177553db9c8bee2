import AuralAudio
import AuralBlob
import AuralRPC
import AuralSeparation
import AuralWire
import Foundation
import Logging

public enum SeparationMethods {
    /// Idempotent: stems land under deterministic keys, written atomically.
    public static let separate = RPCMethod<Aural_V1_SeparateRequest, Aural_V1_SeparateResponse>(
        "aural.v1.SeparationService/Separate", idempotent: true)
}

/// The direct-call face of separation: audio in (inline or blob), stems out
/// (written to blob storage under `output_prefix`, or inline when it is empty).
public struct SeparationRPCService: Sendable {
    let blobs: LocalBlobStore
    let work: BlockingWorkPool
    let separator: Separator

    public init(blobs: LocalBlobStore, work: BlockingWorkPool, separator: Separator = Separator()) {
        self.blobs = blobs
        self.work = work
        self.separator = separator
    }

    public func register(on router: inout RPCRouter) {
        router.register(SeparationMethods.separate) { request, call in
            try await separate(request, call: call)
        }
    }

    func separate(_ request: Aural_V1_SeparateRequest, call: RPCCallContext) async throws -> Aural_V1_SeparateResponse {
        let stems = try request.stems.map(Self.stemKind)
        let formats = try request.formats.map(Self.fileFormat)
        let staged = try StagedAudio(request.audio, blobs: blobs)
        defer { staged.cleanup() }
        let outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("aural-stems-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputDirectory) }

        let started = ContinuousClock.now
        let separator = self.separator
        let (info, files) = try await work.run {
            do {
                return try separator.separateFile(
                    at: staged.path, into: outputDirectory,
                    stems: stems.isEmpty ? StemKind.allCases : stems,
                    formats: formats.isEmpty ? [.flac, .mp3Default] : formats,
                    progress: { _ in try call.checkDeadline() })
            } catch let error as AudioError {
                throw AudioWire.rpcError(error)
            }
        }
        var response = Aural_V1_SeparateResponse()
        response.audio = AudioWire.descriptor(info)
        response.processingSeconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        for file in files {
            var stem = Aural_V1_Stem()
            stem.name = Self.stemName(file.kind)
            stem.format = Self.wireFormat(file.format)
            if request.outputPrefix.isEmpty {
                stem.inlineData = try Data(contentsOf: URL(fileURLWithPath: file.path))
            } else {
                do {
                    stem.blob = try blobs.storeStem(file, under: request.outputPrefix, checksum: false)
                } catch {
                    if case .invalidKey = error { throw RPCError.invalidArgument("\(error)") }
                    throw RPCError.internalError("\(error)")
                }
            }
            response.stems.append(stem)
        }
        call.logger.info("separated", metadata: [
            "seconds": "\(String(format: "%.1f", info.duration))",
            "rtf": "\(String(format: "%.3f", response.processingSeconds / max(info.duration, 1e-9)))",
        ])
        return response
    }

    // MARK: - Wire mapping

    static func stemKind(_ name: Aural_V1_StemName) throws(RPCError) -> StemKind {
        switch name {
        case .stemVocals: .vocals
        case .stemDrums: .drums
        case .stemBass: .bass
        case .stemOther: .other
        case .stemInstrumental: .instrumental
        default: throw .invalidArgument("unknown stem \(name)")
        }
    }

    static func stemName(_ kind: StemKind) -> Aural_V1_StemName {
        switch kind {
        case .vocals: .stemVocals
        case .drums: .stemDrums
        case .bass: .stemBass
        case .other: .stemOther
        case .instrumental: .stemInstrumental
        }
    }

    static func fileFormat(_ format: Aural_V1_AudioFormat) throws(RPCError) -> AudioFileFormat {
        switch format {
        case .wav: .wav(.pcm16)
        case .flac: .flac
        case .mp3: .mp3Default
        default: throw .invalidArgument("unknown audio format \(format)")
        }
    }

    static func wireFormat(_ format: AudioFileFormat) -> Aural_V1_AudioFormat {
        switch format {
        case .wav: .wav
        case .flac: .flac
        case .mp3: .mp3
        case .oggVorbis, .opus: .unspecified
        }
    }
}

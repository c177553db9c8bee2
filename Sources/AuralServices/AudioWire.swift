import AuralAudio
import AuralRPC
import AuralWire

/// What every audio-analysis service says the same way on the wire: an
/// input it cannot decode, and the descriptor of the audio it read.
public enum AudioWire {
    static func rpcError(_ error: AudioError) -> RPCError {
        switch error {
        case .unsupportedFormat, .corrupt, .empty, .invalidArgument: .invalidArgument("\(error)")
        case .fileNotFound: .notFound("\(error)")
        case .writeFailed: .internalError("\(error)")
        }
    }

    public static func descriptor(_ info: AudioInfo) -> Aural_V1_AudioDescriptor {
        var audio = Aural_V1_AudioDescriptor()
        audio.durationSeconds = info.duration
        audio.sampleRate = UInt32(info.sampleRate)
        audio.channels = UInt32(info.channelCount)
        audio.format = info.container.rawValue
        audio.frames = UInt64(info.frameCount)
        return audio
    }
}

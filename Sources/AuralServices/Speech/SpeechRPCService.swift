import AuralAudio
import AuralBlob
import AuralRPC
import AuralSpeech
import AuralWire

public enum SpeechMethods {
    /// Idempotent: the same audio gives the same words (the decoder's dither is seeded).
    public static let transcribeSpeech = RPCMethod<Aural_V1_TranscribeSpeechRequest, Aural_V1_TranscribeSpeechResponse>(
        "aural.v1.TranscriptionService/TranscribeSpeech", idempotent: true)
}

/// The direct-call face of speech-to-text, for short recordings a caller
/// waits for (a similarity session's audio, `POST /speech/text`). Longer
/// ones belong in a speech job, which also diarizes and reports progress.
public struct SpeechRPCService: Sendable {
    public static let maxSeconds = 60.0

    let blobs: LocalBlobStore
    let work: BlockingWorkPool

    public init(blobs: LocalBlobStore, work: BlockingWorkPool) {
        self.blobs = blobs
        self.work = work
    }

    public func register(on router: inout RPCRouter) {
        router.register(SpeechMethods.transcribeSpeech) { request, _ in try await transcribe(request) }
    }

    func transcribe(_ request: Aural_V1_TranscribeSpeechRequest) async throws -> Aural_V1_TranscribeSpeechResponse {
        let staged = try StagedAudio(request.audio, blobs: blobs)
        defer { staged.cleanup() }
        let (info, transcription) = try await work.run { () throws -> (AudioInfo, Transcription) in
            let info: AudioInfo
            do throws(AudioError) { info = try AudioFile.probe(staged.path) } catch { throw AudioWire.rpcError(error) }
            guard info.duration <= Self.maxSeconds else {
                throw RPCError.invalidArgument(
                    "the recording lasts \(Int(info.duration.rounded())) s; direct transcription takes at most \(Int(Self.maxSeconds)) s (make a speech job instead)")
            }
            do throws(SpeechRecognitionError) {
                // A decoder per call: PocketSphinx decoders are not shareable between threads.
                return (info, try PocketSphinxRecognizer().recognize(file: staged.path, speech: nil))
            } catch .invalidAudio(let detail) {
                throw RPCError.invalidArgument("audio unusable for speech recognition: \(detail)")
            } catch {
                throw RPCError.internalError("\(error)")
            }
        }
        var response = Aural_V1_TranscribeSpeechResponse()
        response.audio = AudioWire.descriptor(info)
        response.text = transcription.text
        response.engine = "pocketsphinx"
        response.words = transcription.words.map { word in
            var spoken = Aural_V1_SpokenWord()
            spoken.word = word.word
            spoken.start = word.start
            spoken.end = word.end
            spoken.confidence = Float(word.confidence)
            return spoken
        }
        return response
    }
}

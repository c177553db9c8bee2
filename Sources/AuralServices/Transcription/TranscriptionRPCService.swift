import AuralAudio
import AuralBlob
import AuralPitch
import AuralRPC
import AuralWire
import Foundation
import Logging

public enum TranscriptionMethods {
    /// Idempotent: the same audio gives the same frames; the optional frames
    /// JSON lands at a caller-chosen key, written atomically.
    public static let transcribeMelody = RPCMethod<Aural_V1_TranscribeMelodyRequest, Aural_V1_TranscribeMelodyResponse>(
        "aural.v1.TranscriptionService/TranscribeMelody", idempotent: true)
}

/// The direct-call face of melody transcription: audio in (inline or blob),
/// pitch frames, notes and tuning out, and the frames JSON written to blob
/// storage when `output_key` is set.
public struct TranscriptionRPCService: Sendable {
    let blobs: LocalBlobStore
    let work: BlockingWorkPool
    let transcriber: MelodyTranscriber

    public init(blobs: LocalBlobStore, work: BlockingWorkPool, transcriber: MelodyTranscriber = MelodyTranscriber()) {
        self.blobs = blobs
        self.work = work
        self.transcriber = transcriber
    }

    public func register(on router: inout RPCRouter) {
        router.register(TranscriptionMethods.transcribeMelody) { request, call in
            try await transcribeMelody(request, call: call)
        }
    }

    func transcribeMelody(_ request: Aural_V1_TranscribeMelodyRequest, call: RPCCallContext) async throws -> Aural_V1_TranscribeMelodyResponse {
        var transcriber = self.transcriber
        if request.fminHz != 0 { transcriber.tracker.configuration.minimumFrequency = Double(request.fminHz) }
        if request.fmaxHz != 0 { transcriber.tracker.configuration.maximumFrequency = Double(request.fmaxHz) }
        let range = transcriber.tracker.configuration
        guard range.minimumFrequency >= 20, range.maximumFrequency <= 3000, range.minimumFrequency < range.maximumFrequency else {
            throw RPCError.invalidArgument("pitch range must satisfy 20 ≤ fmin_hz < fmax_hz ≤ 3000")
        }
        let staged = try StagedAudio(request.audio, blobs: blobs)
        defer { staged.cleanup() }

        let started = ContinuousClock.now
        let (info, transcription) = try await work.run { [transcriber] in
            do {
                return try transcriber.transcribeFile(at: staged.path, progress: { _ in try call.checkDeadline() })
            } catch let error as AudioError {
                throw AudioWire.rpcError(error)
            }
        }
        var response = Self.response(transcription)
        response.audio = AudioWire.descriptor(info)
        if !request.outputKey.isEmpty {
            do {
                response.framesJson = try blobs.storeJSON(FramesJSON.encode(transcription), key: request.outputKey)
            } catch {
                if case .invalidKey = error { throw RPCError.invalidArgument("\(error)") }
                throw RPCError.internalError("\(error)")
            }
        }
        let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        call.logger.info("transcribed melody", metadata: [
            "seconds": "\(String(format: "%.1f", info.duration))",
            "rtf": "\(String(format: "%.4f", seconds / max(info.duration, 1e-9)))",
            "notes": "\(transcription.notes.count)",
        ])
        return response
    }

    static func response(_ transcription: MelodyTranscription) -> Aural_V1_TranscribeMelodyResponse {
        var response = Aural_V1_TranscribeMelodyResponse()
        response.hopSeconds = transcription.track.hopSeconds
        response.tuningCents = transcription.tuningCents
        response.frames = transcription.track.frames.map { frame in
            var wire = Aural_V1_PitchFrame()
            wire.time = frame.time
            wire.confidence = frame.confidence
            if let midi = frame.midi {
                wire.voiced = true
                wire.f0Hz = frame.f0
                wire.midi = midi
            }
            return wire
        }
        response.notes = transcription.notes.map { note in
            var wire = Aural_V1_Note()
            wire.start = note.start
            wire.end = note.end
            wire.midi = Int32(note.midi)
            wire.f0Hz = note.f0
            return wire
        }
        return response
    }
}

import AuralAudio
import AuralBlob
import AuralRPC
import AuralSession
import AuralSpeech
import AuralWire
import Foundation

/// Speech as a queue stage: the job's upload in; who spoke when
/// (`diarization.json`, `diarization.rttm`) and what they said
/// (`transcript.json`: words with times and speakers, turns) out, under the
/// task's output prefix. Speech-to-text runs on the detected speech only, so
/// silence costs nothing.
public struct SpeechStage: StageHandler {
    public let stage = PipelineStage.speech
    let blobs: LocalBlobStore
    let work: BlockingWorkPool
    let diarizer: Diarizer

    public init(blobs: LocalBlobStore, work: BlockingWorkPool, diarizer: Diarizer = Diarizer()) {
        self.blobs = blobs
        self.work = work
        self.diarizer = diarizer
    }

    public func run(_ task: Aural_V1_Task, progress: StageProgress) async throws -> StageOutput {
        let options: SpeechOptions
        do { options = try SpeechOptions(options: task.options) } catch {
            throw StageFailure("\(error)", retryable: false)
        }
        let inputPath = try blobs.stageInputPath(task.input.key)
        let diarizer = self.diarizer
        let result = try await work.run {
            do {
                return try diarizer.diarize(path: inputPath, speakers: options.speakers)
            } catch let error as AudioError {
                throw StageFailure("input \(task.input.key): \(error)", retryable: false)
            }
        }
        try progress.report(0.3)
        let transcription = try await work.run {
            do {
                // A decoder per task: PocketSphinx decoders are not shareable between threads.
                let recognizer = try PocketSphinxRecognizer()
                return try recognizer.recognize(file: inputPath, speech: result.speech.map { $0.start..<$0.end })
            } catch {
                throw StageFailure("speech recognition: \(error)", retryable: false)
            }
        }
        try progress.report(0.95)
        let document = DiarizationDocument(result)
        let transcript = TranscriptDocument(engine: "pocketsphinx", transcription: transcription, segments: result.segments)
        let artifacts: [Aural_V1_BlobRef]
        do {
            artifacts = [
                try blobs.storeJSON(try document.encoded(), key: task.outputPrefix + "/diarization.json"),
                try blobs.storeJSON(try transcript.encoded(), key: task.outputPrefix + "/transcript.json"),
                try blobs.storeDocument(Data(RTTM.write(result.segments, file: task.jobID).utf8),
                                        key: task.outputPrefix + "/diarization.rttm", contentType: "text/plain; charset=utf-8"),
            ]
        } catch {
            throw StageFailure("\(error)", retryable: true)
        }
        return StageOutput(artifacts: artifacts, summary: [
            "num_speakers": String(document.num_speakers),
            "speech_seconds": String(format: "%.1f", document.speech_seconds),
            "num_words": String(transcript.words.count),
        ])
    }
}

import AsyncHTTPClient
import AuralSpeech
import AuralTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `POST /diarize` through the Edge, SessionService and a TranscriptionService worker.
extension EdgeProcessTests {
    @Suite struct SpeechAPITests {
        /// Two synthetic voices taking turns (14 s), with their RTTM.
        static let dialogue = repositoryRoot.appendingPathComponent("Tests/AuralSpeechTests/Fixtures/dialogue.flac")

        @Test(.timeLimit(.minutes(3))) func diarizeADialogueAndDownloadJSONAndRTTM() async throws {
            try await EdgeStack.with(worker: false) { stack in
                try stack.startWorkers()
                let audio = try Data(contentsOf: Self.dialogue)
                let upload = try await stack.upload(audio, filename: "dialogue.flac", to: "/api/v1/diarize", fields: ["max_speakers": "4"])
                #expect(upload.status == .accepted, "\(String(decoding: upload.body, as: UTF8.self))")
                let id = try #require(try upload.json()["job_id"] as? String)
                let status = try await stack.waitUntilFinished(id)
                #expect(status["status"] as? String == "completed", "\(status)")

                let diarization = try await stack.get("/api/v1/jobs/\(id)/diarization").json()
                #expect(diarization["num_speakers"] as? Int == 2, "\(diarization)")
                let segments = try #require(diarization["segments"] as? [[String: Any]])
                #expect(segments.count >= 4)

                // The RTTM download parses back to the same segments, and scores well against the truth.
                let rttm = try await stack.get("/api/v1/jobs/\(id)/diarization?format=rttm")
                #expect(rttm.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
                let hypothesis = try #require(try RTTM.parse(String(decoding: rttm.body, as: UTF8.self))[id])
                #expect(hypothesis.count == segments.count)
                let truth = try #require(try RTTM.parse(String(contentsOf: Self.dialogue.deletingPathExtension().appendingPathExtension("rttm"),
                                                               encoding: .utf8)).values.first)
                let score = DiarizationScoring.score(reference: truth, hypothesis: hypothesis, collar: 0.25)
                #expect(score.errorRate < 0.1, "DER \(score.errorRate)")

                // The words: in time order inside the clip, each with one of the diarized speakers, grouped into turns.
                let transcript = try await stack.get("/api/v1/jobs/\(id)/transcript").json()
                #expect(transcript["engine"] as? String == "pocketsphinx")
                let words = try #require(transcript["words"] as? [[String: Any]])
                #expect(words.count >= 10, "\(transcript)")
                let starts = words.compactMap { $0["start"] as? Double }
                #expect(starts == starts.sorted() && (starts.first ?? -1) >= 0 && (starts.last ?? 99) < 15)
                let speakers = Set(try #require(diarization["speakers"] as? [String]))
                #expect(words.allSatisfy { speakers.contains($0["speaker"] as? String ?? "") })
                let turns = try #require(transcript["turns"] as? [[String: Any]])
                #expect(turns.count >= 2 && Set(turns.compactMap { $0["speaker"] as? String }) == speakers)
                #expect((transcript["text"] as? String)?.isEmpty == false)

                // A music job has no diarization; a speech job no stems.
                try await stack.get("/api/v1/jobs/\(id)/stems/vocals").expectError(.notFound, "not_found")
                try await stack.get("/api/v1/jobs/\(id)/diarization?format=srt").expectError(.badRequest, "bad_request")
            }
        }

        @Test(.timeLimit(.minutes(2))) func badSpeakerCountsAreRefusedBeforeAnyJobExists() async throws {
            try await EdgeStack.with(worker: false) { stack in
                let audio = try TestAudio.wav(seconds: 1)
                try await stack.upload(audio, filename: "a.wav", to: "/api/v1/diarize?num_speakers=0").expectError(.badRequest, "bad_request")
                try await stack.upload(audio, filename: "a.wav", to: "/api/v1/diarize", fields: ["min_speakers": "5", "max_speakers": "2"])
                    .expectError(.badRequest, "bad_request")
                try await stack.upload(audio, filename: "a.wav", to: "/api/v1/diarize", fields: ["num_speakers": "two"])
                    .expectError(.badRequest, "bad_request")
                #expect((try await stack.get("/api/v1/jobs").json()["jobs"] as? [Any])?.isEmpty == true)
                #expect(stack.storedFiles(under: "uploads").isEmpty)
            }
        }
    }
}

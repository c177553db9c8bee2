import AuralSession
import AuralStore
import AuralTestSupport
import Foundation
import Testing

/// Similarity sessions against SQLite and a real PostgreSQL server.
@Suite struct SimilaritySessionStoreTests {
    func store(_ kind: TestDatabaseKind) async throws -> SimilaritySessionStore? {
        guard let url = try await TestDatabases.url(kind) else { return nil }
        return SimilaritySessionStore(database: try await Database.open(url: url, poolSize: 2))
    }

    static let wav = AudioSummary(duration: 2.5, sampleRate: 16_000, channels: 1, format: "wav", frames: 40_000)

    @Test(arguments: TestDatabaseKind.allCases)
    func sessionLivesThroughAudioResultAndDelete(kind: TestDatabaseKind) async throws {
        guard let store = try await store(kind) else { return }
        let created = try await store.create(referenceText: "  The quick brown fox.\n", metadata: ["lesson": "3"], now: 1_000)
        #expect(created.referenceText == "The quick brown fox.")
        #expect(created.metadata == ["lesson": "3"])
        #expect(created.audio == nil && created.audioSummary == nil && created.resultJSON == nil)
        #expect(try await store.session(created.id) == created)

        let first = BlobReference(key: "sessions/\(created.id)/audio-1.wav", contentType: "audio/wav", size: 80_044)
        let (withAudio, replacedNothing) = try await store.setAudio(created.id, audio: first, summary: Self.wav, now: 2_000)
        #expect(replacedNothing == nil)
        #expect(withAudio.audio == first && withAudio.audioSummary == Self.wav && withAudio.updatedAtMs == 2_000)

        let scored = try await store.saveResult(created.id, json: #"{"score":91}"#, now: 3_000)
        #expect(scored.resultJSON == #"{"score":91}"#)

        // New audio replaces the old file and clears the result it no longer matches.
        let second = BlobReference(key: "sessions/\(created.id)/audio-2.wav", contentType: "audio/wav", size: 80_044)
        let (replaced, oldKey) = try await store.setAudio(created.id, audio: second, summary: Self.wav, now: 4_000)
        #expect(oldKey == first.key)
        #expect(replaced.audio == second && replaced.resultJSON == nil)

        #expect(try await store.delete(created.id))
        #expect(try await store.session(created.id) == nil)
        #expect(try await !store.delete(created.id))
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func invalidTextsAndUnknownSessionsAreRefused(kind: TestDatabaseKind) async throws {
        guard let store = try await store(kind) else { return }
        await #expect(throws: QueueError.invalid("reference_text is empty")) {
            try await store.create(referenceText: " \n ", metadata: [:])
        }
        await #expect(throws: QueueError.self) {
            try await store.create(referenceText: String(repeating: "a", count: SimilaritySessionStore.maxReferenceTextBytes + 1), metadata: [:])
        }
        let unknown = UUID().uuidString.lowercased()
        await #expect(throws: QueueError.notFound("no session \(unknown)")) {
            try await store.setAudio(unknown, audio: BlobReference(key: "k", contentType: "audio/wav", size: 1), summary: Self.wav)
        }
        await #expect(throws: QueueError.notFound("no session \(unknown)")) { try await store.saveResult(unknown, json: "{}") }
    }
}

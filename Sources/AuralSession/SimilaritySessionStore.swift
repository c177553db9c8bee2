import AuralStore
import Foundation

/// A reference text and, once uploaded, a recording to compare with it; the
/// last similarity result is kept with it.
public struct SimilaritySessionRecord: Sendable, Equatable {
    public var id: String
    public var referenceText: String
    public var metadata: [String: String]
    public var audio: BlobReference?
    public var audioSummary: AudioSummary?
    /// The last similarity result as the JSON the Edge returned; nil before the first.
    public var resultJSON: String?
    public var createdAtMs: Int64
    public var updatedAtMs: Int64
}

/// Similarity sessions on either database, one transaction per method.
public struct SimilaritySessionStore: Sendable {
    /// Reference texts are sentences or paragraphs, not documents.
    public static let maxReferenceTextBytes = 64 << 10

    public let database: Database

    public init(database: Database) { self.database = database }

    public func create(referenceText: String, metadata: [String: String],
                       now: Int64 = UnixTime.nowMilliseconds()) async throws -> SimilaritySessionRecord {
        let text = referenceText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw QueueError.invalid("reference_text is empty") }
        guard text.utf8.count <= Self.maxReferenceTextBytes else {
            throw QueueError.invalid("reference_text is longer than \(Self.maxReferenceTextBytes) bytes")
        }
        let id = UUID().uuidString.lowercased()
        try await database.write { db in
            try db.query("""
                INSERT INTO similarity_sessions (id, reference_text, metadata, created_at_ms, updated_at_ms)
                VALUES ($1, $2, $3, $4, $4)
                """, .text(id), .text(text), .text(JobStore.encodeMetadata(metadata)), .integer(now))
        }
        return try await required(id)
    }

    public func session(_ id: String) async throws -> SimilaritySessionRecord? {
        try await database.read { db in
            try db.query("SELECT * FROM similarity_sessions WHERE id = $1", .text(id)).first.map(Self.record)
        }
    }

    /// Points the session at its recording and clears the previous result,
    /// which described other audio. Returns the replaced recording's key, for
    /// the caller to delete once the row no longer names it.
    public func setAudio(_ id: String, audio: BlobReference, summary: AudioSummary,
                         now: Int64 = UnixTime.nowMilliseconds()) async throws -> (SimilaritySessionRecord, replaced: String?) {
        let replaced = try await database.write { db -> String? in
            guard let row = try db.query("SELECT audio_key FROM similarity_sessions WHERE id = $1\(JobStore.lockSuffix(db))",
                                         .text(id)).first else {
                throw QueueError.notFound("no session \(id)")
            }
            let previous = try row.optionalString("audio_key")
            try db.query("""
                UPDATE similarity_sessions SET audio_key = $2, audio_content_type = $3, audio_size = $4, audio_sha256 = $5,
                    audio_duration = $6, audio_sample_rate = $7, audio_channels = $8, audio_format = $9, audio_frames = $10,
                    result = '', updated_at_ms = $11
                WHERE id = $1
                """, .text(id), .text(audio.key), .text(audio.contentType), .int(audio.size), .text(audio.sha256),
                .real(summary.duration), .int(summary.sampleRate), .int(summary.channels), .text(summary.format),
                .integer(summary.frames), .integer(now))
            return previous == audio.key ? nil : previous
        }
        return (try await required(id), replaced)
    }

    public func saveResult(_ id: String, json: String, now: Int64 = UnixTime.nowMilliseconds()) async throws -> SimilaritySessionRecord {
        let updated = try await database.write { db in
            !(try db.query("""
                UPDATE similarity_sessions SET result = $2, updated_at_ms = $3 WHERE id = $1 RETURNING id
                """, .text(id), .text(json), .integer(now)).isEmpty)
        }
        guard updated else { throw QueueError.notFound("no session \(id)") }
        return try await required(id)
    }

    /// Deletes the row; the caller deletes the session's blobs first.
    @discardableResult
    public func delete(_ id: String) async throws -> Bool {
        try await database.write { db in
            !(try db.query("DELETE FROM similarity_sessions WHERE id = $1 RETURNING id", .text(id)).isEmpty)
        }
    }

    private func required(_ id: String) async throws -> SimilaritySessionRecord {
        guard let record = try await session(id) else { throw QueueError.notFound("no session \(id)") }
        return record
    }

    static func record(_ row: SQLRow) throws -> SimilaritySessionRecord {
        let result = try row.string("result")
        return SimilaritySessionRecord(
            id: try row.string("id"),
            referenceText: try row.string("reference_text"),
            metadata: JobStore.decodeMetadata(try row.string("metadata")),
            audio: try row.optionalString("audio_key").map { key in
                BlobReference(key: key, contentType: try row.string("audio_content_type"),
                              size: UInt64(max(0, try row.int("audio_size"))), sha256: try row.string("audio_sha256"))
            },
            audioSummary: try JobStore.audioSummary(row),
            resultJSON: result.isEmpty ? nil : result,
            createdAtMs: try row.int("created_at_ms"),
            updatedAtMs: try row.int("updated_at_ms"))
    }
}

import AuralBlob
import AuralServices
import AuralWire
import Foundation
import Hummingbird

/// Similarity sessions under `/api/v1/sessions`: a reference text, then a
/// recording (JSON with base64 audio, a raw audio body, or multipart).
struct SimilaritySessionRoutes: Sendable {
    let gateway: ServiceGateway
    let transcription: ServiceGateway
    let embeddings: ServiceGateway
    let blobs: LocalBlobStore
    let uploads: UploadReceiver

    func register(on api: RouterGroup<EdgeContext>) {
        api.post("sessions", use: create)
        api.get("sessions/:session_id", use: get)
        api.delete("sessions/:session_id", use: delete)
        api.put("sessions/:session_id/audio", use: putAudio)
        api.post("similarity/:session_id", use: similarity)
    }

    /// Transcribes the session's recording, embeds transcript and reference
    /// text, and stores and returns how close they are.
    @Sendable func similarity(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.uuidParameter("session_id")
        let started = ContinuousClock.now
        let session = try await gateway.call(SimilaritySessionMethods.get, .with { $0.sessionID = id }, requestID: context.requestID)
        guard session.hasAudio else {
            throw APIError.conflict("session \(id) has no audio yet; PUT /api/v1/sessions/\(id)/audio first")
        }
        let heard = try await transcription.call(SpeechMethods.transcribeSpeech, .with {
            $0.audio.blob = session.audio
        }, requestID: context.requestID)
        let transcribed = ContinuousClock.now
        let compared = try await embeddings.call(EmbeddingMethods.similarity, .with {
            $0.a = heard.text
            $0.b = session.referenceText
        }, requestID: context.requestID)
        let embedded = ContinuousClock.now
        let result = SimilarityResultBody(
            session_id: id, transcript: heard.text, reference_text: session.referenceText, cosine: compared.cosine,
            score: compared.score, model: compared.model,
            timings_ms: .init(transcription: Self.milliseconds(transcribed - started), embedding: Self.milliseconds(embedded - transcribed),
                              total: Self.milliseconds(embedded - started)))
        _ = try await gateway.call(SimilaritySessionMethods.saveResult, .with {
            $0.sessionID = id
            $0.resultJson = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        }, requestID: context.requestID)
        return try JSONResponse.make(result)
    }

    static func milliseconds(_ duration: Duration) -> Int { Int((duration / .milliseconds(1)).rounded()) }

    @Sendable func create(_ request: Request, context: EdgeContext) async throws -> Response {
        struct Body: Decodable {
            let reference_text: String
            let metadata: [String: String]?
        }
        let body: Body
        do { body = try await request.decode(as: Body.self, context: context) } catch {
            throw APIError.badRequest("expected JSON {\"reference_text\": string, \"metadata\": {string: string}?}")
        }
        let session = try await gateway.call(SimilaritySessionMethods.create, .with {
            $0.referenceText = body.reference_text
            $0.metadata = body.metadata ?? [:]
        }, requestID: context.requestID)
        return try JSONResponse.make(SimilaritySessionBody(session), status: .created,
                                     headers: [.location: "/api/v1/sessions/\(session.sessionID)"])
    }

    @Sendable func get(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.uuidParameter("session_id")
        return try JSONResponse.make(SimilaritySessionBody(
            try await gateway.call(SimilaritySessionMethods.get, .with { $0.sessionID = id }, requestID: context.requestID)))
    }

    @Sendable func delete(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.uuidParameter("session_id")
        _ = try await gateway.call(SimilaritySessionMethods.delete, .with { $0.sessionID = id }, requestID: context.requestID)
        return Response(status: .noContent)
    }

    @Sendable func putAudio(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.uuidParameter("session_id")
        // Refuse an unknown session before reading a large body.
        _ = try await gateway.call(SimilaritySessionMethods.get, .with { $0.sessionID = id }, requestID: context.requestID)
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        let upload = mediaType == "application/json" ? try await uploads.receiveBase64JSON(request) : try await uploads.receive(request)
        do {
            let session = try await gateway.call(SimilaritySessionMethods.setAudio, .with {
                $0.sessionID = id
                $0.audio = .with { $0.key = upload.key; $0.size = UInt64(upload.byteCount) }
                $0.audioDescriptor = AudioWire.descriptor(upload.info)
            }, requestID: context.requestID)
            return try JSONResponse.make(SimilaritySessionBody(session))
        } catch {
            try? blobs.delete(upload.key)
            throw error
        }
    }
}

/// `POST /similarity/{session_id}`'s answer, also kept on the session.
struct SimilarityResultBody: Codable, Sendable {
    struct Timings: Codable, Sendable {
        let transcription: Int
        let embedding: Int
        let total: Int
    }

    let session_id: String
    let transcript: String
    let reference_text: String
    let cosine: Double
    let score: Double
    let model: String
    let timings_ms: Timings
}

/// A similarity session as the API shows it, with its last similarity result.
struct SimilaritySessionBody: Encodable, Sendable {
    struct Audio: Encodable, Sendable {
        let duration: Double
        let sample_rate: Int
        let channels: Int
        let format: String
        let size: UInt64
    }

    let session_id: String
    let reference_text: String
    let metadata: [String: String]
    let audio: Audio?
    let created_at: String
    let updated_at: String
    let similarity: SimilarityResultBody?

    init(_ session: Aural_V1_SimilaritySession) {
        session_id = session.sessionID
        reference_text = session.referenceText
        metadata = session.metadata
        audio = session.hasAudio
            ? Audio(duration: session.audioDescriptor.durationSeconds, sample_rate: Int(session.audioDescriptor.sampleRate),
                    channels: Int(session.audioDescriptor.channels), format: session.audioDescriptor.format, size: session.audio.size)
            : nil
        created_at = Timestamp.iso8601(milliseconds: session.createdAtUnixMs)
        updated_at = Timestamp.iso8601(milliseconds: session.updatedAtUnixMs)
        similarity = try? JSONDecoder().decode(SimilarityResultBody.self, from: Data(session.resultJson.utf8))
    }

    enum CodingKeys: String, CodingKey { case session_id, reference_text, metadata, audio, created_at, updated_at, similarity }

    // `audio` and `similarity` are written as null when absent, not left out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session_id, forKey: .session_id)
        try container.encode(reference_text, forKey: .reference_text)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(audio, forKey: .audio)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(updated_at, forKey: .updated_at)
        try container.encode(similarity, forKey: .similarity)
    }
}

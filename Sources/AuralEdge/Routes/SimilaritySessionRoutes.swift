import AuralBlob
import AuralServices
import AuralWire
import Foundation
import Hummingbird

/// Similarity sessions under `/api/v1/sessions`: a reference text, then a
/// recording (JSON with base64 audio, a raw audio body, or multipart).
struct SimilaritySessionRoutes: Sendable {
    let gateway: ServiceGateway
    let blobs: LocalBlobStore
    let uploads: UploadReceiver

    func register(on api: RouterGroup<EdgeContext>) {
        api.post("sessions", use: create)
        api.get("sessions/:session_id", use: get)
        api.delete("sessions/:session_id", use: delete)
        api.put("sessions/:session_id/audio", use: putAudio)
    }

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

/// A similarity session as the API shows it.
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
    }

    enum CodingKeys: String, CodingKey { case session_id, reference_text, metadata, audio, created_at, updated_at }

    // `audio` is written as null before an upload, not left out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session_id, forKey: .session_id)
        try container.encode(reference_text, forKey: .reference_text)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(audio, forKey: .audio)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(updated_at, forKey: .updated_at)
    }
}

import AuralBlob
import AuralRPC
import AuralSession
import AuralWire
import Foundation

public enum SimilaritySessionMethods {
    public static let create = RPCMethod<Aural_V1_CreateSimilaritySessionRequest, Aural_V1_SimilaritySession>(
        "aural.v1.SessionService/CreateSimilaritySession", idempotent: false)
    public static let get = RPCMethod<Aural_V1_GetSimilaritySessionRequest, Aural_V1_SimilaritySession>(
        "aural.v1.SessionService/GetSimilaritySession", idempotent: true)
    public static let delete = RPCMethod<Aural_V1_DeleteSimilaritySessionRequest, Aural_V1_DeleteSimilaritySessionResponse>(
        "aural.v1.SessionService/DeleteSimilaritySession", idempotent: false)
    public static let setAudio = RPCMethod<Aural_V1_SetSimilaritySessionAudioRequest, Aural_V1_SimilaritySession>(
        "aural.v1.SessionService/SetSimilaritySessionAudio", idempotent: false)
    public static let saveResult = RPCMethod<Aural_V1_SaveSimilarityResultRequest, Aural_V1_SimilaritySession>(
        "aural.v1.SessionService/SaveSimilarityResult", idempotent: true)
}

/// Similarity sessions on `session-rpc`. A session's files live under
/// `sessions/{id}/`, so deleting the session deletes them.
public struct SimilaritySessionRPCService: Sendable {
    let store: SimilaritySessionStore
    let blobs: LocalBlobStore

    public init(store: SimilaritySessionStore, blobs: LocalBlobStore) {
        self.store = store
        self.blobs = blobs
    }

    public func register(on router: inout RPCRouter) {
        router.register(SimilaritySessionMethods.create) { request, _ in
            SessionWire.similaritySession(try await SessionWire.mapped {
                try await store.create(referenceText: request.referenceText, metadata: request.metadata)
            })
        }
        router.register(SimilaritySessionMethods.get) { request, _ in
            SessionWire.similaritySession(try await session(request.sessionID))
        }
        router.register(SimilaritySessionMethods.delete) { request, _ in
            _ = try await session(request.sessionID)
            // Files first: an interrupted delete leaves a row to retry from.
            do { try blobs.delete("sessions/\(request.sessionID)") } catch { throw RPCError.unavailable("blob storage: \(error)") }
            try await SessionWire.mapped { _ = try await store.delete(request.sessionID) }
            return Aural_V1_DeleteSimilaritySessionResponse()
        }
        router.register(SimilaritySessionMethods.setAudio) { request, _ in try await setAudio(request) }
        router.register(SimilaritySessionMethods.saveResult) { request, _ in
            SessionWire.similaritySession(try await SessionWire.mapped {
                try await store.saveResult(request.sessionID, json: request.resultJson)
            })
        }
    }

    func session(_ id: String) async throws -> SimilaritySessionRecord {
        guard let session = try await SessionWire.mapped({ try await store.session(id) }) else {
            throw RPCError.notFound("no session \(id)")
        }
        return session
    }

    /// Each upload gets a key of its own, so a failed update never leaves the
    /// row naming a file that was overwritten or removed.
    func setAudio(_ request: Aural_V1_SetSimilaritySessionAudioRequest) async throws -> Aural_V1_SimilaritySession {
        _ = try await session(request.sessionID)
        guard (try? blobs.exists(request.audio.key)) == true else {
            throw RPCError.invalidArgument("audio blob \"\(request.audio.key)\" does not exist")
        }
        var audio = SessionWire.reference(request.audio)
        if audio.size == 0 { audio.size = (try? blobs.size(audio.key)) ?? 0 }
        let format = request.audioDescriptor.format.filter { $0.isLetter || $0.isNumber }
        audio.key = "sessions/\(request.sessionID)/audio-\(UUID().uuidString.lowercased())" + (format.isEmpty ? "" : "." + format)
        do { try blobs.move(request.audio.key, to: audio.key) } catch { throw RPCError.unavailable("blob storage: \(error)") }
        do {
            let (session, replaced) = try await SessionWire.mapped {
                try await store.setAudio(request.sessionID, audio: audio, summary: SessionWire.summary(request.audioDescriptor))
            }
            if let replaced { try? blobs.delete(replaced) }
            return SessionWire.similaritySession(session)
        } catch {
            try? blobs.delete(audio.key)
            throw error
        }
    }
}

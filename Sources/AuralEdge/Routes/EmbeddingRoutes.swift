import AuralServices
import AuralWire
import Foundation
import Hummingbird

/// Text embeddings (OpenAI's request and response shapes) and the
/// similarity of two texts, answered by EmbeddingService.
struct EmbeddingRoutes: Sendable {
    let embeddings: ServiceGateway

    /// Names a client may ask for; anything else is a 400, not a silent substitute.
    static let modelNames: Set<String> = [EmbeddingRPCService.modelName, "sentence-transformers/" + EmbeddingRPCService.modelName]

    func register(on api: RouterGroup<EdgeContext>) {
        api.post("embeddings", use: embed)
        api.post("similarity", use: similarity)
    }

    @Sendable func embed(_ request: Request, context: EdgeContext) async throws -> Response {
        struct Body: Decodable {
            let input: [String]
            let model: String?

            enum CodingKeys: String, CodingKey { case input, model }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                model = try container.decodeIfPresent(String.self, forKey: .model)
                if let single = try? container.decode(String.self, forKey: .input) {
                    input = [single]
                } else {
                    input = try container.decode([String].self, forKey: .input)
                }
            }
        }
        let body: Body
        do { body = try await request.decode(as: Body.self, context: context) } catch {
            throw APIError.badRequest("expected JSON {\"input\": string or [string], \"model\": string?}")
        }
        try Self.checkModel(body.model)
        let reply = try await embeddings.call(EmbeddingMethods.embed, .with { $0.texts = body.input }, requestID: context.requestID)
        return try JSONResponse.make(EmbeddingListBody(reply))
    }

    @Sendable func similarity(_ request: Request, context: EdgeContext) async throws -> Response {
        struct Body: Decodable {
            let text_a: String
            let text_b: String
        }
        let body: Body
        do { body = try await request.decode(as: Body.self, context: context) } catch {
            throw APIError.badRequest("expected JSON {\"text_a\": string, \"text_b\": string}")
        }
        let reply = try await embeddings.call(EmbeddingMethods.similarity, .with {
            $0.a = body.text_a
            $0.b = body.text_b
        }, requestID: context.requestID)
        return try JSONResponse.make(TextSimilarityBody(cosine: reply.cosine, score: reply.score, model: reply.model,
                                                        truncated: reply.truncated))
    }

    static func checkModel(_ model: String?) throws {
        if let model, !modelNames.contains(model) {
            throw APIError.badRequest("model \"\(model)\" is not served here; use \(EmbeddingRPCService.modelName)")
        }
    }
}

/// OpenAI's embeddings response, plus which inputs were cut at the model's token limit.
struct EmbeddingListBody: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        let object = "embedding"
        let index: Int
        let embedding: [Float]
    }
    struct Usage: Encodable, Sendable {
        let prompt_tokens: Int
        let total_tokens: Int
    }

    let object = "list"
    let data: [Item]
    let model: String
    let usage: Usage
    /// Indices of inputs longer than the model reads (only their start was embedded).
    let truncated: [Int]

    init(_ reply: Aural_V1_EmbedResponse) {
        data = reply.embeddings.enumerated().map { Item(index: $0.offset, embedding: $0.element.values) }
        model = reply.model
        let tokens = reply.embeddings.reduce(0) { $0 + Int($1.tokens) }
        usage = Usage(prompt_tokens: tokens, total_tokens: tokens)
        truncated = reply.embeddings.indices.filter { reply.embeddings[$0].truncated }
    }
}

struct TextSimilarityBody: Encodable, Sendable {
    let cosine: Double
    let score: Double
    let model: String
    let truncated: Bool
}

import Foundation

/// The shapes and constants of a BERT encoder, from the model's config.json
/// (Hugging Face names).
public struct BertConfiguration: Sendable, Equatable, Decodable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var tokenTypeCount: Int
    public var layerNormEpsilon: Float
    public var activation: String

    public var headSize: Int { hiddenSize / headCount }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case maxPositions = "max_position_embeddings"
        case tokenTypeCount = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
        case activation = "hidden_act"
    }

    public init(contentsOf url: URL) throws(EmbeddingModelError) {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        do {
            self = try JSONDecoder().decode(BertConfiguration.self, from: Data(contentsOf: url))
        } catch {
            throw .corruptFile(path: path, reason: "not a BERT config.json: \(error)")
        }
        // The encoder implements exactly this: exact (erf) GELU and heads that split the width evenly.
        guard activation == "gelu" else { throw .corruptFile(path: path, reason: "hidden_act \(activation) is not gelu") }
        guard hiddenSize > 0, headCount > 0, hiddenSize % headCount == 0 else {
            throw .corruptFile(path: path, reason: "hidden_size \(hiddenSize) does not split into \(headCount) heads")
        }
    }
}

import Foundation

/// all-MiniLM-L6-v2 (sentence-transformers) run locally: 384-dimensional,
/// unit-length sentence embeddings of English text, the first 256 tokens
/// of each text.
public struct MiniLMModel: TextEmbedder {
    /// sentence-transformers' `max_seq_length` for this model, `[CLS]` and `[SEP]` included.
    public static let maxSequenceLength = 256

    public let tokenizer: BertTokenizer
    public let encoder: BertEncoder
    /// Texts per forward pass: bounds the work buffers (about 40 KB per token).
    public let batchSize: Int

    public var dimension: Int { encoder.configuration.hiddenSize }

    /// Loads config.json, vocab.txt and model.safetensors from `directory`.
    public init(directory: URL, batchSize: Int = 32) throws(EmbeddingModelError) {
        precondition(batchSize > 0)
        let configuration = try BertConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        let vocabularyFile = directory.appendingPathComponent("vocab.txt")
        tokenizer = try BertTokenizer(vocabularyFile: vocabularyFile,
                                      maxLength: min(Self.maxSequenceLength, configuration.maxPositions))
        guard tokenizer.vocabularySize == configuration.vocabularySize else {
            throw .corruptFile(path: vocabularyFile.path,
                               reason: "\(tokenizer.vocabularySize) tokens, config.json says \(configuration.vocabularySize)")
        }
        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        encoder = BertEncoder(configuration: configuration, weights: try BertWeights(file: file, configuration: configuration))
        self.batchSize = batchSize
    }

    /// Loads the model where `scripts/bootstrap --models` installs it
    /// (`ModelLocation.miniLMDirectory`, after AURAL_MODELS_DIR).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, batchSize: Int = 32)
        throws(EmbeddingModelError)
    {
        try self.init(directory: ModelLocation.miniLMDirectory(environment: environment), batchSize: batchSize)
    }

    public func embed(_ texts: [String]) -> [Embedding] {
        let tokenized = texts.map(tokenizer.encode)
        let h = dimension
        let batches = stride(from: 0, to: tokenized.count, by: batchSize).map { $0..<min($0 + batchSize, tokenized.count) }
        guard !batches.isEmpty else { return [] }
        // One workspace, sized for the largest batch, serves them all.
        let workspace = EncoderWorkspace(
            configuration: encoder.configuration,
            tokens: batches.map { tokenized[$0].reduce(0) { $0 + $1.ids.count } }.max()!,
            maxLength: tokenized.map(\.ids.count).max()!)
        var vectors = [Float](repeating: 0, count: tokenized.count * h)
        vectors.withUnsafeMutableBufferPointer { output in
            for batch in batches {
                encoder.embed(ids: tokenized[batch].flatMap(\.ids), lengths: tokenized[batch].map(\.ids.count),
                              workspace: workspace, output: output.baseAddress! + batch.lowerBound * h)
            }
        }
        return tokenized.indices.map { index in
            Embedding(vector: Array(vectors[index * h..<(index + 1) * h]), tokenCount: tokenized[index].ids.count,
                      truncated: tokenized[index].truncated)
        }
    }
}

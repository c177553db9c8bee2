/// One transformer layer's parameters, row-major, Linear weights `[out, in]`.
struct BertLayerWeights: Sendable {
    /// Query, key and value weights stacked `[3·hidden, hidden]` (and their
    /// biases), so one product per batch computes all three.
    var qkvWeight: [Float]
    var qkvBias: [Float]
    var attentionOutputWeight: [Float]
    var attentionOutputBias: [Float]
    var attentionNormGain: [Float]
    var attentionNormBias: [Float]
    var intermediateWeight: [Float]
    var intermediateBias: [Float]
    var outputWeight: [Float]
    var outputBias: [Float]
    var outputNormGain: [Float]
    var outputNormBias: [Float]
}

/// A BERT encoder's parameters, by their Hugging Face `BertModel` names,
/// each checked against the shape config.json implies.
struct BertWeights: Sendable {
    var wordEmbeddings: [Float]
    var positionEmbeddings: [Float]
    var tokenTypeEmbeddings: [Float]
    var embeddingNormGain: [Float]
    var embeddingNormBias: [Float]
    var layers: [BertLayerWeights]

    init(file: SafeTensorsFile, configuration c: BertConfiguration) throws(EmbeddingModelError) {
        let h = c.hiddenSize, i = c.intermediateSize
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [c.vocabularySize, h])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [c.maxPositions, h])
        tokenTypeEmbeddings = try file.floats("embeddings.token_type_embeddings.weight", shape: [c.tokenTypeCount, h])
        embeddingNormGain = try file.floats("embeddings.LayerNorm.weight", shape: [h])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [h])
        layers = []
        for index in 0..<c.layerCount {
            let p = "encoder.layer.\(index)."
            func load(_ name: String, _ shape: [Int]) throws(EmbeddingModelError) -> [Float] {
                try file.floats(p + name, shape: shape)
            }
            let qkvWeight = try load("attention.self.query.weight", [h, h]) + load("attention.self.key.weight", [h, h])
                + load("attention.self.value.weight", [h, h])
            let qkvBias = try load("attention.self.query.bias", [h]) + load("attention.self.key.bias", [h])
                + load("attention.self.value.bias", [h])
            layers.append(BertLayerWeights(
                qkvWeight: qkvWeight,
                qkvBias: qkvBias,
                attentionOutputWeight: try load("attention.output.dense.weight", [h, h]),
                attentionOutputBias: try load("attention.output.dense.bias", [h]),
                attentionNormGain: try load("attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try load("attention.output.LayerNorm.bias", [h]),
                intermediateWeight: try load("intermediate.dense.weight", [i, h]),
                intermediateBias: try load("intermediate.dense.bias", [i]),
                outputWeight: try load("output.dense.weight", [h, i]),
                outputBias: try load("output.dense.bias", [h]),
                outputNormGain: try load("output.LayerNorm.weight", [h]),
                outputNormBias: try load("output.LayerNorm.bias", [h])))
        }
    }
}

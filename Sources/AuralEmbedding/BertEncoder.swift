import Foundation

/// The BERT encoder and sentence pooling of all-MiniLM-L6-v2: embeddings,
/// `layerCount` post-LayerNorm transformer layers, the mean of the last
/// hidden states, L2-normalized.
///
/// A batch is packed, not padded: the sequences' tokens lie back to back,
/// and attention runs per sequence over that sequence's tokens only. That is
/// what a padded batch with an attention mask computes (masked keys get
/// weight exactly 0; padded queries are never pooled), without spending the
/// position-wise layers on padding.
public struct BertEncoder: Sendable {
    public let configuration: BertConfiguration
    let weights: BertWeights

    init(configuration: BertConfiguration, weights: BertWeights) {
        self.configuration = configuration
        self.weights = weights
    }

    /// Embeds the sequences whose token ids lie back to back in `ids`,
    /// `lengths[s]` of them each, writing one `hiddenSize` row per sequence
    /// to `output`. Token types are all 0 (single sentences).
    func embed(ids: [Int32], lengths: [Int], workspace: borrowing EncoderWorkspace, output: UnsafeMutablePointer<Float>) {
        let c = configuration
        let tokens = ids.count
        precondition(tokens == lengths.reduce(0, +) && tokens <= workspace.tokenCapacity)
        precondition(lengths.allSatisfy { $0 > 0 && $0 <= min(workspace.lengthCapacity, c.maxPositions) })
        let h = c.hiddenSize
        let hidden = workspace.hidden

        // Word + position + token type (0) embeddings, then LayerNorm.
        weights.wordEmbeddings.withUnsafeBufferPointer { word in
            weights.positionEmbeddings.withUnsafeBufferPointer { position in
                weights.tokenTypeEmbeddings.withUnsafeBufferPointer { type in
                    var row = 0
                    for length in lengths {
                        for p in 0..<length {
                            let w = word.baseAddress! + Int(ids[row]) * h
                            let q = position.baseAddress! + p * h
                            let t = type.baseAddress!
                            let o = hidden + row * h
                            for j in 0..<h { o[j] = w[j] + q[j] + t[j] }
                            row += 1
                        }
                    }
                }
            }
        }
        Kernels.layerNorm(hidden, rows: tokens, width: h, gain: weights.embeddingNormGain,
                          bias: weights.embeddingNormBias, epsilon: c.layerNormEpsilon)

        for layer in weights.layers {
            self.layer(layer, lengths: lengths, tokens: tokens, workspace: workspace)
        }
        pool(hidden, lengths: lengths, into: output)
    }

    private func layer(_ w: BertLayerWeights, lengths: [Int], tokens: Int, workspace: borrowing EncoderWorkspace) {
        let c = configuration
        let h = c.hiddenSize, i = c.intermediateSize, d = c.headSize
        let (hidden, qkv, context, attended, intermediate, scores) =
            (workspace.hidden, workspace.qkv, workspace.context, workspace.attended, workspace.intermediate, workspace.scores)

        // Queries, keys, values of the whole batch in one product.
        Kernels.setRows(qkv, rows: tokens, width: 3 * h, bias: w.qkvBias)
        Kernels.multiplyTransposed(m: tokens, n: 3 * h, k: h, hidden, lda: h, w.qkvWeight, ldb: h, beta: 1, qkv, ldc: 3 * h)

        // Scaled dot-product attention, per sequence and head.
        let scale = 1 / Float(d).squareRoot()
        var offset = 0
        for length in lengths {
            for head in 0..<c.headCount {
                let query = qkv + offset * 3 * h + head * d
                let key = query + h
                let value = query + 2 * h
                Kernels.multiplyTransposed(m: length, n: length, k: d, alpha: scale, query, lda: 3 * h, key, ldb: 3 * h,
                                           beta: 0, scores, ldc: length)
                Kernels.softmaxRows(scores, rows: length, width: length)
                Kernels.multiply(m: length, n: d, k: length, scores, lda: length, value, ldb: 3 * h,
                                 context + offset * h + head * d, ldc: h)
            }
            offset += length
        }

        // Output projection + residual, LayerNorm.
        Kernels.setRows(attended, rows: tokens, width: h, bias: w.attentionOutputBias, plus: hidden)
        Kernels.multiplyTransposed(m: tokens, n: h, k: h, context, lda: h, w.attentionOutputWeight, ldb: h,
                                   beta: 1, attended, ldc: h)
        Kernels.layerNorm(attended, rows: tokens, width: h, gain: w.attentionNormGain, bias: w.attentionNormBias,
                          epsilon: c.layerNormEpsilon)

        // Feed-forward: GELU(x·W₁ᵀ + b₁)·W₂ᵀ + b₂ + residual, LayerNorm; the result is the next layer's input.
        Kernels.setRows(intermediate, rows: tokens, width: i, bias: w.intermediateBias)
        Kernels.multiplyTransposed(m: tokens, n: i, k: h, attended, lda: h, w.intermediateWeight, ldb: h,
                                   beta: 1, intermediate, ldc: i)
        Kernels.gelu(intermediate, count: tokens * i)
        Kernels.setRows(hidden, rows: tokens, width: h, bias: w.outputBias, plus: attended)
        Kernels.multiplyTransposed(m: tokens, n: h, k: i, intermediate, lda: i, w.outputWeight, ldb: i,
                                   beta: 1, hidden, ldc: h)
        Kernels.layerNorm(hidden, rows: tokens, width: h, gain: w.outputNormGain, bias: w.outputNormBias,
                          epsilon: c.layerNormEpsilon)
    }

    /// Mean over each sequence's tokens, scaled to unit length (a zero
    /// vector stays zero, as with sentence-transformers' 1e-12 floor).
    private func pool(_ hidden: UnsafeMutablePointer<Float>, lengths: [Int], into output: UnsafeMutablePointer<Float>) {
        let h = configuration.hiddenSize
        var offset = 0
        for (sequence, length) in lengths.enumerated() {
            let out = output + sequence * h
            out.update(repeating: 0, count: h)
            for row in offset..<offset + length {
                let r = hidden + row * h
                for j in 0..<h { out[j] += r[j] }
            }
            var squares: Float = 0
            for j in 0..<h { squares += out[j] * out[j] }
            // The mean's 1/length cancels in the normalization: only the floor sees it.
            let norm = squares.squareRoot() / Float(length)
            let scale = 1 / (Float(length) * max(norm, 1e-12))
            for j in 0..<h { out[j] *= scale }
            offset += length
        }
    }
}

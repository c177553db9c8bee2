/// The encoder's scratch memory for one batch, allocated once per `embed`
/// call and reused by every layer and every chunk of that call. Not
/// copyable: it owns its buffers and frees them when it goes.
struct EncoderWorkspace: ~Copyable {
    let tokenCapacity: Int
    let lengthCapacity: Int
    /// Hidden states `[tokens, hidden]`: the layer input, then its output.
    let hidden: UnsafeMutablePointer<Float>
    /// Queries, keys and values side by side `[tokens, 3·hidden]`.
    let qkv: UnsafeMutablePointer<Float>
    /// Attention output per head, heads side by side `[tokens, hidden]`.
    let context: UnsafeMutablePointer<Float>
    /// After attention's projection, residual and LayerNorm `[tokens, hidden]`.
    let attended: UnsafeMutablePointer<Float>
    /// Feed-forward activations `[tokens, intermediate]`.
    let intermediate: UnsafeMutablePointer<Float>
    /// One head's attention weights for one sequence `[length, length]`.
    let scores: UnsafeMutablePointer<Float>

    /// Room for `tokens` tokens in all, no sequence longer than `maxLength`.
    init(configuration c: BertConfiguration, tokens: Int, maxLength: Int) {
        tokenCapacity = tokens
        lengthCapacity = maxLength
        hidden = .allocate(capacity: tokens * c.hiddenSize)
        qkv = .allocate(capacity: tokens * 3 * c.hiddenSize)
        context = .allocate(capacity: tokens * c.hiddenSize)
        attended = .allocate(capacity: tokens * c.hiddenSize)
        intermediate = .allocate(capacity: tokens * c.intermediateSize)
        scores = .allocate(capacity: maxLength * maxLength)
    }

    deinit {
        for buffer in [hidden, qkv, context, attended, intermediate, scores] { buffer.deallocate() }
    }
}

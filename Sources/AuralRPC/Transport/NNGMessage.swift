import CNNG

/// Copies between Swift byte arrays and nng messages. Each frame is copied
/// once in each direction; the nng message is owned by nng after a send.
enum NNGMessage {
    static func make(_ bytes: [UInt8]) throws(NNGError) -> OpaquePointer {
        var msg: OpaquePointer?
        try nngCheck(nng_msg_alloc(&msg, bytes.count))
        if !bytes.isEmpty {
            bytes.withUnsafeBytes { src in
                nng_msg_body(msg).copyMemory(from: src.baseAddress!, byteCount: src.count)
            }
        }
        return msg!
    }

    /// Copies the body out and frees the message.
    static func consume(_ msg: OpaquePointer) -> [UInt8] {
        defer { nng_msg_free(msg) }
        let count = nng_msg_len(msg)
        guard count > 0, let body = nng_msg_body(msg) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: body, count: count))
    }
}

import COpenSSLCrypto
import Foundation

/// SHA-256 of stored files (artifact checksums and ETags), through the
/// system's libcrypto, reading in 1 MiB chunks so memory stays flat.
public enum BlobDigest {
    public static func sha256(ofFile path: String) throws(BlobError) -> String {
        guard let file = fopen(path, "rb") else { throw .notFound(path) }
        defer { fclose(file) }
        guard let context = EVP_MD_CTX_new() else { throw .io("out of memory") }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { _ = chunk.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, count) } }
            if count < chunk.count {
                guard ferror(file) == 0 else { throw .io("cannot read \(path)") }
                break
            }
        }
        return finish(context)
    }

    /// SHA-256 of bytes in memory (cache keys of texts).
    public static func sha256(of bytes: some ContiguousBytes) -> String {
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        bytes.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        return finish(context)
    }

    private static func finish(_ context: OpaquePointer?) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}

extension LocalBlobStore {
    public func sha256(_ key: String) throws(BlobError) -> String {
        try BlobDigest.sha256(ofFile: try path(for: key))
    }
}

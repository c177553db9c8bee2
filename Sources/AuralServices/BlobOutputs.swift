import AuralBlob
import AuralSeparation
import AuralWire
import Foundation

/// How the stages and direct calls put their outputs into blob storage and
/// describe them on the wire.
extension LocalBlobStore {
    /// Moves a finished stem file into the store under `prefix` (keeping its
    /// `{stem}.{ext}` name) and describes it; `checksum` adds its sha256.
    func storeStem(_ file: StemFile, under prefix: String, checksum: Bool) throws(BlobError) -> Aural_V1_BlobRef {
        let key = prefix + "/" + (file.path as NSString).lastPathComponent
        try write(key, movingFile: file.path)
        return try reference(to: key, contentType: file.format.contentType, checksum: checksum)
    }

    /// Writes a JSON document at `key` (a temporary name renamed into place) and describes it.
    func storeJSON(_ data: Data, key: String) throws(BlobError) -> Aural_V1_BlobRef {
        try storeDocument(data, key: key, contentType: "application/json")
    }

    /// Writes a small document (JSON, RTTM) at `key` and describes it.
    func storeDocument(_ data: Data, key: String, contentType: String) throws(BlobError) -> Aural_V1_BlobRef {
        try write(key, data: data)
        return try reference(to: key, contentType: contentType, checksum: true)
    }

    private func reference(to key: String, contentType: String, checksum: Bool) throws(BlobError) -> Aural_V1_BlobRef {
        var blob = Aural_V1_BlobRef()
        blob.key = key
        blob.contentType = contentType
        blob.size = try size(key)
        if checksum { blob.sha256 = try sha256(key) }
        return blob
    }
}

import AuralBlob
import AuralSeparation
import AuralWire
import Foundation

extension LocalBlobStore {
    /// Moves a finished stem file into the store under `prefix` (keeping its
    /// `{stem}.{ext}` name) and describes it; `checksum` adds its sha256.
    func storeStem(_ file: StemFile, under prefix: String, checksum: Bool) throws(BlobError) -> Aural_V1_BlobRef {
        var blob = Aural_V1_BlobRef()
        blob.key = prefix + "/" + (file.path as NSString).lastPathComponent
        try write(blob.key, movingFile: file.path)
        blob.contentType = file.format.contentType
        blob.size = try size(blob.key)
        if checksum { blob.sha256 = try sha256(blob.key) }
        return blob
    }
}

import Foundation

public enum BlobError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidKey(String)
    case notFound(String)
    case io(String)

    public var description: String {
        switch self {
        case .invalidKey(let key): "invalid blob key \"\(key)\""
        case .notFound(let key): "no blob \"\(key)\""
        case .io(let detail): "blob storage: \(detail)"
        }
    }
}

/// Blobs as files under one root directory (the embedded default; S3 comes
/// with its own issue). Keys are relative paths like
/// `jobs/{job_id}/stems/vocals.flac`; a key cannot escape the root. Writes
/// go to a temporary name and are renamed into place, so readers never see a
/// partial blob and a repeated write is harmless.
public struct LocalBlobStore: Sendable {
    public let root: URL

    public init(root: String) throws(BlobError) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(root): \(error.localizedDescription)")
        }
    }

    /// The file behind `key`, after checking every path component.
    public func path(for key: String) throws(BlobError) -> String {
        let components = key.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard !key.isEmpty, key.utf8.count <= 512, components.allSatisfy({ component in
            !component.isEmpty && component != "." && component != ".."
                && component.unicodeScalars.allSatisfy { allowed.contains($0) && $0.isASCII }
        }) else { throw .invalidKey(key) }
        return root.appendingPathComponent(key).path
    }

    public func exists(_ key: String) throws(BlobError) -> Bool {
        FileManager.default.fileExists(atPath: try path(for: key))
    }

    public func size(_ key: String) throws(BlobError) -> UInt64 {
        let target = try path(for: key)
        guard let size = try? FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber else {
            throw .notFound(key)
        }
        return size.uint64Value
    }

    public func read(_ key: String) throws(BlobError) -> Data {
        let target = try path(for: key)
        guard let data = FileManager.default.contents(atPath: target) else { throw .notFound(key) }
        return data
    }

    public func write(_ key: String, data: Data) throws(BlobError) {
        try place(key) { temporary in try data.write(to: URL(fileURLWithPath: temporary)) }
    }

    /// Moves (or copies, across file systems) a finished file into the store.
    public func write(_ key: String, movingFile source: String) throws(BlobError) {
        try place(key) { temporary in
            do { try FileManager.default.moveItem(atPath: source, toPath: temporary) } catch {
                try FileManager.default.copyItem(atPath: source, toPath: temporary)
            }
        }
    }

    /// Renames a blob within the store (an upload becoming a job's input).
    public func move(_ key: String, to newKey: String) throws(BlobError) {
        let source = try path(for: key)
        guard FileManager.default.fileExists(atPath: source) else { throw .notFound(key) }
        try place(newKey) { temporary in try FileManager.default.moveItem(atPath: source, toPath: temporary) }
    }

    /// Deletes `key`, or everything under it when it names a folder.
    public func delete(_ key: String) throws(BlobError) {
        let target = try path(for: key)
        guard FileManager.default.fileExists(atPath: target) else { return }
        do { try FileManager.default.removeItem(atPath: target) } catch {
            throw .io("cannot delete \(key): \(error.localizedDescription)")
        }
    }

    private func place(_ key: String, _ produce: (String) throws -> Void) throws(BlobError) {
        let target = try path(for: key)
        let directory = (target as NSString).deletingLastPathComponent
        let temporary = directory + "/.partial-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try produce(temporary)
            guard rename(temporary, target) == 0 else { throw BlobError.io(String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .io("cannot write \(key): \(error)")
        }
    }
}

import Foundation

#if !_endian(little)
#error("SafeTensorsFile copies little-endian F32 data as is; a big-endian host would need byte swapping")
#endif

/// A safetensors file, mapped into memory: an 8-byte little-endian header
/// length N, N bytes of JSON (`{"name": {"dtype", "shape", "data_offsets":
/// [begin, end]}, "__metadata__": {…}}`), then the tensor data, whose
/// offsets count from the end of the header.
public struct SafeTensorsFile: Sendable {
    public struct TensorInfo: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        /// Byte range within the whole file.
        public var byteRange: Range<Int>
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    private let bytes: Data

    public init(contentsOf url: URL) throws(EmbeddingModelError) {
        path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        let bytes: Data
        do {
            // Mapped, not read: only the pages copied out below are touched.
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw .corruptFile(path: path, reason: "cannot read: \(error)")
        }
        guard bytes.count >= 8 else { throw .corruptFile(path: path, reason: "shorter than the 8-byte header length") }
        let headerLength = bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .corruptFile(path: path, reason: "header length \(headerLength) exceeds the file size \(bytes.count)")
        }
        let dataStart = 8 + Int(headerLength)
        let header: [String: Any]
        do {
            let json = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<dataStart))
            guard let object = json as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
            header = object
        } catch {
            throw .corruptFile(path: path, reason: "header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                  offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1],
                  offsets[1] <= bytes.count - dataStart
            else { throw .corruptFile(path: path, reason: "bad header entry for \(name)") }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, byteRange: dataStart + offsets[0]..<dataStart + offsets[1])
        }
        self.tensors = tensors
        self.bytes = bytes
    }

    /// The F32 tensor `name`, which must have exactly `shape`, copied out in
    /// row-major order.
    public func floats(_ name: String, shape: [Int]) throws(EmbeddingModelError) -> [Float] {
        guard let info = tensors[name] else { throw .corruptFile(path: path, reason: "no tensor \(name)") }
        guard info.dtype == "F32" else { throw .corruptFile(path: path, reason: "\(name) is \(info.dtype), not F32") }
        guard info.shape == shape else {
            throw .corruptFile(path: path, reason: "\(name) has shape \(info.shape), config.json implies \(shape)")
        }
        let count = shape.reduce(1, *)
        guard info.byteRange.count == count * MemoryLayout<Float>.size else {
            throw .corruptFile(path: path, reason: "\(name) holds \(info.byteRange.count) bytes for \(count) floats")
        }
        // Tensor offsets need not be 4-byte aligned, so copy bytes rather than rebinding.
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.copyBytes(to: UnsafeMutableRawBufferPointer(buffer), from: info.byteRange)
            initialized = count
        }
    }
}

import CSndFile
import Foundation

/// What a file holds, known without decoding it.
public struct AudioInfo: Sendable, Equatable {
    public var container: AudioContainer
    public var sampleRate: Int
    public var channelCount: Int
    /// Frames as the decoder reports them (for MP3, from the stream headers).
    public var frameCount: Int
    public var duration: Double { Double(frameCount) / Double(sampleRate) }
}

/// Streams decoded audio out of a file block by block through libsndfile
/// (WAV, FLAC, OGG/Vorbis, Opus, MP3). M4A/AAC is first converted to a
/// temporary WAV by ffmpeg when it is installed.
public final class AudioFileReader {
    public let info: AudioInfo
    private let handle: OpaquePointer
    private let temporaryCopy: URL?
    private var scratch: [Float] = []

    public init(path: String) throws(AudioError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path) }
        guard let container = try AudioContainer.sniff(path: path) else {
            throw Self.isEmptyFile(path) ? .empty : .corrupt("unrecognised file header")
        }
        var decodable = path
        if container == .m4a {
            let converted = try FFmpeg.convertToWAV(path)
            temporaryCopy = converted
            decodable = converted.path
        } else {
            temporaryCopy = nil
        }
        var sfInfo = SF_INFO()
        guard let handle = sf_open(decodable, Int32(SFM_READ), &sfInfo) else {
            let reason = String(cString: sf_strerror(nil))
            if let temporaryCopy { try? FileManager.default.removeItem(at: temporaryCopy) }
            throw .corrupt(reason)
        }
        guard sfInfo.frames > 0, sfInfo.channels > 0, sfInfo.samplerate > 0 else {
            sf_close(handle)
            if let temporaryCopy { try? FileManager.default.removeItem(at: temporaryCopy) }
            throw .empty
        }
        self.handle = handle
        // Integer sources are scaled to [-1, 1) (libsndfile's default for float reads).
        info = AudioInfo(container: container, sampleRate: Int(sfInfo.samplerate),
                         channelCount: Int(sfInfo.channels), frameCount: Int(sfInfo.frames))
    }

    deinit {
        sf_close(handle)
        if let temporaryCopy { try? FileManager.default.removeItem(at: temporaryCopy) }
    }

    /// Reads up to `frames` frames; nil at the end of the file. A decoding
    /// error part-way (a truncated or damaged stream) ends the stream early
    /// for formats libsndfile reads leniently, and throws otherwise.
    public func read(frames: Int) throws(AudioError) -> AudioBuffer? {
        let count = info.channelCount
        if scratch.count < frames * count { scratch = [Float](repeating: 0, count: frames * count) }
        let got = scratch.withUnsafeMutableBufferPointer { buffer in
            Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(frames)))
        }
        if got <= 0 {
            let error = sf_error(handle)
            if error != 0 { throw .corrupt(String(cString: sf_strerror(handle))) }
            return nil
        }
        return AudioBuffer.deinterleave(scratch[0..<(got * count)], channelCount: count, sampleRate: info.sampleRate)
    }

    /// Moves to frame `frame` (block processing with overlaps re-reads a little).
    public func seek(toFrame frame: Int) throws(AudioError) {
        if sf_seek(handle, sf_count_t(frame), SEEK_SET) < 0 {
            throw .corrupt("cannot seek to frame \(frame): \(String(cString: sf_strerror(handle)))")
        }
    }

    /// Decodes the whole file (for short files; long ones should stream).
    public func readAll() throws(AudioError) -> AudioBuffer {
        var channels = Array(repeating: [Float](), count: info.channelCount)
        for c in channels.indices { channels[c].reserveCapacity(info.frameCount) }
        while let block = try read(frames: 65_536) {
            for c in channels.indices { channels[c].append(contentsOf: block.channels[c]) }
        }
        guard !channels[0].isEmpty else { throw .empty }
        return AudioBuffer(sampleRate: info.sampleRate, channels: channels)
    }

    private static func isEmptyFile(_ path: String) -> Bool {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) == 0
    }
}

public enum AudioFile {
    /// Container, sample rate, channels and length without decoding the audio.
    public static func probe(_ path: String) throws(AudioError) -> AudioInfo {
        try AudioFileReader(path: path).info
    }

    public static func read(_ path: String) throws(AudioError) -> AudioBuffer {
        try AudioFileReader(path: path).readAll()
    }

    public static func write(_ buffer: AudioBuffer, to path: String, format: AudioFileFormat) throws(AudioError) {
        let writer = try AudioFileWriter(path: path, format: format, sampleRate: buffer.sampleRate, channelCount: buffer.channelCount)
        try writer.write(buffer)
        try writer.close()
    }
}

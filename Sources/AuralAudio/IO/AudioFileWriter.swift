import CSndFile
import Foundation

public enum AudioFileFormat: Sendable, Equatable {
    public enum WAVEncoding: Sendable { case pcm16, pcm24, float }

    case wav(WAVEncoding)
    case flac
    /// Constant bit rate in kbit/s (32...320).
    case mp3(bitrateKbps: Int)
    case oggVorbis
    case opus

    public static let mp3Default = AudioFileFormat.mp3(bitrateKbps: 192)

    public var fileExtension: String {
        switch self {
        case .wav: "wav"
        case .flac: "flac"
        case .mp3: "mp3"
        case .oggVorbis: "ogg"
        case .opus: "opus"
        }
    }

    public var contentType: String {
        switch self {
        case .wav: "audio/wav"
        case .flac: "audio/flac"
        case .mp3: "audio/mpeg"
        case .oggVorbis: "audio/ogg"
        case .opus: "audio/ogg; codecs=opus"
        }
    }

    var sndfileFormat: Int32 {
        let value: UInt32 = switch self {
        case .wav(.pcm16): UInt32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wav(.pcm24): UInt32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
        case .wav(.float): UInt32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac: UInt32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .mp3: UInt32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
        case .oggVorbis: UInt32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        case .opus: UInt32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
        }
        return Int32(bitPattern: value)
    }
}

/// Streams audio into a file. It is written under a temporary name and
/// renamed on `close()`, so a reader never sees half a file and a repeated
/// attempt is harmless.
public final class AudioFileWriter {
    public let path: String
    public let format: AudioFileFormat
    public let channelCount: Int
    private let temporaryPath: String
    private var handle: OpaquePointer?

    public init(path: String, format: AudioFileFormat, sampleRate: Int, channelCount: Int) throws(AudioError) {
        self.path = path
        self.format = format
        self.channelCount = channelCount
        temporaryPath = path + ".partial-\(UUID().uuidString.prefix(8))"
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channelCount)
        info.format = format.sndfileFormat
        guard sf_format_check(&info) != 0 else {
            throw .invalidArgument("\(format) cannot hold \(channelCount) channels at \(sampleRate) Hz")
        }
        guard let handle = sf_open(temporaryPath, Int32(SFM_WRITE), &info) else {
            throw .writeFailed(String(cString: sf_strerror(nil)))
        }
        self.handle = handle
        // Float sources beyond [-1, 1] clip instead of wrapping around.
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        if case .mp3(let kbps) = format { try configureMP3(kbps) }
    }

    deinit {
        if let handle {
            sf_close(handle)
            unlink(temporaryPath)
        }
    }

    /// libsndfile sets an MP3's constant bit rate through its compression
    /// level: 0 is 320 kbit/s and 1 is 32 kbit/s, linearly in between
    /// (LAME then uses the nearest standard rate).
    private func configureMP3(_ kbps: Int) throws(AudioError) {
        guard (32...320).contains(kbps) else { throw .invalidArgument("MP3 bit rate must be 32...320 kbit/s, got \(kbps)") }
        var mode = Int32(SF_BITRATE_MODE_CONSTANT)
        var level = (320 - Double(kbps)) / (320 - 32)
        // libsndfile 1.2.0 answers 0 to the mode command even when it takes
        // effect (the bit-rate test measures the files it writes).
        _ = sf_command(handle, Int32(SFC_SET_BITRATE_MODE), &mode, Int32(MemoryLayout<Int32>.size))
        guard sf_command(handle, Int32(SFC_SET_COMPRESSION_LEVEL), &level, Int32(MemoryLayout<Double>.size)) == SF_TRUE else {
            throw .writeFailed("cannot set MP3 bit rate: \(String(cString: sf_strerror(handle)))")
        }
    }

    public func write(_ buffer: AudioBuffer) throws(AudioError) {
        guard let handle else { throw .writeFailed("writer is closed") }
        guard buffer.channelCount == channelCount else {
            throw .invalidArgument("writer has \(channelCount) channels, buffer \(buffer.channelCount)")
        }
        let samples = buffer.interleaved()
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(buffer.frameCount)) }
        guard written == buffer.frameCount else { throw .writeFailed(String(cString: sf_strerror(handle))) }
    }

    /// Finishes the file and moves it into place.
    public func close() throws(AudioError) {
        guard let handle else { return }
        self.handle = nil
        let status = sf_close(handle)
        guard status == 0 else {
            unlink(temporaryPath)
            throw .writeFailed(String(cString: sf_error_number(status)))
        }
        guard rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw .writeFailed("cannot move \(temporaryPath) to \(path): \(String(cString: strerror(errno)))")
        }
    }
}

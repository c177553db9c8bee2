import AuralAudio
import Foundation

extension MelodyTranscriber {
    /// Decodes the audio file at `path` (any format AuralAudio reads) block
    /// by block, mixing to mono and resampling to the analysis rate as it
    /// goes — so memory holds 16 kHz mono (230 MB an hour), not the file's
    /// channels at its own rate — then transcribes it. `progress` gets 0...1.
    public func transcribeFile(at path: String, progress: (Double) throws -> Void = { _ in }) throws -> (info: AudioInfo, transcription: MelodyTranscription) {
        let reader = try AudioFileReader(path: path)
        let info = reader.info
        let rate = tracker.configuration.analysisSampleRate
        let resampler = info.sampleRate == rate ? nil : try Resampler(from: info.sampleRate, to: rate, channelCount: 1, quality: .fastest)
        let ratio = Double(rate) / Double(info.sampleRate)
        var samples: [Float] = []
        samples.reserveCapacity(Int(Double(info.frameCount) * ratio) + 1024)
        var decoded = 0
        while let block = try reader.read(frames: 65_536) {
            let mono = AudioBuffer(sampleRate: info.sampleRate, channels: [block.mono()])
            samples += try resampler?.process(mono, isLast: false).channels[0] ?? mono.channels[0]
            decoded += block.frameCount
            try progress(0.2 * Double(decoded) / Double(max(info.frameCount, 1)))
        }
        guard decoded > 0 else { throw AudioError.empty }
        if let resampler {
            samples += try resampler.process(AudioBuffer(sampleRate: info.sampleRate, channels: [[]]), isLast: true).channels[0]
        }
        // The converter's output length can differ by a sample or two from the exact ratio.
        let exact = Int((Double(decoded) * ratio).rounded())
        if samples.count > exact { samples.removeLast(samples.count - exact) }
        if samples.count < exact { samples += [Float](repeating: 0, count: exact - samples.count) }
        var transcription = try transcribe(samples, sampleRate: rate, progress: { try progress(0.2 + $0 * 0.8) })
        transcription.track.duration = Double(decoded) / Double(info.sampleRate)
        return (info, transcription)
    }
}

@testable import AuralAudio
import Foundation
import Testing
import AuralRPC

@Suite("Decoding and encoding")
struct AudioFileTests {
    struct Case: Sendable, CustomStringConvertible {
        let format: AudioFileFormat
        let sampleRate: Int
        let container: AudioContainer
        let minimumSNR: Double
        var description: String { "\(format)" }
    }

    static let cases: [Case] = [
        Case(format: .wav(.pcm16), sampleRate: 44100, container: .wav, minimumSNR: 80),
        Case(format: .wav(.pcm24), sampleRate: 44100, container: .wav, minimumSNR: 120),
        Case(format: .wav(.float), sampleRate: 44100, container: .wav, minimumSNR: 140),
        Case(format: .flac, sampleRate: 44100, container: .flac, minimumSNR: 80),
        Case(format: .oggVorbis, sampleRate: 44100, container: .ogg, minimumSNR: 15),
        Case(format: .opus, sampleRate: 48000, container: .opus, minimumSNR: 10),
        Case(format: .mp3Default, sampleRate: 44100, container: .mp3, minimumSNR: 15),
    ]

    @Test(arguments: cases)
    func roundTrip(_ testCase: Case) async throws {
        try await runOnOwnThread { try Self.checkRoundTrip(testCase) }
    }

    static func checkRoundTrip(_ testCase: Case) throws {
        let original = Signals.stereo(sampleRate: testCase.sampleRate, seconds: 1.5)
        let path = Signals.temporaryPath("round-trip.\(testCase.format.fileExtension)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AudioFile.write(original, to: path, format: testCase.format)

        let info = try AudioFile.probe(path)
        #expect(info.container == testCase.container)
        #expect(info.sampleRate == testCase.sampleRate)
        #expect(info.channelCount == 2)
        #expect(abs(info.duration - 1.5) < 0.06)

        let decoded = try AudioFile.read(path)
        #expect(decoded.channelCount == 2)
        for channel in 0..<2 {
            // Lossy codecs stay time-aligned through libsndfile: compare sample by sample.
            let snr = Signals.snr(original.channels[channel], decoded.channels[channel])
            #expect(snr >= testCase.minimumSNR, "channel \(channel): \(snr) dB")
        }
    }

    @Test func mp3BitRateIsConfigurable() async throws {
        try await runOnOwnThread { try Self.checkMP3BitRates() }
    }

    static func checkMP3BitRates() throws {
        let audio = AudioBuffer(sampleRate: 44100, channels: [Signals.noise(count: 441_000), Signals.noise(count: 441_000, seed: 2)])
        var sizes: [Int: Int] = [:]
        for kbps in [96, 192, 320] {
            let path = Signals.temporaryPath("rate-\(kbps).mp3")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try AudioFile.write(audio, to: path, format: .mp3(bitrateKbps: kbps))
            sizes[kbps] = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        }
        // 10 s at N kbit/s is about N * 1250 bytes.
        for (kbps, size) in sizes {
            let measured = Double(size) * 8 / 10 / 1000
            #expect(abs(measured - Double(kbps)) / Double(kbps) < 0.1, "\(kbps) kbit/s requested, \(measured) measured")
        }
    }

    @Test func streamingReadsMatchTheWholeFileAndSeek() throws {
        let original = Signals.stereo(sampleRate: 22050, seconds: 2)
        let path = Signals.temporaryPath("stream.wav")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AudioFile.write(original, to: path, format: .wav(.float))
        let reader = try AudioFileReader(path: path)
        var left: [Float] = []
        while let block = try reader.read(frames: 1000) { left += block.channels[0] }
        #expect(left == original.channels[0])
        try reader.seek(toFrame: 30_000)
        #expect(try reader.read(frames: 10)?.channels[1] == Array(original.channels[1][30_000..<30_010]))
    }

    @Test func writesAreAtomic() throws {
        let path = Signals.temporaryPath("atomic.flac")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try AudioFileWriter(path: path, format: .flac, sampleRate: 44100, channelCount: 1)
        try writer.write(AudioBuffer(sampleRate: 44100, channels: [Signals.noise(count: 10_000)]))
        #expect(!FileManager.default.fileExists(atPath: path))  // not before close
        try writer.close()
        #expect(try AudioFile.probe(path).frameCount == 10_000)
    }

    @Test func badInputsGiveTypedErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aural-bad-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }

        let empty = try file("empty.wav", [])
        #expect(throws: AudioError.empty) { try AudioFile.read(empty) }

        let text = try file("notes.mp3", Array("this is not audio, just text renamed to .mp3\n".utf8))
        #expect(throws: AudioError.corrupt("unrecognised file header")) { try AudioFile.read(text) }

        // A WAV header followed by garbage that does not parse.
        var fakeWAV = Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WAVE".utf8) + Array("junk".utf8)
        fakeWAV += Signals.noise(count: 64).map { UInt8(truncatingIfNeeded: Int(($0 + 1) * 100)) }
        let garbage = try file("garbage.wav", fakeWAV)
        #expect(throws: AudioError.self) { try AudioFile.read(garbage) }

        // Real files cut short: a typed error or the frames that survive, never a crash or hang.
        for format in [AudioFileFormat.flac, .mp3Default, .oggVorbis] {
            let whole = Signals.temporaryPath("whole.\(format.fileExtension)")
            defer { try? FileManager.default.removeItem(atPath: whole) }
            try AudioFile.write(Signals.stereo(sampleRate: 44100, seconds: 1), to: whole, format: format)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
            let truncated = try file("truncated.\(format.fileExtension)", Array(bytes.prefix(bytes.count / 3)))
            do {
                let audio = try AudioFile.read(truncated)
                #expect(audio.duration < 0.9, "\(format): \(audio.duration) s from a third of the file")
            } catch {
                #expect(error != .empty || format != .flac)
            }
        }

        let m4a = try file("song.m4a", [0, 0, 0, 0x20] + Array("ftypM4A ".utf8) + [UInt8](repeating: 0, count: 64))
        if FFmpeg.executable == nil {
            #expect(throws: AudioError.unsupportedFormat(detected: "m4a")) { try AudioFile.read(m4a) }
        } else {
            #expect(throws: AudioError.self) { try AudioFile.read(m4a) }
        }
        #expect(throws: AudioError.fileNotFound(directory.path + "/missing.wav")) {
            try AudioFile.probe(directory.path + "/missing.wav")
        }
    }

    @Test func sniffingIgnoresTheFileName() {
        #expect(AudioContainer.sniff(Array("fLaC".utf8) + [0, 0]) == .flac)
        #expect(AudioContainer.sniff(Array("ID3".utf8) + [4, 0]) == .mp3)
        #expect(AudioContainer.sniff([0xFF, 0xFB, 0x90, 0x00]) == .mp3)
        #expect(AudioContainer.sniff(Array("<html>".utf8)) == nil)
    }

    @Test func channelConversion() {
        let stereo = AudioBuffer(sampleRate: 8000, channels: [[1, 0, 0.5], [0, 1, 0.5]])
        #expect(stereo.mono() == [0.5, 0.5, 0.5])
        #expect(stereo.withChannelCount(1).channels == [[0.5, 0.5, 0.5]])
        let mono = AudioBuffer(sampleRate: 8000, channels: [[0.25, -0.25]])
        #expect(mono.withChannelCount(2).channels == [[0.25, -0.25], [0.25, -0.25]])
    }
}

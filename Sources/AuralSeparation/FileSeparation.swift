import AuralAudio
import Foundation
import Synchronization

/// One written stem file.
public struct StemFile: Sendable, Equatable {
    public var kind: StemKind
    public var format: AudioFileFormat
    public var path: String
}

extension Separator {
    /// Separates the audio file at `inputPath` block by block (bounded
    /// memory) and writes each requested stem in each format into
    /// `directory` as `{stem}.{ext}`. `progress` receives 0...1; throwing
    /// from it (e.g. at a deadline) stops the work and leaves no stem files.
    public func separateFile(
        at inputPath: String,
        into directory: String,
        stems: [StemKind] = StemKind.allCases,
        formats: [AudioFileFormat] = [.flac, .mp3Default],
        blocks: BlockProcessor = BlockProcessor(),
        progress: (Double) throws -> Void = { _ in }
    ) throws -> (info: AudioInfo, files: [StemFile]) {
        let reader = try AudioFileReader(path: inputPath)
        let info = reader.info
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var writers: [(StemFile, AudioFileWriter)] = []
        for kind in stems {
            for format in formats {
                let path = directory + "/" + kind.rawValue + "." + format.fileExtension
                let writer = try AudioFileWriter(path: path, format: format, sampleRate: info.sampleRate, channelCount: info.channelCount)
                writers.append((StemFile(kind: kind, format: format, path: path), writer))
            }
        }
        var progressError: (any Error)?
        try blocks.run(
            reader: reader, outputs: stems.count,
            process: { block in
                let separated = try separate(block)
                return stems.map { separated[$0] }
            },
            emit: { buffers in
                try Self.write(buffers, of: stems, to: writers)
            },
            progress: { fraction in
                guard progressError == nil else { return }
                do { try progress(fraction) } catch { progressError = error }
            },
            shouldStop: { progressError != nil })
        if let progressError { throw progressError }
        for (_, writer) in writers { try writer.close() }
        return (info, writers.map(\.0))
    }

    /// Encoding ten stem files (MP3 above all) costs as much as separating,
    /// so the writers of a block run side by side, one per core.
    private static func write(_ buffers: [AudioBuffer], of stems: [StemKind], to writers: [(StemFile, AudioFileWriter)]) throws {
        let failure = Mutex<(any Error)?>(nil)
        nonisolated(unsafe) let writers = writers  // each writer is used by exactly one iteration
        DispatchQueue.concurrentPerform(iterations: writers.count) { index in
            let (file, writer) = writers[index]
            do { try writer.write(buffers[stems.firstIndex(of: file.kind)!]) } catch {
                failure.withLock { if $0 == nil { $0 = error } }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}

import Foundation

/// Containers libsndfile cannot read (M4A/AAC) go through ffmpeg when it is
/// installed; without it they are refused with `unsupportedFormat`.
enum FFmpeg {
    static var executable: String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/ffmpeg" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func convertToWAV(_ path: String) throws(AudioError) -> URL {
        guard let ffmpeg = executable else { throw .unsupportedFormat(detected: "m4a") }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("aural-\(UUID().uuidString).wav")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-nostdin", "-v", "error", "-y", "-i", path, "-vn", "-c:a", "pcm_f32le", output.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw .unsupportedFormat(detected: "m4a") }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(at: output)
            throw .corrupt("ffmpeg: " + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }
}

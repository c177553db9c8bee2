import Foundation

/// Speech for tests: espeak-ng (scripts/bootstrap --test installs it) renders
/// a phrase to a WAV file.
public enum TestSpeech {
    /// Voice en-us+f2: the espeak-ng voice PocketSphinx hears best (`aural-bench stt`).
    public static func synthesize(_ text: String, voice: String = "en-us+f2", in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent("\(UUID().uuidString).wav")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["espeak-ng", "-v", voice, "-w", url.path, text]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SpeechSynthesisFailed(status: process.terminationStatus) }
        return url
    }
}

public struct SpeechSynthesisFailed: Error, CustomStringConvertible {
    public let status: Int32
    public var description: String { "espeak-ng failed (exit \(status)); scripts/bootstrap --test installs it" }
}

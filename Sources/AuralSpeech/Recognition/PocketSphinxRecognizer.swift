import AuralAudio
import CPocketSphinx
import Foundation

/// Local speech recognition with CMU PocketSphinx 5 and its US English model.
///
/// Creating one loads the acoustic model, language model and dictionary
/// (36 MB of files, a quarter of a second): create it once and reuse it. It is not
/// thread-safe — the decoder holds the current utterance — so use one per
/// thread and one call at a time; it is deliberately not `Sendable`.
///
/// Audio is decoded utterance by utterance: each speech span the caller
/// gives, or, without spans, the whole clip in pieces of at most
/// `maxUtteranceSeconds` cut at pauses. Memory stays that of one piece.
public final class PocketSphinxRecognizer: SpeechRecognizer {
    public struct Configuration: Sendable {
        /// Folder holding `en-us/` (acoustic model), `en-us.lm.bin` and
        /// `cmudict-en-us.dict`. nil: `$AURAL_POCKETSPHINX_MODEL`, else the
        /// model installed with the library (/usr/local/share/pocketsphinx/model/en-us).
        public var modelDirectory: String?
        /// Longest utterance handed to the decoder: its search and lattice
        /// grow with the utterance, and past ~30 s accuracy falls.
        public var maxUtteranceSeconds: Double

        public init(modelDirectory: String? = nil, maxUtteranceSeconds: Double = 30) {
            self.modelDirectory = modelDirectory
            self.maxUtteranceSeconds = maxUtteranceSeconds
        }
    }

    /// The model's rate; other audio is resampled to it.
    public static let sampleRate = 16_000
    public let configuration: Configuration
    private let decoder: OpaquePointer
    /// Decoder frames per second (word times come in frames).
    private let frameRate: Double
    /// Input is converted in blocks of this many samples, bounding the copies.
    private static let blockLength = 10 * sampleRate

    public init(configuration: Configuration = Configuration()) throws(SpeechRecognitionError) {
        guard configuration.maxUtteranceSeconds >= 1 else {
            throw .decoderFailed("maxUtteranceSeconds must be at least 1")
        }
        guard let config = ps_config_init(nil) else { throw .decoderFailed("cannot create a configuration") }
        // ps_init keeps its own reference.
        defer { ps_config_free(config) }
        // Warnings and errors only: the default also logs every utterance's search statistics.
        ps_config_set_str(config, "loglevel", "ERROR")
        // Half a bit of noise: digital silence (synthesized or gated audio)
        // has no log spectrum, and the decoder hears words in it. A fixed
        // seed keeps results reproducible.
        ps_config_set_bool(config, "dither", 1)
        ps_config_set_int(config, "seed", 1)
        let directory = configuration.modelDirectory ?? ProcessInfo.processInfo.environment["AURAL_POCKETSPHINX_MODEL"]
        if let directory {
            ps_config_set_str(config, "hmm", directory + "/en-us")
            ps_config_set_str(config, "lm", directory + "/en-us.lm.bin")
            ps_config_set_str(config, "dict", directory + "/cmudict-en-us.dict")
        }
        ps_default_search_args(config)
        for key in ["hmm", "lm", "dict"] {
            guard let path = ps_config_str(config, key).map({ String(cString: $0) }) else {
                throw .modelNotFound("no \(key) configured and no default model (set AURAL_POCKETSPHINX_MODEL)")
            }
            guard FileManager.default.fileExists(atPath: path) else { throw .modelNotFound("\(key): \(path)") }
        }
        guard let decoder = ps_init(config) else { throw .decoderFailed("PocketSphinx rejected the model or configuration") }
        self.decoder = decoder
        frameRate = Double(ps_config_int(config, "frate"))
        self.configuration = configuration
    }

    deinit { ps_free(decoder) }

    public func recognize(_ audio: AudioBuffer, speech: [Range<Double>]?) throws(SpeechRecognitionError) -> Transcription {
        var stream = try Stream(recognizer: self, inputRate: audio.sampleRate, speech: speech)
        let mono = audio.mono()
        for first in stride(from: 0, to: mono.count, by: Self.blockLength) {
            try stream.append(Array(mono[first..<min(first + Self.blockLength, mono.count)]))
        }
        return try stream.finish()
    }

    /// 16 kHz 16-bit samples, as a microphone or WAV file gives them.
    public func recognize(_ samples: [Int16], speech: [Range<Double>]?) throws(SpeechRecognitionError) -> Transcription {
        var stream = try Stream(recognizer: self, inputRate: Self.sampleRate, speech: speech)
        for first in stride(from: 0, to: samples.count, by: Self.blockLength) {
            try stream.append(samples[first..<min(first + Self.blockLength, samples.count)].map { Float($0) / 32768 })
        }
        return try stream.finish()
    }

    /// Streams an audio file (any format `AudioFileReader` reads) block by
    /// block: memory stays bounded however long the file.
    public func recognize(file path: String, speech: [Range<Double>]?) throws(SpeechRecognitionError) -> Transcription {
        do {
            let reader = try AudioFileReader(path: path)
            var stream = try Stream(recognizer: self, inputRate: reader.info.sampleRate, speech: speech)
            while let block = try reader.read(frames: Self.blockLength) {
                try stream.append(block.mono())
            }
            return try stream.finish()
        } catch let error as AudioError {
            throw .invalidAudio(String(describing: error))
        } catch let error as SpeechRecognitionError {
            throw error
        } catch {
            throw .invalidAudio(String(describing: error))
        }
    }

    /// Mono input at any rate → 16 kHz → utterances → decoded words.
    private struct Stream {
        let recognizer: PocketSphinxRecognizer
        let resampler: Resampler?
        var cutter: UtteranceCutter
        var words: [TimedWord] = []

        init(recognizer: PocketSphinxRecognizer, inputRate: Int, speech: [Range<Double>]?) throws(SpeechRecognitionError) {
            self.recognizer = recognizer
            let rate = PocketSphinxRecognizer.sampleRate
            do {
                resampler = inputRate == rate ? nil : try Resampler(from: inputRate, to: rate, channelCount: 1)
            } catch {
                throw .invalidAudio(String(describing: error))
            }
            let spans = speech?.map { span in
                Int((span.lowerBound * Double(rate)).rounded())..<Int((span.upperBound * Double(rate)).rounded())
            }
            let maxLength = Int(recognizer.configuration.maxUtteranceSeconds * Double(rate))
            cutter = UtteranceCutter(spans: spans, maxLength: maxLength, sampleRate: rate)
        }

        mutating func append(_ mono: [Float]) throws(SpeechRecognitionError) {
            try decode(cutter.append(resample(mono, isLast: false)))
        }

        mutating func finish() throws(SpeechRecognitionError) -> Transcription {
            try decode(cutter.append(resample([], isLast: true)))
            try decode(cutter.finish())
            return Transcription(words: words)
        }

        private func resample(_ mono: [Float], isLast: Bool) throws(SpeechRecognitionError) -> [Float] {
            guard let resampler else { return mono }
            do {
                return try resampler.process(AudioBuffer(sampleRate: resampler.inputRate, channels: [mono]), isLast: isLast).channels[0]
            } catch {
                throw .invalidAudio(String(describing: error))
            }
        }

        private mutating func decode(_ utterances: [UtteranceCutter.Utterance]) throws(SpeechRecognitionError) {
            for utterance in utterances {
                let offset = Double(utterance.start) / Double(PocketSphinxRecognizer.sampleRate)
                words += try recognizer.decode(utterance.samples, startingAt: offset)
            }
        }
    }

    /// One utterance through the decoder's three passes (lexicon tree, flat
    /// lexicon, best path over the lattice — the last gives word posteriors).
    private func decode(_ samples: [Float], startingAt offset: Double) throws(SpeechRecognitionError) -> [TimedWord] {
        guard !samples.isEmpty else { return [] }
        let pcm = samples.map { Int16(clamping: Int(($0 * 32768).rounded())) }
        guard ps_start_utt(decoder) == 0 else { throw .decoderFailed("cannot start an utterance") }
        let searched = pcm.withUnsafeBufferPointer { ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 1) }
        guard ps_end_utt(decoder) == 0, searched >= 0 else { throw .decoderFailed("decoding an utterance at \(offset) s failed") }
        let logmath = ps_get_logmath(decoder)
        var words: [TimedWord] = []
        var segment = ps_seg_iter(decoder)
        while let current = segment {
            if let word = Self.dictionaryWord(String(cString: ps_seg_word(current))) {
                var firstFrame: Int32 = 0, lastFrame: Int32 = 0
                ps_seg_frames(current, &firstFrame, &lastFrame)
                let posterior = logmath_exp(logmath, ps_seg_prob(current, nil, nil, nil))
                words.append(TimedWord(
                    word: word, start: offset + Double(firstFrame) / frameRate, end: offset + Double(lastFrame + 1) / frameRate,
                    confidence: min(1, max(0, posterior))))
            }
            segment = ps_seg_next(current)  // frees the iterator at the end
        }
        return words
    }

    /// The word a decoder token stands for, nil for the silence and noise
    /// models (`<s>`, `</s>`, `<sil>`, `[NOISE]`, `++GARBAGE++`);
    /// pronunciation variants lose their marker (`read(2)` → `read`).
    static func dictionaryWord(_ token: String) -> String? {
        guard let first = token.first, first != "<", first != "[", !token.hasPrefix("++") else { return nil }
        if token.hasSuffix(")"), let open = token.lastIndex(of: "("), open != token.startIndex {
            return String(token[..<open])
        }
        return token
    }
}

@available(*, unavailable, message: "one PocketSphinxRecognizer per thread")
extension PocketSphinxRecognizer: Sendable {}

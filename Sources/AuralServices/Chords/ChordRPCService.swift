import AuralAudio
import AuralBlob
import AuralChords
import AuralRPC
import AuralWire
import Foundation
import Logging

public enum ChordMethods {
    /// Idempotent: the same audio gives the same analysis, and the JSON is written atomically.
    public static let analyze = RPCMethod<Aural_V1_AnalyzeChordsRequest, Aural_V1_AnalyzeChordsResponse>(
        "aural.v1.ChordService/Analyze", idempotent: true)
}

/// The direct-call face of chord analysis: audio in (inline or blob); key,
/// tempo, beats and chords out, and the chords JSON written to `output_key`
/// when one is given.
public struct ChordRPCService: Sendable {
    let blobs: LocalBlobStore
    let work: BlockingWorkPool
    let analyzer: ChordAnalyzer

    public init(blobs: LocalBlobStore, work: BlockingWorkPool, analyzer: ChordAnalyzer = ChordAnalyzer()) {
        self.blobs = blobs
        self.work = work
        self.analyzer = analyzer
    }

    public func register(on router: inout RPCRouter) {
        router.register(ChordMethods.analyze) { request, call in
            try await analyze(request, call: call)
        }
    }

    func analyze(_ request: Aural_V1_AnalyzeChordsRequest, call: RPCCallContext) async throws -> Aural_V1_AnalyzeChordsResponse {
        let staged = try StagedAudio(request.audio, blobs: blobs)
        defer { staged.cleanup() }
        let started = ContinuousClock.now
        let analyzer = self.analyzer
        let (info, analysis) = try await work.run {
            do {
                return try analyzer.analyzeFile(at: staged.path, progress: { _ in try call.checkDeadline() })
            } catch let error as AudioError {
                throw AudioWire.rpcError(error)
            }
        }
        var response = Aural_V1_AnalyzeChordsResponse()
        response.audio = AudioWire.descriptor(info)
        response.key = analysis.key?.description ?? ""
        response.tempoBpm = analysis.tempoBPM ?? 0
        response.beats = analysis.beats
        response.chords = analysis.chords.map { chord in
            var segment = Aural_V1_ChordSegment()
            segment.start = chord.start
            segment.end = chord.end
            segment.label = chord.label.description
            segment.confidence = Float(chord.confidence)
            return segment
        }
        if !request.outputKey.isEmpty {
            do {
                response.chordsJson = try blobs.storeJSON(ChordsJSON.encode(analysis), key: request.outputKey)
            } catch {
                if case .invalidKey = error { throw RPCError.invalidArgument("\(error)") }
                throw RPCError.internalError("\(error)")
            }
        }
        let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        call.logger.info("chords analysed", metadata: [
            "seconds": "\(String(format: "%.1f", info.duration))",
            "rtf": "\(String(format: "%.4f", seconds / max(info.duration, 1e-9)))",
            "key": "\(response.key)", "chords": "\(analysis.chords.count)",
        ])
        return response
    }
}

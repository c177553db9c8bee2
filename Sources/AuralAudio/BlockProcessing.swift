/// Runs an analysis over a long file in overlapping blocks so peak memory
/// depends on the block length, not the file's. Each block's outputs are
/// cross-faded linearly with the previous block's over the overlap, then
/// handed on in order; the outputs of all blocks together are as long as
/// the input.
public struct BlockProcessor: Sendable {
    public var blockSeconds: Double
    public var overlapSeconds: Double

    public init(blockSeconds: Double = 30, overlapSeconds: Double = 2) {
        precondition(overlapSeconds >= 0 && overlapSeconds < blockSeconds / 2, "overlap must be under half a block")
        self.blockSeconds = blockSeconds
        self.overlapSeconds = overlapSeconds
    }

    /// - Parameters:
    ///   - process: turns one input block into `outputs` buffers of the same length.
    ///   - emit: receives finished output audio in order (`outputs` buffers at a time).
    ///   - progress: fraction of the input done, after each block.
    ///   - shouldStop: checked before each block; true ends the run early.
    public func run(
        reader: AudioFileReader,
        outputs: Int,
        process: (AudioBuffer) throws -> [AudioBuffer],
        emit: ([AudioBuffer]) throws -> Void,
        progress: (Double) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws {
        let rate = reader.info.sampleRate
        let blockFrames = Int(blockSeconds * Double(rate))
        let overlapFrames = Int(overlapSeconds * Double(rate))
        let step = blockFrames - overlapFrames
        var carried: [AudioBuffer]?   // the previous block's overlap tail, not yet emitted
        var position = 0
        try reader.seek(toFrame: 0)
        var pending: AudioBuffer? = try reader.read(frames: blockFrames)
        while let block = pending, !shouldStop() {
            let results = try process(block)
            precondition(results.count == outputs && results.allSatisfy { $0.frameCount == block.frameCount },
                         "process must return \(outputs) buffers as long as its block")
            // The next block starts `step` frames later and re-reads the overlap.
            position += step
            let isLast = block.frameCount < blockFrames
            var next: AudioBuffer?
            if !isLast {
                try reader.seek(toFrame: position)
                next = try reader.read(frames: blockFrames)
                if let candidate = next, candidate.frameCount <= overlapFrames { next = nil }
            }
            let head = carried.map { tails in
                zip(tails, results).map { tail, result in crossfade(tail, result.slice(0..<tail.frameCount)) }
            }
            let bodyStart = carried?.first?.frameCount ?? 0
            let bodyEnd = next == nil ? block.frameCount : block.frameCount - overlapFrames
            if let head { try emit(head) }
            if bodyEnd > bodyStart { try emit(results.map { $0.slice(bodyStart..<bodyEnd) }) }
            carried = next == nil ? nil : results.map { $0.slice(bodyEnd..<block.frameCount) }
            progress(min(1, Double(min(position, reader.info.frameCount)) / Double(max(1, reader.info.frameCount))))
            pending = next
        }
        if !shouldStop() { progress(1) }
    }

    /// Fades `outgoing` out and `incoming` in over their (equal) length.
    private func crossfade(_ outgoing: AudioBuffer, _ incoming: AudioBuffer) -> AudioBuffer {
        let n = outgoing.frameCount
        var result = outgoing
        for c in 0..<result.channelCount {
            for i in 0..<n {
                let fadeIn = (Float(i) + 0.5) / Float(n)
                result.channels[c][i] = outgoing.channels[c][i] * (1 - fadeIn) + incoming.channels[c][i] * fadeIn
            }
        }
        return result
    }
}

import Foundation

/// pYIN stage 2: a hidden Markov model whose states are pitch bins (voiced)
/// plus one unvoiced state, decoded by Viterbi in the log domain.
///
/// Observations: a voiced bin is as likely as the candidate probability
/// that falls in it; the unvoiced state as likely as the frame's unvoiced
/// mass times `unvoicedWeight`. Transitions: along a note the pitch moves by
/// at most `maximumStepSemitones` per frame with triangular weights; with a
/// small probability it jumps anywhere (legato note changes); voicing
/// switches with `voicingSwitchProbability`.
struct VoicedPitchHMM {
    let configuration: PitchTrackerConfiguration
    let binCount: Int
    let lowestMIDI: Float
    let binsPerSemitone: Float
    let maximumStep: Int

    init(configuration: PitchTrackerConfiguration) {
        self.configuration = configuration
        lowestMIDI = midiPitch(hz: Float(configuration.minimumFrequency))
        binsPerSemitone = Float(configuration.binsPerSemitone)
        let span = midiPitch(hz: Float(configuration.maximumFrequency)) - lowestMIDI
        binCount = Int((span * binsPerSemitone).rounded(.up)) + 1
        maximumStep = max(1, Int((configuration.maximumStepSemitones * Double(configuration.binsPerSemitone)).rounded()))
    }

    @inline(__always)
    func bin(of f0: Float) -> Int {
        min(binCount - 1, max(0, Int(((midiPitch(hz: f0) - lowestMIDI) * binsPerSemitone).rounded())))
    }

    func decode(_ candidates: FrameCandidates, hopSeconds: Double, progress: (Double) throws -> Void) throws -> [PitchFrame] {
        let frameCount = candidates.frameCount
        guard frameCount > 0 else { return [] }
        let bins = binCount
        let unvoiced = bins  // state index of the unvoiced state
        let stateCount = bins + 1
        let step = maximumStep
        let floorProbability: Float = 1e-7

        let switchProbability = Float(configuration.voicingSwitchProbability)
        let jump = Float(configuration.pitchJumpProbability)
        let stayVoiced = log(1 - switchProbability)
        let triangleTotal = Float((step + 1) * (step + 1))
        let stepCost = (0...step).map { distance in stayVoiced + log(1 - jump) + log(Float(step + 1 - distance) / triangleTotal) }
        let jumpCost = stayVoiced + log(jump / Float(bins))
        let voiceCost = log(switchProbability / Float(bins))
        let unvoiceCost = log(switchProbability)
        let stayUnvoicedCost = log(1 - switchProbability)
        let unvoicedWeight = Float(configuration.unvoicedWeight)

        var score = [Float](repeating: 0, count: stateCount)
        var next = [Float](repeating: 0, count: stateCount)
        var observation = [Float](repeating: 0, count: bins)
        // Back-pointers, frame-major; UInt16 holds any bin count this range needs.
        var from = [UInt16](repeating: 0, count: frameCount * stateCount)
        let progressEvery = max(1, frameCount / 20)

        try candidates.f0.withUnsafeBufferPointer { f0s in
            try candidates.probability.withUnsafeBufferPointer { probabilities in
                try score.withUnsafeMutableBufferPointer { score in
                    try next.withUnsafeMutableBufferPointer { next in
                        try observation.withUnsafeMutableBufferPointer { observation in
                            try from.withUnsafeMutableBufferPointer { from in
                                @inline(__always) func observe(_ frame: Int) -> Float {
                                    for b in 0..<bins { observation[b] = floorProbability }
                                    let base = frame * candidates.capacity
                                    for k in 0..<Int(candidates.counts[frame]) {
                                        observation[bin(of: f0s[base + k])] += probabilities[base + k]
                                    }
                                    for b in 0..<bins { observation[b] = log(observation[b]) }
                                    return log(max(1 - candidates.voicedMass[frame], floorProbability) * unvoicedWeight)
                                }
                                let firstUnvoiced = observe(0)
                                for b in 0..<bins { score[b] = observation[b] + log(0.5 / Float(bins)) }
                                score[unvoiced] = firstUnvoiced + log(0.5)

                                for frame in 1..<frameCount {
                                    let unvoicedObservation = observe(frame)
                                    var bestVoiced = -Float.infinity
                                    var bestVoicedBin = 0
                                    for b in 0..<bins where score[b] > bestVoiced {
                                        bestVoiced = score[b]
                                        bestVoicedBin = b
                                    }
                                    let row = frame * stateCount
                                    let fromUnvoiced = score[unvoiced] + voiceCost
                                    let fromJump = bestVoiced + jumpCost
                                    for b in 0..<bins {
                                        var best = fromUnvoiced
                                        var source = unvoiced
                                        if fromJump > best { best = fromJump; source = bestVoicedBin }
                                        let low = max(0, b - step), high = min(bins - 1, b + step)
                                        for previous in low...high {
                                            let candidate = score[previous] + stepCost[abs(previous - b)]
                                            if candidate > best { best = candidate; source = previous }
                                        }
                                        next[b] = best + observation[b]
                                        from[row + b] = UInt16(source)
                                    }
                                    let stay = score[unvoiced] + stayUnvoicedCost
                                    let leave = bestVoiced + unvoiceCost
                                    next[unvoiced] = max(stay, leave) + unvoicedObservation
                                    from[row + unvoiced] = UInt16(stay >= leave ? unvoiced : bestVoicedBin)
                                    // Keep scores near zero so Float never loses them.
                                    var top = next[unvoiced]
                                    for b in 0..<bins where next[b] > top { top = next[b] }
                                    for state in 0..<stateCount { score[state] = next[state] - top }
                                    if frame % progressEvery == 0 { try progress(Double(frame) / Double(frameCount)) }
                                }
                            }
                        }
                    }
                }
            }
        }

        var state = score.indices.max { score[$0] < score[$1] }!
        var path = [Int](repeating: 0, count: frameCount)
        for frame in stride(from: frameCount - 1, through: 0, by: -1) {
            path[frame] = state
            if frame > 0 { state = Int(from[frame * stateCount + state]) }
        }
        try progress(1)
        return (0..<frameCount).map { frame in
            let time = Double(frame) * hopSeconds
            let (confidence, level) = (candidates.voicedMass[frame], candidates.levels[frame])
            guard path[frame] != unvoiced else { return PitchFrame(time: time, f0: 0, voiced: false, confidence: confidence, level: level) }
            return PitchFrame(time: time, f0: refinedF0(candidates, frame: frame, bin: path[frame]), voiced: true,
                              confidence: confidence, level: level)
        }
    }

    /// The decoded bin's centre is only 1/binsPerSemitone accurate: report
    /// the most probable candidate within a bin of it instead, when there is one.
    func refinedF0(_ candidates: FrameCandidates, frame: Int, bin chosen: Int) -> Float {
        var best: Float = 0
        var bestProbability: Float = 0
        let base = frame * candidates.capacity
        for k in 0..<Int(candidates.counts[frame]) {
            let f0 = candidates.f0[base + k]
            if abs(bin(of: f0) - chosen) <= 1, candidates.probability[base + k] > bestProbability {
                best = f0
                bestProbability = candidates.probability[base + k]
            }
        }
        return bestProbability > 0 ? best : frequency(midi: lowestMIDI + Float(chosen) / binsPerSemitone)
    }
}

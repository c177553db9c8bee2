import AuralAudio
import Foundation

/// The predominant pitch per frame by harmonic summation over the
/// square-root-compressed spectrum (so one loud low partial does not outweigh
/// a full harmonic series); nil where the frame's best salience is too weak
/// to be a note. A candidate whose octave above is nearly as salient is taken
/// to be that octave: summation favours sub-octaves, which collect every
/// harmonic of the true pitch at their even positions.
struct HarmonicPitchSearch {
    var minHz: Double
    var maxHz: Double
    var harmonics: Int
    /// A candidate yields to its octave above when that reaches this fraction of its salience.
    var octaveRatio: Float
    /// Voiced when the salience exceeds this fraction of the 95th percentile over the block.
    var voicingThreshold: Float
    var stepsPerSemitone = 5

    func track(_ spectrum: Matrix, binHz: Double) -> [Double?] {
        let minMidi = 69 + 12 * log2(minHz / 440), maxMidi = 69 + 12 * log2(maxHz / 440)
        let count = Int((maxMidi - minMidi) * Double(stepsPerSemitone)) + 1
        let candidates = (0..<count).map { 440 * pow(2, (minMidi + Double($0) / Double(stepsPerSemitone) - 69) / 12) }
        let octaveStep = 12 * stepsPerSemitone
        let weights = (0..<harmonics).map { Float(pow(0.84, Double($0))) }
        var best = [Float](repeating: 0, count: spectrum.rows)
        var pitch = [Double](repeating: 0, count: spectrum.rows)
        var salience = [Float](repeating: 0, count: count)
        let compressed = spectrum.values.map { $0.squareRoot() }
        compressed.withUnsafeBufferPointer { values in
            for frame in 0..<spectrum.rows {
                let base = frame * spectrum.columns
                for (index, f0) in candidates.enumerated() {
                    var sum: Float = 0
                    for h in 0..<harmonics {
                        let position = Double(h + 1) * f0 / binHz
                        let lower = Int(position)
                        guard lower + 1 < spectrum.columns else { break }
                        let fraction = Float(position - Double(lower))
                        sum += weights[h] * (values[base + lower] * (1 - fraction) + values[base + lower + 1] * fraction)
                    }
                    salience[index] = sum
                }
                var top = salience.indices.max { salience[$0] < salience[$1] }!
                while top + octaveStep < count, salience[top + octaveStep] > octaveRatio * salience[top] {
                    let above = top + octaveStep
                    let window = max(0, above - 2)...min(count - 1, above + 2)
                    top = window.max { salience[$0] < salience[$1] }!
                }
                best[frame] = salience[top]
                pitch[frame] = candidates[top]
            }
        }
        let reference = Separator.percentile(best, 0.95)
        let threshold = reference * voicingThreshold
        // Smooth the track in cents over 5 frames to remove one-frame slips.
        let cents = pitch.map { $0 > 0 ? Float(1200 * log2($0 / 440)) : 0 }
        var smoothed = cents
        MedianFilter.running(cents, width: 5, into: &smoothed)
        return (0..<spectrum.rows).map { frame in
            best[frame] > threshold && reference > 0 ? 440 * pow(2, Double(smoothed[frame]) / 1200) : nil
        }
    }
}

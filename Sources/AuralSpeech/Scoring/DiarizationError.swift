/// Diarization error rate as NIST md-eval computes it: missed speech, false
/// alarm and speaker confusion over the scored reference speech time, with
/// reference and hypothesis speakers paired one to one so that the time
/// they share is largest (Hungarian algorithm).
public struct DiarizationScore: Sendable, Equatable {
    /// Seconds: scored reference speech (each speaker counted), and the errors.
    public var reference: Double
    public var missed: Double
    public var falseAlarm: Double
    public var confusion: Double
    /// Hypothesis speaker for each reference speaker that got one.
    public var mapping: [String: String]

    public var errorRate: Double { reference > 0 ? (missed + falseAlarm + confusion) / reference : 0 }
    public var missedRate: Double { reference > 0 ? missed / reference : 0 }
    public var falseAlarmRate: Double { reference > 0 ? falseAlarm / reference : 0 }
    public var confusionRate: Double { reference > 0 ? confusion / reference : 0 }
}

public enum DiarizationScoring {
    /// - Parameter collar: seconds either side of every reference segment
    ///   boundary that are not scored (md-eval's `-c`; 0.25 is the usual forgiveness).
    public static func score(reference: [SpeakerSegment], hypothesis: [SpeakerSegment], collar: Double = 0) -> DiarizationScore {
        let referenceNames = Array(Set(reference.map(\.speaker))).sorted()
        let hypothesisNames = Array(Set(hypothesis.map(\.speaker))).sorted()
        let referenceIndex = Dictionary(uniqueKeysWithValues: referenceNames.enumerated().map { ($0.element, $0.offset) })
        let hypothesisIndex = Dictionary(uniqueKeysWithValues: hypothesisNames.enumerated().map { ($0.element, $0.offset) })

        // Sweep over start/end events; `kind` 0 reference, 1 hypothesis, 2 no-score zone.
        struct Event { var time: Double; var delta: Int; var kind: Int; var speaker: Int }
        var events: [Event] = []
        for segment in reference where segment.end > segment.start {
            let r = referenceIndex[segment.speaker]!
            events.append(Event(time: segment.start, delta: 1, kind: 0, speaker: r))
            events.append(Event(time: segment.end, delta: -1, kind: 0, speaker: r))
            if collar > 0 {
                for boundary in [segment.start, segment.end] {
                    events.append(Event(time: boundary - collar, delta: 1, kind: 2, speaker: 0))
                    events.append(Event(time: boundary + collar, delta: -1, kind: 2, speaker: 0))
                }
            }
        }
        for segment in hypothesis where segment.end > segment.start {
            let h = hypothesisIndex[segment.speaker]!
            events.append(Event(time: segment.start, delta: 1, kind: 1, speaker: h))
            events.append(Event(time: segment.end, delta: -1, kind: 1, speaker: h))
        }
        events.sort { $0.time < $1.time }

        // Elementary intervals with who is active in them (scored ones only).
        struct Interval { var duration: Double; var reference: [Int]; var hypothesis: [Int] }
        var intervals: [Interval] = []
        var referenceActive = [Int](repeating: 0, count: referenceNames.count)
        var hypothesisActive = [Int](repeating: 0, count: hypothesisNames.count)
        var zones = 0
        var i = 0
        while i < events.count {
            let time = events[i].time
            while i < events.count && events[i].time == time {
                let e = events[i]
                switch e.kind {
                case 0: referenceActive[e.speaker] += e.delta
                case 1: hypothesisActive[e.speaker] += e.delta
                default: zones += e.delta
                }
                i += 1
            }
            guard i < events.count, zones == 0 else { continue }
            let refs = referenceActive.indices.filter { referenceActive[$0] > 0 }
            let hyps = hypothesisActive.indices.filter { hypothesisActive[$0] > 0 }
            if !refs.isEmpty || !hyps.isEmpty {
                intervals.append(Interval(duration: events[i].time - time, reference: refs, hypothesis: hyps))
            }
        }

        var shared = [[Double]](repeating: [Double](repeating: 0, count: hypothesisNames.count), count: referenceNames.count)
        for interval in intervals {
            for r in interval.reference { for h in interval.hypothesis { shared[r][h] += interval.duration } }
        }
        let assignment = Hungarian.maximize(shared)

        var score = DiarizationScore(reference: 0, missed: 0, falseAlarm: 0, confusion: 0, mapping: [:])
        for (r, h) in assignment.enumerated() {
            if let h, shared[r][h] > 0 { score.mapping[referenceNames[r]] = hypothesisNames[h] }
        }
        for interval in intervals {
            let (nr, nh) = (interval.reference.count, interval.hypothesis.count)
            let correct = interval.reference.filter { r in
                guard let h = assignment[r] else { return false }
                return interval.hypothesis.contains(h)
            }.count
            score.reference += interval.duration * Double(nr)
            score.missed += interval.duration * Double(max(0, nr - nh))
            score.falseAlarm += interval.duration * Double(max(0, nh - nr))
            score.confusion += interval.duration * Double(min(nr, nh) - correct)
        }
        return score
    }
}

/// The assignment problem by the Hungarian method (Kuhn–Munkres with
/// potentials, O(n³)) on a rectangular matrix padded square with zeros.
public enum Hungarian {
    /// For each row, the column it is paired with (nil when there are more
    /// rows than columns), maximising the sum of the chosen values.
    public static func maximize(_ values: [[Double]]) -> [Int?] {
        let rows = values.count
        let columns = values.first?.count ?? 0
        let n = max(rows, columns)
        guard n > 0 else { return [] }
        let top = values.joined().max() ?? 0
        // Minimise top − value; padding cells cost `top` (value 0).
        func cost(_ i: Int, _ j: Int) -> Double { i < rows && j < columns ? top - values[i][j] : top }
        // 1-based arrays as in the classic formulation; column 0 is a sentinel.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
        var owner = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
        for i in 1...n {
            owner[0] = i
            var j0 = 0
            var minimum = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[j0] = true
                let i0 = owner[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...n where !used[j] {
                    let reduced = cost(i0 - 1, j - 1) - u[i0] - v[j]
                    if reduced < minimum[j] { (minimum[j], way[j]) = (reduced, j0) }
                    if minimum[j] < delta { (delta, j1) = (minimum[j], j) }
                }
                for j in 0...n {
                    if used[j] {
                        u[owner[j]] += delta
                        v[j] -= delta
                    } else {
                        minimum[j] -= delta
                    }
                }
                j0 = j1
            } while owner[j0] != 0
            repeat {
                let j1 = way[j0]
                owner[j0] = owner[j1]
                j0 = j1
            } while j0 != 0
        }
        var result = [Int?](repeating: nil, count: rows)
        for j in 1...n where owner[j] >= 1 && owner[j] <= rows && j <= columns { result[owner[j] - 1] = j - 1 }
        return result
    }
}

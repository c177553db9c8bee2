/// Pitch-class names as the benchmark songs spell them (flats except F#),
/// and parsing of any sharp or flat spelling.
public enum PitchClass {
    public static let names = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

    /// "C", "C#", "Db", "B#", "Cb"… → 0...11.
    public static func parse(_ name: Substring) -> Int? {
        let naturals: [Character: Int] = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11]
        guard let letter = name.first, var pitch = naturals[letter] else { return nil }
        for accidental in name.dropFirst() {
            switch accidental {
            case "#": pitch += 1
            case "b": pitch -= 1
            default: return nil
            }
        }
        return (pitch % 12 + 12) % 12
    }
}

/// The chord qualities Aural recognises, named as in Harte's notation.
public enum ChordQuality: String, Sendable, CaseIterable {
    case major = "maj", minor = "min", dominantSeventh = "7", majorSeventh = "maj7", minorSeventh = "min7"

    /// Semitones above the root.
    public var intervals: [Int] {
        switch self {
        case .major: [0, 4, 7]
        case .minor: [0, 3, 7]
        case .dominantSeventh: [0, 4, 7, 10]
        case .majorSeventh: [0, 4, 7, 11]
        case .minorSeventh: [0, 3, 7, 10]
        }
    }

    /// The triad inside the chord: what MIREX's `majmin` vocabulary compares.
    public var triad: ChordQuality {
        switch self {
        case .major, .dominantSeventh, .majorSeventh: .major
        case .minor, .minorSeventh: .minor
        }
    }
}

/// A chord label in Harte notation (`C:maj`, `A:min`, `G:7`, `F:maj7`,
/// `D:min7`) or `N`, no chord.
public struct ChordLabel: Hashable, Sendable, CustomStringConvertible {
    /// Pitch class of the root, nil for `N`.
    public let root: Int?
    public let quality: ChordQuality?

    public static let noChord = ChordLabel(root: nil, quality: nil)

    public init(root: Int, quality: ChordQuality) {
        self.root = (root % 12 + 12) % 12
        self.quality = quality
    }

    private init(root: Int?, quality: ChordQuality?) {
        self.root = root
        self.quality = quality
    }

    /// Parses `N`, `X` (unknown, read as N), `C` (major), `C:min7`, `Db:maj`…;
    /// nil for qualities outside the vocabulary or a bass note (`C:maj/3`).
    public init?(harte: String) {
        if harte == "N" || harte == "X" {
            self = .noChord
            return
        }
        let parts = harte.split(separator: ":", maxSplits: 1)
        guard let root = PitchClass.parse(parts[0]) else { return nil }
        let quality = parts.count == 2 ? ChordQuality(rawValue: String(parts[1])) : .major
        guard let quality else { return nil }
        self.init(root: root, quality: quality)
    }

    public var isNoChord: Bool { root == nil }

    public var pitchClasses: [Int] {
        guard let root, let quality else { return [] }
        return quality.intervals.map { (root + $0) % 12 }
    }

    public var description: String {
        guard let root, let quality else { return "N" }
        return "\(PitchClass.names[root]):\(quality.rawValue)"
    }

    /// Every chord of the vocabulary: 12 roots × `qualities`.
    public static func all(_ qualities: [ChordQuality] = ChordQuality.allCases) -> [ChordLabel] {
        qualities.flatMap { quality in (0..<12).map { ChordLabel(root: $0, quality: quality) } }
    }
}

/// A key, `C:maj` or `A:min`.
public struct MusicalKey: Hashable, Sendable, CustomStringConvertible {
    public let tonic: Int
    public let isMinor: Bool

    public init(tonic: Int, isMinor: Bool) {
        self.tonic = (tonic % 12 + 12) % 12
        self.isMinor = isMinor
    }

    public init?(harte: String) {
        let parts = harte.split(separator: ":")
        guard parts.count == 2, let tonic = PitchClass.parse(parts[0]), parts[1] == "maj" || parts[1] == "min" else { return nil }
        self.init(tonic: tonic, isMinor: parts[1] == "min")
    }

    public var description: String { "\(PitchClass.names[tonic]):\(isMinor ? "min" : "maj")" }
}

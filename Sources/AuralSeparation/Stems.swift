import AuralAudio

public enum StemKind: String, Sendable, CaseIterable, Codable {
    case vocals, drums, bass, other, instrumental

    /// The four stems that add up to the mix.
    public static let additive: [StemKind] = [.vocals, .drums, .bass, .other]
}

/// The stems of one piece of audio. `vocals + drums + bass + other` equals
/// the mix (`other` is the residual), and `instrumental` is `mix - vocals`.
public struct Stems: Sendable {
    public var vocals: AudioBuffer
    public var drums: AudioBuffer
    public var bass: AudioBuffer
    public var other: AudioBuffer

    public var instrumental: AudioBuffer { Stems.sum([drums, bass, other]) }

    public subscript(kind: StemKind) -> AudioBuffer {
        switch kind {
        case .vocals: vocals
        case .drums: drums
        case .bass: bass
        case .other: other
        case .instrumental: instrumental
        }
    }

    public var mix: AudioBuffer { Stems.sum([vocals, drums, bass, other]) }

    static func sum(_ buffers: [AudioBuffer]) -> AudioBuffer {
        var total = buffers[0]
        for buffer in buffers.dropFirst() {
            for c in 0..<total.channelCount {
                total.channels[c].withUnsafeMutableBufferPointer { out in
                    buffer.channels[c].withUnsafeBufferPointer { add in
                        for i in out.indices { out[i] += add[i] }
                    }
                }
            }
        }
        return total
    }

    /// `mix - sum(parts)`, channel by channel.
    static func residual(of mix: AudioBuffer, minus parts: [AudioBuffer]) -> AudioBuffer {
        var rest = mix
        for part in parts {
            for c in 0..<rest.channelCount {
                rest.channels[c].withUnsafeMutableBufferPointer { out in
                    part.channels[c].withUnsafeBufferPointer { sub in
                        for i in out.indices { out[i] -= sub[i] }
                    }
                }
            }
        }
        return rest
    }
}

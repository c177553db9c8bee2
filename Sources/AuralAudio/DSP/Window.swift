import Foundation

/// Analysis windows, periodic (the form that overlap-adds evenly).
public enum WindowFunction: Sendable, Equatable {
    case hann, hamming, blackman, rectangular

    public func coefficients(_ length: Int) -> [Float] {
        let n = Double(length)
        return (0..<length).map { i in
            let x = 2 * Double.pi * Double(i) / n
            let value: Double = switch self {
            case .hann: 0.5 - 0.5 * cos(x)
            case .hamming: 0.54 - 0.46 * cos(x)
            case .blackman: 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x)
            case .rectangular: 1.0
            }
            return Float(value)
        }
    }
}

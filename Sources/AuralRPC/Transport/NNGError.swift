import CNNG

/// An error code returned by libnng.
public struct NNGError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32

    public init(_ code: Int32) { self.code = code }
    init(_ code: nng_errno_enum) { self.code = Int32(code.rawValue) }

    public var description: String { "nng: " + String(cString: nng_strerror(code)) }

    public static let timedOut = NNGError(NNG_ETIMEDOUT)
    public static let cancelled = NNGError(NNG_ECANCELED)
    public static let closed = NNGError(NNG_ECLOSED)
    public static let connectionRefused = NNGError(NNG_ECONNREFUSED)
    public static let connectionReset = NNGError(NNG_ECONNRESET)
    public static let messageTooLarge = NNGError(NNG_EMSGSIZE)
    public static let invalidAddress = NNGError(NNG_EADDRINVAL)
    public static let addressInUse = NNGError(NNG_EADDRINUSE)
}

@inline(__always)
func nngCheck(_ rv: Int32) throws(NNGError) {
    if rv != 0 { throw NNGError(rv) }
}

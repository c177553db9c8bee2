import Foundation

/// A single-range `Range: bytes=…` request (RFC 9110 §14.1.2) resolved
/// against a file size: `a-b`, `a-` and the suffix form `-N` (the last N
/// bytes). Multiple ranges are not served; such requests get the whole file,
/// which the RFC allows.
enum ByteRange: Equatable {
    /// Serve the whole file (no Range header, or one we ignore).
    case whole
    /// Serve these bytes with 206.
    case partial(ClosedRange<Int>)
    /// Answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    init(header: String?, size: Int) {
        guard let header else { self = .whole; return }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { self = .whole; return }
        let spec = String(trimmed.dropFirst("bytes=".count)).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(",") else { self = .whole; return }
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2 else { self = .whole; return }
        let first = bounds[0].isEmpty ? nil : Int(bounds[0])
        let last = bounds[1].isEmpty ? nil : Int(bounds[1])
        // A syntactically invalid range is ignored, as the RFC says.
        if (!bounds[0].isEmpty && first == nil) || (!bounds[1].isEmpty && last == nil) { self = .whole; return }
        switch (first, last) {
        case (nil, nil):
            self = .whole
        case (nil, let suffix?):
            guard suffix > 0, size > 0 else { self = .unsatisfiable; return }
            self = .partial(max(0, size - suffix)...(size - 1))
        case (let start?, nil):
            guard start < size else { self = .unsatisfiable; return }
            self = .partial(start...(size - 1))
        case (let start?, let end?):
            guard start <= end else { self = .whole; return }
            guard start < size else { self = .unsatisfiable; return }
            self = .partial(start...min(end, size - 1))
        }
    }
}

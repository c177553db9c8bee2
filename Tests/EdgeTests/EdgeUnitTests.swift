@testable import AuralEdge
import AuralRPC
import AuralTestSupport
import Foundation
import Testing

@Suite struct ByteRangeTests {
    @Test func singleRanges() {
        #expect(ByteRange(header: nil, size: 100) == .whole)
        #expect(ByteRange(header: "bytes=0-9", size: 100) == .partial(0...9))
        #expect(ByteRange(header: "bytes=90-", size: 100) == .partial(90...99))
        #expect(ByteRange(header: "bytes=-10", size: 100) == .partial(90...99))
        #expect(ByteRange(header: "bytes=-500", size: 100) == .partial(0...99), "a suffix longer than the file is the whole file")
        #expect(ByteRange(header: "bytes=50-500", size: 100) == .partial(50...99), "the end is clamped")
        #expect(ByteRange(header: " bytes=1-1 ", size: 100) == .partial(1...1))
    }

    @Test func unsatisfiableAndIgnoredRanges() {
        #expect(ByteRange(header: "bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=200-300", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=0-1,5-6", size: 100) == .whole, "multiple ranges: the whole file")
        #expect(ByteRange(header: "bytes=9-1", size: 100) == .whole, "an invalid range is ignored")
        #expect(ByteRange(header: "items=0-1", size: 100) == .whole)
        #expect(ByteRange(header: "bytes=a-b", size: 100) == .whole)
    }
}

@Suite struct RateLimiterTests {
    @Test func burstThenRefillAtTheRate() {
        let limiter = RateLimiter(rate: 2, burst: 3)
        let start = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.take(for: "a", now: start) == nil) }
        #expect(limiter.take(for: "a", now: start) == 1, "an empty bucket says when to retry")
        #expect(limiter.take(for: "b", now: start) == nil, "keys have their own buckets")
        #expect(limiter.take(for: "a", now: start + .milliseconds(500)) == nil, "half a second refills one token at 2/s")
        #expect(limiter.take(for: "a", now: start + .milliseconds(500)) != nil)
    }
}

@Suite struct UploadParsingTests {
    @Test func filenamesLoseTheirPaths() {
        #expect(UploadReceiver.safeFilename("../../etc/passwd") == "passwd")
        #expect(UploadReceiver.safeFilename("C:\\music\\song.mp3") == "song.mp3")
        #expect(UploadReceiver.safeFilename("..") == nil)
        #expect(UploadReceiver.safeFilename("a\u{0}b.wav") == "ab.wav")
    }

    @Test func contentDispositionParameters() {
        let value = #"form-data; name="file"; filename="my song.mp3""#
        #expect(UploadReceiver.dispositionParameter("name", in: value) == "file")
        #expect(UploadReceiver.dispositionParameter("filename", in: value) == "my song.mp3")
        #expect(UploadReceiver.dispositionParameter("size", in: value) == nil)
    }
}

@Suite struct OpenAPITests {
    /// Every route the server registers is documented, and every documented
    /// operation is served.
    @Test func documentMatchesTheRoutes() throws {
        let data = try temporaryDirectory("openapi")
        var environment = ProcessInfo.processInfo.environment
        environment["AURAL_DATA_DIR"] = data
        let edge = try EdgeApplication(configuration: try EdgeConfiguration(environment: AuralEnvironment(environment)), logger: testLogger)
        let served = Set(edge.routeDescriptions)

        let document = try #require(try JSONSerialization.jsonObject(with: Data(APIDescription.document)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 15)
    }
}

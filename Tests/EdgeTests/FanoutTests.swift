@testable import AuralEdge
import AuralRPC
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// The Edge's event fan-out over a real PUB/SUB pair: a client that stops
/// reading is cut off after its buffer overflows, and the others keep
/// receiving every event.
@Suite struct FanoutTests {
    @Test(.timeLimit(.minutes(1))) func aSlowClientIsDisconnectedWithoutSlowingTheOthers() async throws {
        let address = TestAddress.ipc()
        let publisher = try Publisher()
        try publisher.listen(address)
        defer { publisher.close() }
        let fanout = try JobEventFanout(eventsOut: address, bufferLimit: 8, logger: testLogger)
        let running = Task { try await fanout.run() }
        defer { running.cancel() }

        let job = UUID().uuidString.lowercased()
        let slow = fanout.makeListener(), fast = fanout.makeListener()
        fanout.watch(job, by: slow)
        fanout.watch(job, by: fast)
        let received = Task {
            var sequences: [UInt64] = []
            for await signal in fast.signals {
                if case .event(let event) = signal { sequences.append(event.sequence) }
                if sequences.count == 60 { break }
            }
            return sequences
        }
        // PUB/SUB delivers nothing until the subscriber's pipe is up.
        try await Task.sleep(for: .milliseconds(300))
        for sequence in 1...60 {
            try publisher.publish(Aural_V1_JobEvent.with {
                $0.jobID = job
                $0.sequence = UInt64(sequence)
                $0.progress = .with { $0.jobPercent = Float(sequence) }
            }, topic: "job.\(job)")
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(await received.value == Array(1...60), "the reading client got every event, in order")

        // The slow client never read: it holds at most its buffer, then its stream ended.
        var kept: [UInt64] = []
        for await signal in slow.signals { if case .event(let event) = signal { kept.append(event.sequence) } }
        #expect(kept.count <= 8, "\(kept)")
        #expect(kept.allSatisfy { $0 > 8 }, "the oldest events were the ones dropped: \(kept)")

        // Shutting down ends the remaining streams (and must not deadlock doing so).
        running.cancel()
        publisher.close()
        for await _ in fast.signals {}
    }
}

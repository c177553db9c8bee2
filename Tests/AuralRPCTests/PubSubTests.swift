import AuralRPC
import AuralTestSupport
import AuralWire
import Foundation
import Testing

@Suite("Publish/subscribe")
struct PubSubTests {
    func event(_ job: String, _ sequence: UInt64) -> Aural_V1_JobEvent {
        var event = Aural_V1_JobEvent()
        event.jobID = job
        event.sequence = sequence
        return event
    }

    @Test func prefixesSelectTopicsAndALateSubscriberSeesOnlyLaterEvents() async throws {
        let url = TestAddress.ipc()
        // Hub listens, publishers dial (DESIGN.md §2).
        let subscriber = try Subscriber()
        try subscriber.subscribe(prefix: "job.a")
        try subscriber.listen(url)
        let publisher = try Publisher()
        try publisher.dial(url)

        // Publish until the connection is up (PUB drops before a peer connects).
        var first: Subscriber.Delivery?
        for attempt in 0..<100 where first == nil {
            try publisher.publish(event("a1", UInt64(attempt)), topic: "job.a1")
            first = try? await subscriber.next(timeout: .milliseconds(50))
        }
        #expect(first?.topic == "job.a1")

        try publisher.publish(event("b1", 1), topic: "job.b1")
        try publisher.publish(event("a2", 7), topic: "job.a2")
        let next = try await subscriber.next(timeout: .seconds(2))
        #expect(next.topic == "job.a2")  // job.b1 filtered out
        #expect(try next.decode(Aural_V1_JobEvent.self).sequence == 7)

        // A subscriber joining late sees events published after it joined.
        let lateURL = TestAddress.ipc()
        let lateHub = try Subscriber()
        try lateHub.subscribe(topic: "job.a2")
        try lateHub.listen(lateURL)
        try publisher.dial(lateURL)
        var seen: [UInt64] = []
        for sequence in UInt64(100)..<UInt64(300) where seen.count < 3 {
            try publisher.publish(event("a2", sequence), topic: "job.a2")
            try publisher.publish(event("a22", sequence), topic: "job.a22")  // same prefix, other topic
            if let delivery = try? await lateHub.next(timeout: .milliseconds(20)) {
                #expect(delivery.topic == "job.a2")
                seen.append(try delivery.decode(Aural_V1_JobEvent.self).sequence)
            }
        }
        #expect(seen.count == 3)
        #expect(seen == seen.sorted())
        #expect(seen.allSatisfy { $0 >= 100 })  // nothing from before it joined
        publisher.close()
        subscriber.close()
        lateHub.close()
    }

    @Test func manyPublishersDialOneHubOverTCP() async throws {
        let url = TestAddress.tcp()
        let hub = try Subscriber()
        try hub.subscribe(prefix: "")
        try hub.listen(url)
        let publishers = try (0..<3).map { _ in try Publisher() }
        for publisher in publishers { try publisher.dial(url) }
        var sources = Set<String>()
        for round in 0..<200 where sources.count < 3 {
            for (index, publisher) in publishers.enumerated() {
                try publisher.publish(event("p\(index)", UInt64(round)), topic: "task.p\(index)")
            }
            while let delivery = try? await hub.next(timeout: .milliseconds(10)) {
                sources.insert(delivery.topic)
            }
        }
        #expect(sources == ["task.p0", "task.p1", "task.p2"])
        publishers.forEach { $0.close() }
        hub.close()
    }
}

import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("Events for an object, core/v1 and events.k8s.io/v1", .timeLimit(.minutes(2)))
struct EventTests {
    @Test func coreEventsForAPod() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("events/02-list-core-events-for-pod")])
        let events = try await client.events().events(forKind: "Pod", name: "web-f9cfb4c88-2bhrx")
        #expect(transport.receivedRequests.map(\.description) == [
            "GET /api/v1/namespaces/demo/events?fieldSelector=involvedObject.name%3Dweb-f9cfb4c88-2bhrx%2CinvolvedObject.namespace%3Ddemo%2CinvolvedObject.kind%3DPod",
        ])
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0.involvedObject?.name == "web-f9cfb4c88-2bhrx" })
        let times = events.compactMap(\.lastSeen)
        #expect(times.count == events.count && times == times.sorted())
    }

    @Test func eventsV1ForADeployment() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("events/03-list-events-v1-for-deployment")])
        let events = try await client.eventsV1().events(forKind: "Deployment", name: "web")
        #expect(transport.receivedRequests.map(\.description) == [
            "GET /apis/events.k8s.io/v1/namespaces/demo/events?fieldSelector=regarding.name%3Dweb%2Cregarding.kind%3DDeployment",
        ])
        #expect(!events.isEmpty && events.allSatisfy { $0.regarding?.kind == "Deployment" && $0.note != nil })
        let times = events.compactMap(\.lastSeen)
        #expect(times == times.sorted())
    }

    @Test func warningsByFieldSelector() async throws {
        let (client, _) = Fixtures.client([try Fixtures.recording("events/05-list-core-events-warnings")])
        let warnings = try await client.events().list(ListOptions(fieldSelector: .equals("type", "Warning"))).items
        #expect(warnings.allSatisfy { $0.type == "Warning" })
    }

    @Test func sortingPrefersSeriesThenLastTimestampThenEventTime() throws {
        let early = CoreV1.Event(eventTime: MicroTime(secondsSinceEpoch: 100), metadata: .init(name: "eventTime-100"))
        let middle = CoreV1.Event(lastTimestamp: Time(secondsSinceEpoch: 200), metadata: .init(name: "last-200"))
        let late = CoreV1.Event(eventTime: MicroTime(secondsSinceEpoch: 50), lastTimestamp: Time(secondsSinceEpoch: 10),
                                metadata: .init(name: "series-300"), series: .init(count: 2, lastObservedTime: MicroTime(secondsSinceEpoch: 300)))
        let undated = CoreV1.Event(metadata: .init(name: "undated"))
        let (client, _) = Fixtures.client([])
        let sorted = client.events().sorted([late, middle, undated, early]).compactMap(\.metadata?.name)
        #expect(sorted == ["undated", "eventTime-100", "last-200", "series-300"])
    }
}

import KubeConfig
import KubeErrors
import KubeTransport

extension KubeClient {
    /// core/v1 Events in `namespace` (the client's default namespace when `nil`).
    public func events(in namespace: String? = nil) -> ResourceClient<CoreV1.Event> { resources(CoreV1.Event.self, in: namespace) }

    /// events.k8s.io/v1 Events in `namespace` (the client's default namespace when `nil`).
    public func eventsV1(in namespace: String? = nil) -> ResourceClient<EventsV1.Event> { resources(EventsV1.Event.self, in: namespace) }
}

extension CoreV1.Event {
    /// When the event last happened: `series.lastObservedTime`, else `lastTimestamp`, else `eventTime`
    /// (the order kubectl sorts by).
    public var lastSeen: MicroTime? {
        if let observed = series?.lastObservedTime { return observed }
        if let last = lastTimestamp { return MicroTime(secondsSinceEpoch: last.secondsSinceEpoch, nanoseconds: last.nanoseconds) }
        return eventTime
    }
}

extension EventsV1.Event {
    /// When the event last happened: `series.lastObservedTime`, else `deprecatedLastTimestamp`, else
    /// `eventTime`.
    public var lastSeen: MicroTime? {
        if let observed = series?.lastObservedTime { return observed }
        if let last = deprecatedLastTimestamp { return MicroTime(secondsSinceEpoch: last.secondsSinceEpoch, nanoseconds: last.nanoseconds) }
        return eventTime
    }
}

/// Sorts events oldest first, as kubectl shows them; events without a time come first, ties keep their order.
func sortedByLastSeen<Event>(_ events: [Event], _ time: (Event) -> MicroTime?) -> [Event] {
    events.enumerated().sorted { lhs, rhs in
        let (left, right) = (time(lhs.element), time(rhs.element))
        if left != right {
            guard let left else { return true }
            guard let right else { return false }
            return left < right
        }
        return lhs.offset < rhs.offset
    }.map(\.element)
}

extension ResourceClient where Resource == CoreV1.Event {
    /// The events about one object (`fieldSelector=involvedObject.name=…,involvedObject.namespace=…,
    /// involvedObject.kind=…[,involvedObject.uid=…]`), oldest first.
    /// - Parameters:
    ///   - kind: The object's kind (`Pod`); `nil` matches any kind with that name.
    ///   - name: The object's name.
    ///   - uid: Narrows to one incarnation of the object (kubectl describe passes it).
    public func events(forKind kind: String?, name: String, uid: String? = nil) async throws -> [CoreV1.Event] {
        var selector = FieldSelector.equals("involvedObject.name", name)
        if let namespace { selector = selector.equals("involvedObject.namespace", namespace) }
        if let kind { selector = selector.equals("involvedObject.kind", kind) }
        if let uid { selector = selector.equals("involvedObject.uid", uid) }
        return try await sorted(list(ListOptions(fieldSelector: selector)).items)
    }

    /// The events about `object` (its kind, name and UID), oldest first.
    public func events<Object: KubeResource>(for object: Object) async throws -> [CoreV1.Event] {
        try await events(forKind: Object.kind, name: try requireName(object.metadata, kind: Object.kind), uid: object.metadata?.uid)
    }

    /// Events oldest first, by ``CoreV1/Event/lastSeen``.
    public func sorted(_ events: [CoreV1.Event]) -> [CoreV1.Event] { sortedByLastSeen(events, \.lastSeen) }
}

extension ResourceClient where Resource == EventsV1.Event {
    /// The events about one object (`fieldSelector=regarding.name=…,regarding.kind=…[,regarding.uid=…]`),
    /// oldest first.
    public func events(forKind kind: String?, name: String, uid: String? = nil) async throws -> [EventsV1.Event] {
        var selector = FieldSelector.equals("regarding.name", name)
        if let kind { selector = selector.equals("regarding.kind", kind) }
        if let uid { selector = selector.equals("regarding.uid", uid) }
        return try await sorted(list(ListOptions(fieldSelector: selector)).items)
    }

    /// Events oldest first, by ``EventsV1/Event/lastSeen``.
    public func sorted(_ events: [EventsV1.Event]) -> [EventsV1.Event] { sortedByLastSeen(events, \.lastSeen) }
}

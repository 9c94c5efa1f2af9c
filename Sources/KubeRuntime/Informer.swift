import KubeErrors
import KubeResources

/// A cache of one kind of object kept current by list-then-watch, like client-go's informers and kube-rs'
/// reflector.
///
/// ```swift
/// let informer = Informer(client.pods(in: "shop"), labelSelector: .equals("app", "web"))
/// let running = Task { try await informer.run() }
/// await informer.waitForSync()
/// for await event in informer.events {
///     if case .updated(let old, let new) = event, old.status?.phase != new.status?.phase { ... }
/// }
/// ```
///
/// ``run()`` lists (the store is filled and ``hasSynced`` turns true), then watches from the list's
/// resourceVersion on the resilient watch, which resumes after transient errors. A 410 Gone re-lists and
/// delivers the difference between the store and the new list as events, so no change is lost and none is
/// reported twice. With a resync period every object is delivered again as `.updated(old: x, new: x)` that
/// often (client-go's resync), for controllers that reconcile periodically.
public final class Informer<Resource: KubeResource>: Sendable {
    /// The objects, current as of the last event.
    public let store: InformerStore<Resource>
    /// What changed, in order (one consumer; events are buffered until read).
    public let events: AsyncStream<InformerEvent<Resource>>
    private let sink: AsyncStream<InformerEvent<Resource>>.Continuation
    private let resources: ResourceClient<Resource>
    private let labelSelector: LabelSelector?
    private let fieldSelector: FieldSelector?
    private let resyncPeriod: Duration?
    private let clock: any Clock<Duration>
    private let sync = Locked<(synced: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Creates an informer; nothing happens until ``run()``.
    /// - Parameters:
    ///   - resources: The kind and namespace (or all namespaces) to follow.
    ///   - labelSelector: Only objects with these labels.
    ///   - fieldSelector: Only objects whose fields match.
    ///   - resyncPeriod: Deliver every object again this often (`nil`: never).
    ///   - indexers: Named index functions for ``InformerStore/byIndex(_:_:)``.
    ///   - clock: The clock of the resync period and of the watch's pauses (tests pass a recording clock).
    public init(_ resources: ResourceClient<Resource>, labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil,
                resyncPeriod: Duration? = nil, indexers: [String: InformerStore<Resource>.IndexFunction] = [:],
                clock: any Clock<Duration> = ContinuousClock()) {
        self.resources = resources
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resyncPeriod = resyncPeriod
        self.clock = clock
        store = InformerStore(indexers: indexers)
        (events, sink) = AsyncStream.makeStream(of: InformerEvent<Resource>.self, bufferingPolicy: .unbounded)
    }

    /// Whether the first list has been stored.
    public var hasSynced: Bool { sync.withLock { $0.synced } }

    /// Returns once the first list has been stored.
    public func waitForSync() async {
        await withCheckedContinuation { continuation in
            let synced = sync.withLock { state -> Bool in
                if !state.synced { state.waiters.append(continuation) }
                return state.synced
            }
            if synced { continuation.resume() }
        }
    }

    /// Lists, then watches until the task is cancelled or the watch ends for good (401/403, or a test
    /// transport's script ending); ``events`` finishes then. Errors of the first list are thrown.
    public func run() async throws {
        defer { sink.finish() }
        let listOptions = ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector)
        var pages = resources.listAll(listOptions).makeAsyncIterator()
        var items: [Resource] = []
        while let item = try await pages.next() { items.append(item) }
        for event in store.replace(with: items) { sink.yield(event) }
        let waiters = sync.withLock { state in
            defer { state.waiters = [] }
            state.synced = true
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }

        let resync = resyncPeriod.map { period in
            Task { [store, sink, clock] in
                while !Task.isCancelled {
                    do { try await clock.sleep(for: period) } catch { return }
                    for object in store.items { sink.yield(.updated(old: object, new: object)) }
                }
            }
        }
        defer { resync?.cancel() }
        let watch = resources.watch(WatchOptions(labelSelector: labelSelector, fieldSelector: fieldSelector,
                                                 resourceVersion: pages.resourceVersion))
            .pacing(restartDelay: .seconds(1), initialBackoff: .seconds(1), maximumBackoff: .seconds(30), clock: clock)
        for try await event in watch {
            switch event {
            case .added(let object), .modified(let object):
                if let old = store.upsert(object) {
                    sink.yield(.updated(old: old, new: object))
                } else {
                    sink.yield(.added(object))
                }
            case .deleted(let object):
                sink.yield(.deleted(store.remove(InformerStore<Resource>.key(of: object)) ?? object))
            case .relisted(let objects):
                for change in store.replace(with: objects) { sink.yield(change) }
            case .bookmark:
                break
            }
        }
    }
}

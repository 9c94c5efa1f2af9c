import KubeErrors
import KubeTransport

/// What ``ResourceClient/listAll(_:onExpired:)`` does when a continue token expires (HTTP 410, reason
/// `Expired`: the snapshot of the first page was compacted, typically after 5–15 minutes).
public enum ExpiredContinuePolicy: Sendable, Hashable {
    /// Throw the 410 ``KubeError`` (`isGone`); the items so far were delivered.
    case fail
    /// Start a new list without `continue`, as client-go's pager does (`FullListIfExpired`): items already
    /// delivered are delivered again.
    case restart
    /// Continue with the fresh token the server puts in the 410 `Status`: no item twice, but the result is
    /// not a consistent snapshot (objects changed since the first page may appear). Fails like ``fail``
    /// when the server sent no token.
    case continueInconsistently
}

/// Every item of a collection, following `continue` tokens page by page.
public struct ListAllSequence<Resource: KubeObject>: AsyncSequence, Sendable {
    /// An item.
    public typealias Element = Resource

    let resources: ResourceClient<Resource>
    let options: ListOptions
    let onExpired: ExpiredContinuePolicy

    /// Starts listing when first asked for an item.
    public func makeAsyncIterator() -> Iterator {
        var options = options
        options.limit = options.limit ?? 500
        return Iterator(resources: resources, options: options, onExpired: onExpired)
    }

    /// Reads every page into one array (handy for small collections).
    public func collect() async throws -> [Resource] {
        var items: [Resource] = []
        for try await item in self { items.append(item) }
        return items
    }

    /// Fetches pages on demand.
    public struct Iterator: AsyncIteratorProtocol {
        let resources: ResourceClient<Resource>
        var options: ListOptions
        let onExpired: ExpiredContinuePolicy
        var buffer: [Resource] = []
        var position = 0
        var finished = false
        /// The pages requested so far (for tests and progress reporting).
        public private(set) var pages = 0
        /// The version the collection was read at (from the first page; every page shares it): where a
        /// watch of the same collection starts.
        public private(set) var resourceVersion: String?

        init(resources: ResourceClient<Resource>, options: ListOptions, onExpired: ExpiredContinuePolicy) {
            self.resources = resources
            self.options = options
            self.onExpired = onExpired
        }

        /// The next item, fetching the next page when this one is used up.
        public mutating func next() async throws -> Resource? {
            while position == buffer.count {
                if finished { return nil }
                try await fetchPage()
            }
            defer { position += 1 }
            return buffer[position]
        }

        private mutating func fetchPage() async throws {
            // Let the used-up page go before the next one is read: one page in memory at a time.
            buffer = []
            position = 0
            let page: ResourceList<Resource>
            do {
                page = try await resources.list(options)
                pages += 1
            } catch let error as KubeError where error.isGoneOrExpired && options.continueToken != nil {
                switch onExpired {
                case .fail:
                    throw error
                case .restart:
                    options.continueToken = nil
                    resourceVersion = nil
                    return
                case .continueInconsistently:
                    guard let token = error.status?.metadata?.continue, !token.isEmpty else { throw error }
                    options.continueToken = token
                    return
                }
            }
            buffer = page.items
            position = 0
            resourceVersion = resourceVersion ?? page.resourceVersion
            if let token = page.continueToken {
                options.continueToken = token
            } else {
                finished = true
            }
        }
    }
}

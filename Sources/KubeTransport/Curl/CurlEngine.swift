import CKubeCurl
import Foundation
import KubeConfig
import KubeErrors
import KubeRetry

/// Everything libcurl needs for one transfer, prepared on the caller's side.
struct CurlRequest: Sendable {
    var url: String
    var method: String
    var headers: [String]
    var body: [UInt8]?
    var connectTo: String?
    var certificateAuthority: [UInt8]?
    var clientCertificate: ClientCertificate?
    var insecureSkipTLSVerify: Bool
    var proxy: String?
    var acceptGzip: Bool
    var connectTimeout: Duration
    var totalTimeout: Duration?
    var idleTimeout: Duration?
    /// The kubeconfig names to put in hints (`clusters[name]`), never secrets.
    var clusterName: String?
    var highWatermark: Int
    var lowWatermark: Int
}

/// The response head as soon as the headers are complete.
struct CurlHead: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var httpVersion: String?
    var body: KubeResponseBody
}

/// A transport failure with what the retry policy needs to know.
struct CurlFailure: Error, Sendable {
    var error: KubeError
    /// How the retry policy should see it.
    var kind: RetryPolicy.TransportFailure
}

/// One libcurl multi handle driven by its own thread.
///
/// Every curl handle is touched only on that thread. Other threads talk to it through `commands`
/// (under a mutex) and `curl_multi_wakeup`, which libcurl documents as thread-safe. No call into the engine
/// blocks: work is queued, and waiting (for a head, for a shutdown) happens on continuations.
///
/// ``shared`` serves every transport of the process unless one asks for a dedicated engine, so clients for
/// the same server share connections, and creating a client costs no thread.
final class CurlEngine: @unchecked Sendable {
    // @unchecked: `multi`, `active`, `limitLifted` and every Transfer's curl state are used only on the
    // engine thread (the loop below and the callbacks libcurl runs inside curl_multi_perform on it); the
    // only state other threads touch is `commands`, which a lock guards.
    private let multi: UnsafeMutableRawPointer
    private let commands = Locked(Commands())

    private struct Commands {
        var pending: [Command] = []
        /// No new work is accepted; the thread exits once it has aborted what runs.
        var stopped = false
        /// The thread exits once nothing runs (a dedicated engine whose transport is gone).
        var stopWhenIdle = false
        var exited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private enum Command {
        case start(Transfer)
        case cancel(Transfer)
        case resume(Transfer)
        /// Abort every transfer started for `owner`; resume the continuation once they have ended.
        case abort(owner: ObjectIdentifier, done: CheckedContinuation<Void, Never>?)
    }

    /// The process-wide engine, started on first use and kept for the life of the process.
    static let shared = CurlEngine(name: "KubeKit.CurlEngine")

    /// Connections per host while every server has answered over HTTP/2.
    static let http2HostConnections = 2
    /// Connections per host once a server answered over HTTP/1.1, where each in-flight request (a watch
    /// included) needs a connection of its own: libcurl's limit is per multi handle, so it is lifted.
    static let http1HostConnections = 0
    private var limitLifted = false

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    init(name: String = "KubeKit.CurlEngine (dedicated)") {
        _ = Self.globalInit
        multi = curl_multi_init()
        ckube_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        // HTTP/2: once a connection carries the server's stream limit (kube-apiserver: 100), further
        // transfers wait for a free stream instead of each opening a connection of its own.
        ckube_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, Self.http2HostConnections)
        // Idle connections kept for reuse. libcurl's default (4 × the transfers running) shrinks to nothing
        // between bursts, so an engine shared by clients of several servers would keep closing and
        // re-opening TLS connections.
        ckube_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 64)
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Aborts every transfer, stops the thread and returns once it has exited. Never blocks a thread.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = commands.withLock { state -> Bool in
                state.stopped = true
                if state.exited { return true }
                state.exitWaiters.append(continuation)
                return false
            }
            if exited { continuation.resume() } else { curl_multi_wakeup(multi) }
        }
    }

    /// Lets the thread exit once no transfer runs (a body still being read keeps it going). Returns at once.
    func stopWhenIdle() {
        commands.withLock { $0.stopWhenIdle = true }
        curl_multi_wakeup(multi)
    }

    /// Aborts the transfers started for `owner` and returns once they have ended.
    func abortTransfers(of owner: ObjectIdentifier) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !enqueue(.abort(owner: owner, done: continuation)) { continuation.resume() }
        }
    }

    /// Aborts the transfers started for `owner` without waiting.
    func abortTransfersNow(of owner: ObjectIdentifier) {
        _ = enqueue(.abort(owner: owner, done: nil))
    }

    /// Starts a transfer and returns when the response headers have arrived.
    func start(_ request: CurlRequest, owner: ObjectIdentifier) async throws -> CurlHead {
        let transfer = Transfer(request: request, engine: self, owner: owner)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.headContinuation = continuation
                if !enqueue(.start(transfer)) {
                    transfer.headContinuation = nil
                    continuation.resume(throwing: CurlFailure(
                        error: KubeError(code: .transport, message: "the transport has been shut down"), kind: .permanent))
                }
            }
        } onCancel: {
            self.send(.cancel(transfer))
        }
    }

    fileprivate func cancel(_ transfer: Transfer) { send(.cancel(transfer)) }
    fileprivate func resume(_ transfer: Transfer) { send(.resume(transfer)) }

    private func send(_ command: Command) { _ = enqueue(command) }

    /// Queues a command for the engine thread; `false` once the engine has stopped.
    private func enqueue(_ command: Command) -> Bool {
        let accepted = commands.withLock { state -> Bool in
            guard !state.stopped, !state.exited else { return false }
            state.pending.append(command)
            return true
        }
        if accepted { curl_multi_wakeup(multi) }
        return accepted
    }

    // MARK: The engine thread

    private func run() {
        while true {
            let (pending, stopped, stopWhenIdle) = commands.withLock { state in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return (state.pending, state.stopped, state.stopWhenIdle)
            }
            for command in pending { handle(command) }
            if stopped { break }
            if stopWhenIdle, active.isEmpty {
                // Exit only if nothing arrived meanwhile; new work after this point is refused.
                let idle = commands.withLock { state -> Bool in
                    guard state.pending.isEmpty else { return false }
                    state.exited = true
                    return true
                }
                if idle { break }
            }
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            if performed != CURLM_OK { failAll(performed) }
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                var pointer: UnsafeMutablePointer<CChar>?
                _ = withUnsafeMutablePointer(to: &pointer) { ckube_easy_getinfo_string(easy, CURLINFO_PRIVATE, $0) }
                guard let pointer else { continue }
                let transfer = Unmanaged<Transfer>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
                complete(transfer, result: result)
            }
            let polled = curl_multi_poll(multi, nil, 0, 1000, nil)
            if polled != CURLM_OK { failAll(polled) }
        }
        // Stopping: abort whatever is still queued or running.
        let (leftover, waiters) = commands.withLock { state in
            state.exited = true
            defer {
                state.pending.removeAll()
                state.exitWaiters.removeAll()
            }
            return (state.pending, state.exitWaiters)
        }
        for command in leftover {
            switch command {
            case .start(let transfer): transfer.fail(Self.shutdownFailure)
            case .abort(_, let done): done?.resume()
            case .cancel, .resume: break
            }
        }
        for transfer in activeTransfers() { abort(transfer, with: Self.shutdownFailure) }
        curl_multi_cleanup(multi)
        for waiter in waiters { waiter.resume() }
    }

    private static let shutdownFailure = CurlFailure(
        error: KubeError(code: .cancelled, message: "the transport was shut down while the request was running"), kind: .permanent)

    private var active: [ObjectIdentifier: Transfer] = [:]
    private func activeTransfers() -> [Transfer] { Array(active.values) }

    private func handle(_ command: Command) {
        switch command {
        case .start(let transfer):
            // A task that was already cancelled queues its cancel before its start: answer it now.
            guard !transfer.cancelled else {
                transfer.failCancelled()
                return
            }
            do {
                try transfer.configure()
            } catch {
                transfer.fail(error)
                transfer.release()
                return
            }
            let added = curl_multi_add_handle(multi, transfer.easy)
            guard added == CURLM_OK else {
                transfer.fail(CurlFailure(error: KubeError(code: .transport, message: "libcurl could not start the transfer: \(String(cString: curl_multi_strerror(added)))"),
                                          kind: .permanent))
                transfer.release()
                return
            }
            active[ObjectIdentifier(transfer)] = transfer
        case .cancel(let transfer):
            transfer.cancelled = true
            if active[ObjectIdentifier(transfer)] != nil {
                abort(transfer, with: nil)
            }
        case .resume(let transfer):
            if active[ObjectIdentifier(transfer)] != nil, transfer.paused {
                transfer.paused = false
                curl_easy_pause(transfer.easy, CURLPAUSE_CONT)
            }
        case .abort(let owner, let done):
            for transfer in activeTransfers() where transfer.owner == owner { abort(transfer, with: Self.shutdownFailure) }
            done?.resume()
        }
    }

    /// The multi handle itself failed (out of memory, a bad socket): every running transfer gets the error
    /// instead of waiting for a loop that cannot make progress.
    private func failAll(_ code: CURLMcode) {
        let failure = CurlFailure(error: KubeError(code: .transport, message: "libcurl's multi interface failed: \(String(cString: curl_multi_strerror(code)))"),
                                  kind: .permanent)
        for transfer in activeTransfers() { abort(transfer, with: failure) }
    }

    /// A server answered over HTTP/1.x: lift the per-host connection limit (see ``http1HostConnections``).
    fileprivate func sawHTTP1() {
        guard !limitLifted else { return }
        limitLifted = true
        ckube_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, Self.http1HostConnections)
    }

    /// Removes a running transfer; `failure == nil` means the caller cancelled it.
    private func abort(_ transfer: Transfer, with failure: CurlFailure?) {
        active[ObjectIdentifier(transfer)] = nil
        curl_multi_remove_handle(multi, transfer.easy)
        if let failure { transfer.fail(failure) } else { transfer.failCancelled() }
        transfer.release()
    }

    private func complete(_ transfer: Transfer, result: CURLcode) {
        active[ObjectIdentifier(transfer)] = nil
        curl_multi_remove_handle(multi, transfer.easy)
        if result == CURLE_OK {
            transfer.succeed()
        } else {
            transfer.fail(transfer.failure(for: result))
        }
        transfer.release()
    }
}

// MARK: - One transfer

private let writeCallback: curl_write_callback = { data, size, count, userdata in
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let headerCallback: curl_write_callback = { data, size, count, userdata in
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

/// The state of one request. Only the engine thread uses it, except `headContinuation`, which is set before
/// the start command is queued (the queue's mutex orders the two).
private final class Transfer: @unchecked Sendable {
    // @unchecked: see above; every mutable field is owned by the engine thread after hand-over.
    let request: CurlRequest
    /// Strong: a dedicated engine lives as long as a transfer (a body still being read) needs it.
    let engine: CurlEngine
    /// The transport that started it (for `shutdown()` of one transport on the shared engine).
    let owner: ObjectIdentifier
    let easy: UnsafeMutableRawPointer
    var headContinuation: CheckedContinuation<CurlHead, any Error>?
    var cancelled = false
    var paused = false
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var connectToList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var status = 0
    private var httpVersion: String?
    private var headers = HTTPHeaders()
    private var headDelivered = false
    private var bodyBytes = 0
    private var retained: Unmanaged<Transfer>?
    /// Handed to the caller with the head; not kept, so dropping it is seen as the consumer leaving.
    private var pendingBody: KubeResponseBody?
    private let writer: BodyWriter

    init(request: CurlRequest, engine: CurlEngine, owner: ObjectIdentifier) {
        self.request = request
        self.engine = engine
        self.owner = owner
        self.easy = curl_easy_init()
        errorBuffer.initialize(to: 0)
        let (body, writer) = KubeResponseBody.makeStream(highWatermark: request.highWatermark, lowWatermark: request.lowWatermark)
        self.pendingBody = body
        self.writer = writer
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectToList)
        errorBuffer.deallocate()
    }

    /// Sets every option; runs on the engine thread.
    func configure() throws(CurlFailure) {
        func check(_ code: CURLcode, _ what: String) throws(CurlFailure) {
            guard code == CURLE_OK else {
                throw CurlFailure(error: KubeError(
                    code: .transport, message: "libcurl rejected \(what): \(String(cString: curl_easy_strerror(code)))"), kind: .permanent)
            }
        }
        let retainedSelf = Unmanaged.passRetained(self)
        retained = retainedSelf
        let opaque = retainedSelf.toOpaque()
        try check(ckube_easy_setopt_string(easy, CURLOPT_URL, request.url), "the URL")
        ckube_easy_setopt_pointer(easy, CURLOPT_PRIVATE, opaque)
        ckube_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        ckube_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        ckube_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        ckube_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1)
        ckube_easy_setopt_long(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        ckube_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, 512 * 1024)
        ckube_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        ckube_easy_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 30)
        ckube_easy_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 30)
        ckube_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.milliseconds)
        if let total = request.totalTimeout { ckube_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, total.milliseconds) }
        if let idle = request.idleTimeout {
            // No byte for this long fails the transfer ("stalled"); a paused transfer is exempt, which is
            // right: then the consumer, not the server, is the slow side.
            ckube_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1)
            ckube_easy_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, idle.milliseconds / 1000))
        }
        if request.acceptGzip { ckube_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "gzip") }
        ckube_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, writeCallback)
        ckube_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, opaque)
        ckube_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, headerCallback)
        ckube_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, opaque)

        switch request.method {
        case "GET": break
        case "HEAD": ckube_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        default: ckube_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            ckube_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { buffer in
                // COPYPOSTFIELDS makes libcurl keep its own copy of the body.
                _ = ckube_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        for header in request.headers + ["Expect:"] {
            headerList = curl_slist_append(headerList, header)
        }
        ckube_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)

        connectToList = try CurlOptions.applyConnection(request, to: easy)
    }

    func release() {
        retained?.release()
        retained = nil
    }

    // MARK: Callbacks (engine thread, inside curl_multi_perform or curl_easy_pause)

    func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        // Trim CR/LF as bytes: in Swift "\r\n" is one Character, so hasSuffix("\n") would not see it.
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new response block (after 1xx, or a redirect/auth round): start over.
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            httpVersion = parts.first.map(String.init)
            headers = HTTPHeaders()
        } else if line.isEmpty {
            if status >= 200 { deliverHead() }
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.add(name, value)
        }
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        deliverHead()
        if cancelled { return 0 }
        if writer.write(Array(bytes)) {
            bodyBytes += bytes.count
            return bytes.count
        }
        // The consumer is behind: libcurl keeps this chunk and hands it over again after CURLPAUSE_CONT.
        // The resume handler was registered with the head, before the first write: the stream's refusal
        // and its resume path are armed under one lock, so a consumer that drains the buffer right after the
        // refusal always finds the handler (registering it here, after the refusal, lost that wake-up).
        paused = true
        return Int(CURL_WRITEFUNC_PAUSE)
    }

    private func deliverHead() {
        guard !headDelivered, let continuation = headContinuation, let body = pendingBody else { return }
        headDelivered = true
        headContinuation = nil
        pendingBody = nil
        writer.onCancel { [engine, self] in engine.cancel(self) }
        writer.onResume { [engine, self] in engine.resume(self) }
        if httpVersion?.hasPrefix("HTTP/1") == true { engine.sawHTTP1() }
        continuation.resume(returning: CurlHead(status: status, headers: headers, httpVersion: httpVersion, body: body))
    }

    // MARK: Completion

    func succeed() {
        deliverHead()
        writer.finish()
    }

    func fail(_ error: any Error) {
        let failure = error as? CurlFailure ?? CurlFailure(error: KubeError(code: .transport, message: "\(error)"), kind: .permanent)
        if let continuation = headContinuation {
            headContinuation = nil
            continuation.resume(throwing: failure)
        } else {
            writer.finish(throwing: failure.error)
        }
    }

    func failCancelled() {
        if let continuation = headContinuation {
            headContinuation = nil
            continuation.resume(throwing: CancellationError())
        } else {
            writer.finish(throwing: CancellationError())
        }
    }

    func failure(for code: CURLcode) -> CurlFailure {
        let detail = String(cString: errorBuffer)
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        var pretransfer: curl_off_t = 0
        ckube_easy_getinfo_off_t(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
        let components = URLComponents(string: request.url)
        let host = components?.host ?? request.url
        let port = components?.port ?? (components?.scheme == "http" ? 80 : 443)
        let cluster = request.clusterName.map { "the cluster \"\($0)\"" } ?? "the cluster"
        let (errorCode, message, kind, hint) = CurlOptions.classify(code, text: text, host: host, port: port, cluster: cluster,
                                                              headDelivered: headDelivered, requestSent: pretransfer > 0,
                                                              bodyBytes: bodyBytes)
        return CurlFailure(error: KubeError(code: errorCode, message: message, hint: hint), kind: headDelivered ? .permanent : kind)
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 for a positive duration.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(attoseconds > 0 || seconds > 0 ? 1 : 0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

import CKubeCurl
import Foundation
import KubeConfig
import KubeErrors
import Synchronization

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
    /// `false` when the request provably never reached the server (DNS, connect, TLS handshake).
    var reachedServer: Bool
}

/// One libcurl multi handle driven by its own thread.
///
/// Every curl handle is touched only on that thread. Other threads talk to it through `commands`
/// (under a mutex) and `curl_multi_wakeup`, which libcurl documents as thread-safe.
final class CurlEngine: @unchecked Sendable {
    // @unchecked: `multi` and every Transfer's curl state are used only on the engine thread (the thread
    // loop below and the callbacks libcurl runs inside curl_multi_perform on it); the only state other
    // threads touch is `commands`, which a Mutex guards.
    private let multi: UnsafeMutableRawPointer
    private let commands = Mutex(Commands())
    private let finished = DispatchSemaphore(value: 0)

    private struct Commands {
        var pending: [Command] = []
        var stopped = false
    }

    private enum Command {
        case start(Transfer)
        case cancel(Transfer)
        case resume(Transfer)
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    init() {
        _ = Self.globalInit
        multi = curl_multi_init()
        ckube_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        let thread = Thread { [self] in run() }
        thread.name = "KubeKit.CurlEngine"
        thread.start()
    }

    /// Stops the thread after aborting every transfer; blocks until it has exited.
    func shutdown() {
        let first = commands.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        curl_multi_wakeup(multi)
        finished.wait()
    }

    /// Starts a transfer and returns when the response headers have arrived.
    func start(_ request: CurlRequest) async throws -> CurlHead {
        let transfer = Transfer(request: request, engine: self)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.headContinuation = continuation
                let accepted = commands.withLock { state -> Bool in
                    guard !state.stopped else { return false }
                    state.pending.append(.start(transfer))
                    return true
                }
                if accepted {
                    curl_multi_wakeup(multi)
                } else {
                    transfer.headContinuation = nil
                    continuation.resume(throwing: CurlFailure(
                        error: KubeError(code: .transport, message: "the transport has been shut down"), reachedServer: false))
                }
            }
        } onCancel: {
            self.send(.cancel(transfer))
        }
    }

    fileprivate func cancel(_ transfer: Transfer) { send(.cancel(transfer)) }
    fileprivate func resume(_ transfer: Transfer) { send(.resume(transfer)) }

    private func send(_ command: Command) {
        let accepted = commands.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.pending.append(command)
            return true
        }
        if accepted { curl_multi_wakeup(multi) }
    }

    // MARK: The engine thread

    private func run() {
        while true {
            let (pending, stopped) = commands.withLock { state in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return (state.pending, state.stopped)
            }
            for command in pending { handle(command) }
            if stopped { break }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
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
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        // Shutting down: abort whatever is still running.
        for command in commands.withLock({ $0.pending }) {
            if case .start(let transfer) = command { transfer.fail(Self.shutdownFailure) }
        }
        for transfer in activeTransfers() { abort(transfer, with: Self.shutdownFailure) }
        curl_multi_cleanup(multi)
        finished.signal()
    }

    private static let shutdownFailure = CurlFailure(
        error: KubeError(code: .cancelled, message: "the transport was shut down while the request was running"), reachedServer: true)

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
            active[ObjectIdentifier(transfer)] = transfer
            curl_multi_add_handle(multi, transfer.easy)
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
        }
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
    unowned let engine: CurlEngine
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

    init(request: CurlRequest, engine: CurlEngine) {
        self.request = request
        self.engine = engine
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
                    code: .transport, message: "libcurl rejected \(what): \(String(cString: curl_easy_strerror(code)))"), reachedServer: false)
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

        // TLS: verification on unless the kubeconfig says otherwise; credentials as in-memory blobs only.
        ckube_easy_setopt_long(easy, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        if request.insecureSkipTLSVerify {
            ckube_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            ckube_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if var ca = request.certificateAuthority {
            try check(ca.withUnsafeMutableBytes { ckube_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) },
                      "the CA bundle")
        }
        if let certificate = request.clientCertificate {
            var certificateBytes = certificate.certificatePEM.value
            var keyBytes = certificate.keyPEM.value
            try check(certificateBytes.withUnsafeMutableBytes { ckube_easy_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) },
                      "the client certificate")
            ckube_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
            try check(keyBytes.withUnsafeMutableBytes { ckube_easy_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) },
                      "the client key")
            ckube_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
        }
        if let connectTo = request.connectTo {
            connectToList = curl_slist_append(nil, connectTo)
            ckube_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectToList)
        }
        if let proxy = request.proxy {
            try check(ckube_easy_setopt_string(easy, CURLOPT_PROXY, proxy), "the proxy URL")
        }
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
        paused = true
        writer.onResume { [engine, self] in engine.resume(self) }
        return Int(CURL_WRITEFUNC_PAUSE)
    }

    private func deliverHead() {
        guard !headDelivered, let continuation = headContinuation, let body = pendingBody else { return }
        headDelivered = true
        headContinuation = nil
        pendingBody = nil
        writer.onCancel { [engine, self] in engine.cancel(self) }
        continuation.resume(returning: CurlHead(status: status, headers: headers, httpVersion: httpVersion, body: body))
    }

    // MARK: Completion

    func succeed() {
        deliverHead()
        writer.finish()
    }

    func fail(_ error: any Error) {
        let failure = error as? CurlFailure ?? CurlFailure(error: KubeError(code: .transport, message: "\(error)"), reachedServer: true)
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
        let notReached: Set<UInt32> = [
            CURLE_COULDNT_RESOLVE_HOST.rawValue, CURLE_COULDNT_RESOLVE_PROXY.rawValue, CURLE_COULDNT_CONNECT.rawValue,
            CURLE_SSL_CONNECT_ERROR.rawValue, CURLE_PEER_FAILED_VERIFICATION.rawValue, CURLE_SSL_CERTPROBLEM.rawValue,
            CURLE_SSL_CACERT_BADFILE.rawValue, CURLE_SSL_CIPHER.rawValue, CURLE_UNSUPPORTED_PROTOCOL.rawValue,
        ]
        var pretransfer: curl_off_t = 0
        ckube_easy_getinfo_off_t(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
        let reached = !notReached.contains(code.rawValue) && pretransfer > 0
        let host = URLComponents(string: request.url)?.host ?? request.url
        let message: String
        let errorCode: KubeError.Code
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            errorCode = .timeout
            message = headDelivered
                ? "the response from \(host) stalled or exceeded its timeout after \(bodyBytes) bytes of the body: \(text)"
                : "no response from \(host) in time: \(text)"
        case CURLE_COULDNT_CONNECT:
            errorCode = .transport
            message = "The connection to the server \(host) was refused or failed - did you specify the right host or port? (\(text))"
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            errorCode = .transport
            message = "the server's TLS certificate could not be verified: \(text)"
        default:
            errorCode = .transport
            message = headDelivered
                ? "stream error when reading the response body after \(bodyBytes) bytes, may be caused by a closed connection: \(text)"
                : "Unable to connect to the server \(host): \(text)"
        }
        return CurlFailure(error: KubeError(code: errorCode, message: message), reachedServer: reached || headDelivered)
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 for a positive duration.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(attoseconds > 0 || seconds > 0 ? 1 : 0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

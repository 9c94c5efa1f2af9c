import CKubeCurl
import Foundation
import KubeErrors
import KubeRetry

/// A connection opened by libcurl with `CURLOPT_CONNECT_ONLY` (TCP, proxy tunnel, TLS with the cluster's CA
/// and client certificate, `tls-server-name`), then read and written with `curl_easy_recv`/`curl_easy_send`.
/// libcurl 7.88 has no WebSocket support: the HTTP upgrade and the framing are KubeKit's (``WebSocketConnection``).
final class CurlSocket: SocketEndpoint, @unchecked Sendable {
    // @unchecked: the handle is used by one thread at a time: the connecting thread until `connect` returns it,
    // then only the socket loop's thread (the hand-over is ordered by the loop's registration lock).
    private let easy: UnsafeMutableRawPointer
    private let connectToList: UnsafeMutablePointer<curl_slist>?
    let descriptor: Int32
    private var closed = false

    private init(easy: UnsafeMutableRawPointer, connectToList: UnsafeMutablePointer<curl_slist>?, descriptor: Int32) {
        self.easy = easy
        self.connectToList = connectToList
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Connects on a short-lived thread of its own (libcurl's connect-only perform blocks until connected or
    /// `connectTimeout`); cancelling the task returns at once and the thread cleans up when libcurl returns.
    static func connect(_ request: CurlRequest) async throws -> CurlSocket {
        let outcome = Locked<(continuation: CheckedContinuation<Void, any Error>?, finished: Bool, socket: CurlSocket?)>((nil, false, nil))
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                outcome.withLock { $0.continuation = continuation }
                let thread = Thread {
                    let result = Result { () throws(CurlFailure) -> CurlSocket in try connectBlocking(request) }
                    let waiter = outcome.withLock { state in
                        defer { state.continuation = nil; state.finished = true }
                        if state.continuation != nil, case .success(let socket) = result { state.socket = socket }
                        return state.continuation
                    }
                    // Nobody waits any more (cancelled): the socket closes in deinit.
                    waiter?.resume(with: result.map { _ in () }.mapError { $0 as any Error })
                }
                thread.name = "KubeKit.connect"
                thread.start()
            }
        } onCancel: {
            let waiter = outcome.withLock { state in
                defer { state.continuation = nil }
                return state.continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
        // The socket comes back through the lock, not the continuation: the connecting thread's writes (the
        // handle, the descriptor) then happen before this read in a way ThreadSanitizer sees too (a
        // continuation resumes in the concurrency runtime, which it does not instrument).
        guard let socket = outcome.withLock({ state in defer { state.socket = nil }; return state.socket }) else {
            throw CancellationError()
        }
        return socket
    }

    private static func connectBlocking(_ request: CurlRequest) throws(CurlFailure) -> CurlSocket {
        guard let easy = curl_easy_init() else {
            throw CurlFailure(error: KubeError(code: .transport, message: "libcurl could not create a handle"), kind: .permanent)
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(to: 0)
        defer { errorBuffer.deallocate() }
        var connectToList: UnsafeMutablePointer<curl_slist>?
        do {
            try CurlOptions.check(ckube_easy_setopt_string(easy, CURLOPT_URL, request.url), "the URL")
            ckube_easy_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1)
            ckube_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
            // The upgrade needs HTTP/1.1: offer only that in ALPN.
            ckube_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
            ckube_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
            ckube_easy_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 30)
            ckube_easy_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 30)
            ckube_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.milliseconds)
            ckube_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
            connectToList = try CurlOptions.applyConnection(request, to: easy)
        } catch {
            curl_easy_cleanup(easy)
            curl_slist_free_all(connectToList)
            throw error
        }
        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            curl_easy_cleanup(easy)
            curl_slist_free_all(connectToList)
            let components = URLComponents(string: request.url)
            let host = components?.host ?? request.url
            let port = components?.port ?? (components?.scheme == "http" ? 80 : 443)
            let cluster = request.clusterName.map { "the cluster \"\($0)\"" } ?? "the cluster"
            let (errorCode, message, kind, hint) = CurlOptions.classify(code, text: text, host: host, port: port, cluster: cluster,
                                                                        headDelivered: false, requestSent: false, bodyBytes: 0)
            throw CurlFailure(error: KubeError(code: errorCode, message: message, hint: hint), kind: kind)
        }
        var socket: curl_socket_t = -1
        ckube_easy_getinfo_socket(easy, CURLINFO_ACTIVESOCKET, &socket)
        // The error buffer is freed when this function returns: libcurl must not write to it afterwards.
        ckube_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, nil)
        return CurlSocket(easy: easy, connectToList: connectToList, descriptor: socket)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> SocketIO {
        var received = 0
        let code = curl_easy_recv(easy, buffer.baseAddress, buffer.count, &received)
        switch code {
        case CURLE_OK: return received == 0 ? .endOfStream : .transferred(received)
        case CURLE_AGAIN: return .wouldBlock
        default: return .failed(String(cString: curl_easy_strerror(code)))
        }
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> SocketIO {
        var sent = 0
        let code = curl_easy_send(easy, buffer.baseAddress, buffer.count, &sent)
        switch code {
        case CURLE_OK: return sent == 0 ? .wouldBlock : .transferred(sent)
        case CURLE_AGAIN: return .wouldBlock
        default: return .failed(String(cString: curl_easy_strerror(code)))
        }
    }

    /// TLS has no half-close that every server honours; the WebSocket close frame says it instead.
    func shutdownWrite() {}

    func close() {
        guard !closed else { return }
        closed = true
        curl_easy_cleanup(easy)
        curl_slist_free_all(connectToList)
    }
}

import Foundation
import KubeErrors
import KubeTransport

/// Wraps a real transport and records every exchange in the KubeTesting format, redacted.
///
/// ```swift
/// let recorder = RecordingTransport(wrapping: CurlTransport(configuration))
/// // ... run the code under test against `recorder` ...
/// try recorder.write(to: URL(fileURLWithPath: "Tests/Recordings/my-scenario.json"))
/// ```
///
/// Streaming bodies are passed through as they arrive and recorded when they end. Failed requests are
/// recorded with the Status the server sent. ``Redaction`` removes credentials and Secret data first.
public final class RecordingTransport: KubeTransport {
    private let base: any KubeTransport
    private let redaction: Redaction
    private let recorded = Locked<[Recording]>([])

    /// Creates a recorder around `base`.
    public init(wrapping base: any KubeTransport, redaction: Redaction = .default) {
        self.base = base
        self.redaction = redaction
    }

    /// The exchanges recorded so far (bodies that are still streaming are not included yet).
    public var recordings: [Recording] { recorded.withLock { $0 } }

    /// Writes the recordings to a file.
    public func write(to url: URL) throws { try Recording.write(recordings, to: url) }

    /// Sends through the wrapped transport and records the exchange.
    public func send(_ request: KubeRequest) async throws -> KubeResponse {
        let recordedRequest = Recording.Request(
            method: request.method.rawValue, path: request.target, headers: redaction.redact(headers: request.headers),
            body: request.body.map { redaction.redact(body: String(decoding: $0, as: UTF8.self)) })
        let response: KubeResponse
        do {
            response = try await base.send(request)
        } catch let error as KubeError where error.code == .api || error.code == .unauthorized {
            let body = (try? JSONEncoder().encode(error.status)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            append(Recording(request: recordedRequest, response: .init(
                status: error.httpStatusCode ?? error.status?.code ?? 0, headers: ["content-type": "application/json"], body: body)))
            throw error
        }
        let (body, writer) = KubeResponseBody.makeStream()
        let headers = redaction.redact(headers: response.headers)
        let source = response.body
        // The consumer's pace sets ours: a refused write waits for the resume signal, then offers again.
        let (resumed, resume) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        writer.onResume { resume.yield() }
        let task = Task { [redaction] in
            var bytes: [UInt8] = []
            var resumeSignals = resumed.makeAsyncIterator()
            do {
                for try await chunk in source {
                    bytes += chunk
                    while !writer.write(chunk) {
                        guard await resumeSignals.next() != nil else { throw CancellationError() }
                    }
                }
                writer.finish()
            } catch {
                writer.finish(throwing: error)
            }
            self.append(Recording(request: recordedRequest, response: .init(
                status: response.status, headers: headers, body: redaction.redact(body: String(decoding: bytes, as: UTF8.self)))))
        }
        writer.onCancel {
            task.cancel()
            resume.finish()
        }
        return KubeResponse(status: response.status, headers: response.headers, body: body, httpVersion: response.httpVersion)
    }

    private func append(_ recording: Recording) { recorded.withLock { $0.append(recording) } }
}

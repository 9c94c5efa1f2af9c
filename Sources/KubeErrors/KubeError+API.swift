#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension KubeError {
    /// How many bytes of a non-Status error body are kept (client-go keeps 2048).
    public static let maximumBodyExcerptBytes = 2048

    /// Builds the error for a failed HTTP response (status ≥ 400, or a 2xx whose body is a failure `Status`).
    ///
    /// A body that is a `metav1.Status` (`kind: Status`, `status` not `Success`) is decoded as it is, with
    /// `code` filled from the HTTP status when the server left it 0. Any other body (HTML from a proxy, plain
    /// text, JSON that is not a Status, nothing at all) yields a synthesized Status following client-go's
    /// mapping from HTTP code to reason, with a bounded excerpt of the body as the server message.
    ///
    /// - Parameters:
    ///   - statusCode: The HTTP status code.
    ///   - contentType: The response's `Content-Type`, if any.
    ///   - retryAfter: The response's `Retry-After` header, if any (numeric seconds are used).
    ///   - body: The response body.
    ///   - request: The request the response belongs to.
    public static func api(
        statusCode: Int,
        contentType: String? = nil,
        retryAfter: String? = nil,
        body: [UInt8],
        request: RequestContext? = nil
    ) -> KubeError {
        if var status = decodeStatus(body) {
            if status.code == nil || status.code == 0 { status.code = statusCode }
            return KubeError(status: status, httpStatusCode: statusCode, request: request)
        }
        let status = synthesizeStatus(
            statusCode: statusCode, contentType: contentType, retryAfter: retryAfter, body: body, request: request)
        var error = KubeError(status: status, httpStatusCode: statusCode, request: request)
        // The synthesized message already names the request (client-go's " (get pods web-0)" suffix).
        if let message = status.message, status.reason != .unauthorized { error.message = message }
        return error
    }

    /// Wraps a decoded `Status` (e.g. from a watch `ERROR` event) in an error with a friendly message.
    public init(status: KubeStatus, httpStatusCode: Int? = nil, request: RequestContext? = nil) {
        var hint: String?
        if let seconds = status.details?.retryAfterSeconds, seconds > 0 {
            hint = "The server asked to retry after \(seconds) second\(seconds == 1 ? "" : "s")."
        }
        self.init(
            code: .api,
            message: Self.friendlyMessage(for: status, request: request),
            status: status,
            httpStatusCode: httpStatusCode ?? status.code,
            request: request,
            hint: hint
        )
    }

    /// Decodes `body` as a failure `Status`, or returns `nil` if it is not one.
    public static func decodeStatus(_ body: [UInt8]) -> KubeStatus? {
        guard body.first(where: { !$0.isJSONWhitespace }) == UInt8(ascii: "{") else { return nil }
        guard let status = try? JSONDecoder().decode(KubeStatus.self, from: Data(body)) else { return nil }
        // Any JSON object "decodes" when every field is optional: insist on a real Status.
        guard status.kind == "Status", status.isFailure else { return nil }
        return status
    }

    // MARK: - Synthesizing a Status from a non-Status body (client-go's newUnstructuredResponseError)

    private static func synthesizeStatus(
        statusCode: Int, contentType: String?, retryAfter: String?, body: [UInt8], request: RequestContext?
    ) -> KubeStatus {
        let excerpt = bodyExcerpt(body, contentType: contentType)
        let serverMessage = excerpt ?? "unknown"
        let reason: KubeStatus.Reason
        var message: String
        switch statusCode {
        case 409:
            reason = request?.method == "POST" ? .alreadyExists : .conflict
            message = "the server reported a conflict"
        case 404:
            reason = .notFound
            message = "the server could not find the requested resource"
        case 400:
            reason = .badRequest
            message = "the server rejected our request for an unknown reason"
        case 401:
            reason = .unauthorized
            message = "the server has asked for the client to provide credentials"
        case 403:
            reason = .forbidden
            message = excerpt ?? "the server refused the request (403 Forbidden)"
        case 406:
            reason = .notAcceptable
            message = excerpt ?? "the server was unable to respond with a content type that the client supports"
        case 415:
            reason = .unsupportedMediaType
            message = excerpt ?? "the server does not support the request's content type"
        case 405:
            reason = .methodNotAllowed
            message = "the server does not allow this method on the requested resource"
        case 422:
            reason = .invalid
            message = "the server rejected our request due to an error in our request"
        case 503:
            reason = .serviceUnavailable
            message = "the server is currently unable to handle the request"
        case 504:
            reason = .timeout
            message = "the server was unable to return a response in the time allotted, but may still be processing the request"
        case 429:
            reason = .tooManyRequests
            message = "the server has received too many requests and has asked us to try again later"
        case 500...:
            reason = .internalError
            message = "an error on the server (\"\(serverMessage)\") has prevented the request from succeeding"
        default:
            reason = ""
            message = "the server responded with the status code \(statusCode) but did not return more information"
        }
        // Keep what the server said: the excerpt is appended when the generic text does not already carry it.
        if let excerpt, !message.contains(excerpt) {
            message += ": \(excerpt)"
        }
        if let request {
            message += " (\(request))"
        }
        var details = KubeStatus.Details(
            name: request?.name,
            group: request?.group,
            kind: request?.resource,
            causes: [KubeStatus.Cause(reason: "UnexpectedServerResponse", message: serverMessage)]
        )
        if let retryAfter, let seconds = Int(retryAfter.trimmingWhitespace()) {
            details.retryAfterSeconds = seconds
        }
        return KubeStatus(status: "Failure", message: message, reason: reason, details: details, code: statusCode)
    }

    /// A trimmed, bounded, single-line excerpt of a textual body, or `nil` for empty or binary bodies.
    static func bodyExcerpt(_ body: [UInt8], contentType: String?) -> String? {
        guard !body.isEmpty else { return nil }
        let bounded = body.prefix(maximumBodyExcerptBytes)
        // Cut at a UTF-8 boundary so a multi-byte character split by the bound does not make it "binary".
        var end = bounded.endIndex
        while end > bounded.startIndex, end - bounded.startIndex > bounded.count - 4,
              String(validating: bounded[bounded.startIndex..<end], as: UTF8.self) == nil {
            end -= 1
        }
        guard let text = String(validating: bounded[bounded.startIndex..<end], as: UTF8.self) else { return nil }
        if text.unicodeScalars.contains(where: { $0.value == 0 }) { return nil }
        let collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        guard !collapsed.isEmpty else { return nil }
        return body.count > maximumBodyExcerptBytes ? collapsed + " …" : collapsed
    }

    // MARK: - Friendly messages (kubectl's StandardErrorMessage, adapted)

    static func friendlyMessage(for status: KubeStatus, request: RequestContext?) -> String {
        let serverMessage = (status.message ?? "").trimmingWhitespace()
        let reason = status.reason ?? ""
        let details = status.details

        if reason == .invalid, let details, let causes = details.causes, !causes.isEmpty {
            var lines: [String] = []
            for cause in causes {
                let line = [cause.field, cause.message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
                if !line.isEmpty, !lines.contains(line) { lines.append(line) }
            }
            let subject: String
            if let kind = details.kind, !kind.isEmpty, let name = details.name, !name.isEmpty {
                subject = "\(kind) \"\(name)\" is invalid"
            } else {
                subject = "The request is invalid"
            }
            if lines.count == 1 { return "\(subject): \(lines[0])" }
            if lines.isEmpty { return serverMessage.isEmpty ? subject : serverMessage }
            return subject + ":\n" + lines.map { "* \($0)" }.joined(separator: "\n")
        }

        if reason == .unauthorized || (reason.rawValue.isEmpty && status.code == 401) {
            return "You must be logged in to the server (\(serverMessage.isEmpty ? "Unauthorized" : serverMessage))"
        }

        var message = serverMessage
        if message.isEmpty {
            message = reason.rawValue.isEmpty
                ? "the server responded with status \(status.code ?? 0) and no message"
                : "the server responded with \(reason.rawValue) (\(status.code ?? 0))"
        }
        if reason == .notFound, let namespace = request?.namespace, details?.kind != "namespaces",
           request?.resource != "namespaces", !message.contains("namespace") {
            message += " in namespace \"\(namespace)\""
        }
        return message
    }
}

// MARK: - Classification (client-go's apimachinery/pkg/api/errors semantics)

extension KubeError {
    /// The Status reason, if this error came from the API server and it gave one.
    public var reason: KubeStatus.Reason? {
        guard let reason = status?.reason, !reason.rawValue.isEmpty else { return nil }
        return reason
    }

    /// The HTTP code the Status suggests (falls back to the response's status code).
    public var statusCode: Int? {
        if let code = status?.code, code != 0 { return code }
        return httpStatusCode
    }

    /// `true` when the reason matches, or when the reason is unknown and the code matches.
    private func matches(_ expected: KubeStatus.Reason, code expectedCode: Int) -> Bool {
        guard code == .api else { return false }
        let reason = status?.reason ?? ""
        if reason == expected { return true }
        return !KubeStatus.Reason.known.contains(reason) && statusCode == expectedCode
    }

    private func hasReason(_ expected: KubeStatus.Reason) -> Bool {
        code == .api && status?.reason == expected
    }

    /// 404 NotFound.
    public var isNotFound: Bool { matches(.notFound, code: 404) }
    /// 409 AlreadyExists (reason only, as client-go).
    public var isAlreadyExists: Bool { hasReason(.alreadyExists) }
    /// 409 Conflict: a stale resourceVersion, a failed precondition, or a server-side-apply field conflict.
    public var isConflict: Bool { matches(.conflict, code: 409) }
    /// 422 Invalid: ``KubeStatus/Details/causes`` lists the fields.
    public var isInvalid: Bool { matches(.invalid, code: 422) }
    /// 403 Forbidden.
    public var isForbidden: Bool { matches(.forbidden, code: 403) }
    /// 401 Unauthorized from the server, or credentials that still failed after a refresh.
    public var isUnauthorized: Bool { code == .unauthorized || matches(.unauthorized, code: 401) }
    /// 410 Gone (reason `Gone`, or an unknown reason with code 410). See also ``isResourceExpired``.
    public var isGone: Bool { matches(.gone, code: 410) }
    /// 410 Expired: a resourceVersion or continue token that is too old (reason only, as client-go).
    public var isResourceExpired: Bool { hasReason(.expired) }
    /// Either ``isGone`` or ``isResourceExpired``: the caller should re-list before watching again.
    public var isGoneOrExpired: Bool { isGone || isResourceExpired }
    /// 429 TooManyRequests: reason or code, unconditionally (as client-go).
    public var isTooManyRequests: Bool {
        code == .api && (status?.reason == .tooManyRequests || statusCode == 429)
    }
    /// 413 RequestEntityTooLarge: reason or code.
    public var isRequestEntityTooLarge: Bool {
        code == .api && (status?.reason == .requestEntityTooLarge || statusCode == 413)
    }
    /// 504 Timeout from the server, or a client-side timeout (``Code/timeout``).
    public var isTimeout: Bool { code == .timeout || matches(.timeout, code: 504) }
    /// 500 ServerTimeout (reason only).
    public var isServerTimeout: Bool { hasReason(.serverTimeout) }
    /// 500 InternalError.
    public var isInternalError: Bool { matches(.internalError, code: 500) }
    /// 500 StorageReadError (reason only).
    public var isStorageReadError: Bool { hasReason(.storageReadError) }
    /// 400 BadRequest.
    public var isBadRequest: Bool { matches(.badRequest, code: 400) }
    /// 405 MethodNotAllowed.
    public var isMethodNotSupported: Bool { matches(.methodNotAllowed, code: 405) }
    /// 406 NotAcceptable.
    public var isNotAcceptable: Bool { matches(.notAcceptable, code: 406) }
    /// 415 UnsupportedMediaType (e.g. a strategic merge patch on a custom resource).
    public var isUnsupportedMediaType: Bool { matches(.unsupportedMediaType, code: 415) }
    /// 503 ServiceUnavailable.
    public var isServiceUnavailable: Bool { matches(.serviceUnavailable, code: 503) }

    /// The delay the server suggests before a retry (client-go's `SuggestsClientDelay`): the Status's
    /// `retryAfterSeconds` when the reason is `ServerTimeout` or the value is positive.
    public var suggestedRetryDelaySeconds: Int? {
        guard code == .api, let seconds = status?.details?.retryAfterSeconds else { return nil }
        if status?.reason == .serverTimeout || seconds > 0 { return seconds }
        return nil
    }

    /// `true` when `details.causes` contains a cause of the given type (e.g. `FieldManagerConflict`).
    public func hasStatusCause(_ type: String) -> Bool {
        status?.details?.causes?.contains(where: { $0.reason == type }) ?? false
    }
}

extension UInt8 {
    fileprivate var isJSONWhitespace: Bool {
        self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09
    }
}

extension StringProtocol {
    /// The string without leading and trailing whitespace and newlines.
    package func trimmingWhitespace() -> String {
        guard let start = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let end = lastIndex(where: { !$0.isWhitespace })!
        return String(self[start...end])
    }
}

import Foundation
import Testing
@testable import KubeErrors

/// Every recorded error response from the real API server becomes a KubeError with a friendly message and
/// the right classification.
@Suite("KubeError from recorded API server responses", .timeLimit(.minutes(2)))
struct KubeErrorFixtureTests {
    func error(_ prefix: String) throws -> KubeError {
        let exchange = try RecordedExchange.named(prefix)
        return KubeError.api(
            statusCode: exchange.response.status,
            contentType: exchange.response.headers["content-type"],
            retryAfter: exchange.response.headers["retry-after"],
            body: Array(exchange.response.body.utf8),
            request: .init(method: exchange.request.method, path: exchange.request.path))
    }

    @Test func notFoundNamesTheNamespace() throws {
        let error = try error("01-")
        #expect(error.code == .api)
        #expect(error.isNotFound)
        #expect(!error.isConflict && !error.isGone && !error.isForbidden)
        #expect(error.description == "pods \"does-not-exist\" not found in namespace \"demo\"")
        #expect(error.status?.details?.name == "does-not-exist")
        #expect(error.status?.details?.kind == "pods")
        #expect(error.statusCode == 404)
        #expect(error.httpStatusCode == 404)
    }

    @Test func missingNamespaceIsNotDescribedAsInsideItself() throws {
        let error = try error("02-")
        #expect(error.isNotFound)
        #expect(error.description == "namespaces \"no-such-namespace\" not found" || error.description.hasPrefix("namespaces \""))
        #expect(!error.description.contains("in namespace"))
    }

    @Test func plainTextBodyIsSynthesizedLikeClientGo() throws {
        let error = try error("03-")
        #expect(error.isNotFound)
        #expect(error.status?.kind == "Status")
        #expect(error.status?.reason == .notFound)
        #expect(error.status?.code == 404)
        #expect(error.description == "the server could not find the requested resource: 404 page not found (get things.nosuchgroup.example.com)")
        #expect(error.status?.details?.causes == [KubeStatus.Cause(reason: "UnexpectedServerResponse", message: "404 page not found")])
        #expect(error.request?.group == "nosuchgroup.example.com")
        #expect(error.request?.namespace == "demo")
    }

    @Test func alreadyExistsIsNotAConflict() throws {
        let error = try error("04-")
        #expect(error.isAlreadyExists)
        #expect(!error.isConflict)
        #expect(error.statusCode == 409)
        #expect(error.description.hasSuffix("already exists"))
    }

    @Test(arguments: ["05-", "06-"])
    func conflicts(prefix: String) throws {
        let error = try error(prefix)
        #expect(error.isConflict)
        #expect(!error.isAlreadyExists)
        #expect(error.description.hasPrefix("Operation cannot be fulfilled on "))
        #expect(error.description.contains("the object has been modified") || error.description.contains("precondition"))
    }

    @Test func invalidListsEveryCauseOnItsOwnLine() throws {
        let error = try error("07-")
        #expect(error.isInvalid)
        let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[0] == "Pod \"Invalid_Name!\" is invalid:")
        #expect(lines[1].hasPrefix("* metadata.name: Invalid value: \"Invalid_Name!\": a lowercase RFC 1123 subdomain"))
        #expect(lines[2] == "* spec.containers[0].image: Required value")
        #expect(error.hasStatusCause("FieldValueRequired"))
        #expect(!error.hasStatusCause("FieldManagerConflict"))
    }

    @Test func invalidWithOneCauseStaysOnOneLine() {
        let status = KubeStatus(
            message: "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            reason: .invalid,
            details: .init(name: "web", group: "apps", kind: "Deployment", causes: [
                .init(reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0", field: "spec.replicas"),
            ]),
            code: 422)
        let error = KubeError(status: status)
        #expect(error.description == "Deployment \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0")
    }

    @Test(arguments: ["08-", "09-", "10-", "16-"])
    func badRequests(prefix: String) throws {
        let error = try error(prefix)
        #expect(error.isBadRequest)
        #expect(error.statusCode == 400)
        #expect(!error.description.isEmpty)
        #expect(error.description == error.status?.message)
    }

    @Test func unauthorizedReadsLikeKubectl() throws {
        let error = try error("11-")
        #expect(error.isUnauthorized)
        #expect(error.description == "You must be logged in to the server (Unauthorized)")
    }

    @Test func forbiddenKeepsTheServerExplanation() throws {
        let error = try error("12-")
        #expect(error.isForbidden)
        #expect(error.description == "pods is forbidden: User \"nobody\" cannot list resource \"pods\" in API group \"\" in the namespace \"demo\"")
    }

    @Test(arguments: ["13-", "14-"])
    func methodNotAllowed(prefix: String) throws {
        let error = try error(prefix)
        #expect(error.isMethodNotSupported)
        #expect(error.statusCode == 405)
    }

    @Test(arguments: ["17-", "22-"])
    func expiredContinueTokens(prefix: String) throws {
        let error = try error(prefix)
        #expect(error.isResourceExpired)
        #expect(error.isGoneOrExpired)
        #expect(!error.isGone, "Expired is a known reason, so client-go's IsGone is false")
        #expect(error.statusCode == 410)
    }

    @Test func expiredContinueTokenCarriesAFreshToken() throws {
        let error = try error("17-")
        #expect(error.status?.metadata?.continue?.isEmpty == false)
    }

    @Test func unsupportedMediaTypeAndNotAcceptable() throws {
        #expect(try error("18-").isUnsupportedMediaType)
        #expect(try error("19-").isNotAcceptable)
    }

    @Test func requestEntityTooLarge() throws {
        let error = try error("20-")
        #expect(error.isRequestEntityTooLarge)
        #expect(error.statusCode == 413)
    }

    @Test func evictionBlockedByBudgetIsTooManyRequests() throws {
        let error = try error("21-")
        #expect(error.isTooManyRequests)
        #expect(error.description == "Cannot evict pod as it would violate the pod's disruption budget.")
        #expect(error.hasStatusCause("DisruptionBudget"))
        #expect(error.request?.subresource == "eviction")
    }

    @Test("every recorded error fixture yields a non-empty, status-bearing error", arguments: RecordedExchange.all)
    func everyFixture(file: String) throws {
        let exchange = try RecordedExchange.named(String(file.prefix(3)))
        guard exchange.response.status >= 400 else { return }
        let error = try error(String(file.prefix(3)))
        #expect(error.code == .api)
        #expect(error.status != nil)
        #expect(error.statusCode == exchange.response.status)
        #expect(!error.message.isEmpty)
    }

    @Test func watchErrorEventStatusDecodes() throws {
        // 15-: a watch whose one event is an ERROR carrying a 410 Expired Status.
        let exchange = try RecordedExchange.named("15-")
        let line = exchange.response.body.split(separator: "\n").first.map(String.init) ?? ""
        struct Event: Decodable { var type: String; var object: KubeStatus }
        let event = try JSONDecoder().decode(Event.self, from: Data(line.utf8))
        #expect(event.type == "ERROR")
        let error = KubeError(status: event.object)
        #expect(error.isGoneOrExpired)
        #expect(error.statusCode == 410)
    }
}

import Synchronization
import Testing
import KubeErrors
@testable import KubeRetry

@Suite("RetryPolicy and retryOnConflict", .timeLimit(.minutes(2)))
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(500), maxBackoff: .seconds(3), multiplier: 2, jitter: 0.5)

    @Test func retryAfterIsHonouredForEveryVerbOn429And5xx() {
        for status in [429, 500, 503, 504] {
            #expect(policy.delay(after: .response(status: status, retryAfterSeconds: 7), attempt: 1, isIdempotent: false) == .seconds(7))
        }
        #expect(policy.delay(after: .response(status: 429, retryAfterSeconds: 0), attempt: 1, isIdempotent: false) == .zero)
        #expect(policy.delay(after: .response(status: 409, retryAfterSeconds: 7), attempt: 1, isIdempotent: true) == nil)
        #expect(policy.delay(after: .response(status: 429, retryAfterSeconds: 31), attempt: 1, isIdempotent: true) == nil,
                "a delay beyond maxRetryAfter is not waited for")
        #expect(RetryPolicy.default.delay(after: .response(status: 429, retryAfterSeconds: 1), attempt: 10, isIdempotent: true) == .seconds(1))
        #expect(RetryPolicy.default.delay(after: .response(status: 429, retryAfterSeconds: 1), attempt: 11, isIdempotent: true) == nil)
    }

    @Test func serverErrorsWithoutRetryAfterOnlyForIdempotentRequests() {
        #expect(policy.delay(after: .response(status: 503, retryAfterSeconds: nil), attempt: 1, isIdempotent: false, random: 0) == nil)
        #expect(policy.delay(after: .response(status: 503, retryAfterSeconds: nil), attempt: 1, isIdempotent: true, random: 0) == .milliseconds(500))
        #expect(policy.delay(after: .response(status: 429, retryAfterSeconds: nil), attempt: 1, isIdempotent: true, random: 0) == nil)
        #expect(policy.delay(after: .response(status: 501, retryAfterSeconds: nil), attempt: 1, isIdempotent: true, random: 0) == nil)
        for status in [400, 401, 403, 404, 405, 406, 409, 410, 413, 415, 422] {
            #expect(policy.delay(after: .response(status: status, retryAfterSeconds: nil), attempt: 1, isIdempotent: true) == nil)
        }
    }

    @Test("the default: 5xx three attempts 0.2 s and 0.4 s apart, nothing for permanent failures")
    func defaults() {
        let policy = RetryPolicy.default
        let fiveHundred = RetryPolicy.Outcome.response(status: 500, retryAfterSeconds: nil)
        #expect((1...3).map { policy.delay(after: fiveHundred, attempt: $0, isIdempotent: true, random: 0) }
                == [.milliseconds(200), .milliseconds(400), nil])
        #expect(policy.delay(after: .transportFailure(.permanent), attempt: 1, isIdempotent: true) == nil)
    }

    @Test("connection failures: a few quick attempts inside the window; after sending only when idempotent")
    func connectionFailures() {
        let notSent = RetryPolicy.Outcome.transportFailure(.connection(requestMayHaveArrived: false))
        let maybeSent = RetryPolicy.Outcome.transportFailure(.connection(requestMayHaveArrived: true))
        let policy = RetryPolicy.default
        #expect(policy.delay(after: notSent, attempt: 1, isIdempotent: false, random: 0) == .milliseconds(200))
        #expect(policy.delay(after: notSent, attempt: 2, isIdempotent: false, elapsed: .milliseconds(300), random: 0) == .milliseconds(400))
        #expect(policy.delay(after: notSent, attempt: 3, isIdempotent: false, random: 0) == nil, "at most 3 attempts")
        #expect(policy.delay(after: notSent, attempt: 1, isIdempotent: true, elapsed: .milliseconds(1900), random: 0) == nil,
                "no retry that would end past the 2 s window")
        #expect(policy.delay(after: maybeSent, attempt: 1, isIdempotent: false) == nil)
        #expect(policy.delay(after: maybeSent, attempt: 1, isIdempotent: true, random: 0) == .milliseconds(200))
    }

    @Test func attemptsAreCapped() {
        #expect(policy.delay(after: .response(status: 500, retryAfterSeconds: nil), attempt: 3, isIdempotent: true) != nil)
        #expect(policy.delay(after: .response(status: 500, retryAfterSeconds: nil), attempt: 4, isIdempotent: true) == nil)
        #expect(RetryPolicy.disabled.delay(after: .response(status: 429, retryAfterSeconds: 1), attempt: 1, isIdempotent: true) == nil)
        #expect(RetryPolicy.disabled.delay(after: .transportFailure(.connection(requestMayHaveArrived: false)), attempt: 1, isIdempotent: true) == nil)
    }

    @Test func exponentialBackoffWithCapAndJitter() {
        #expect((1...5).map { policy.backoff(forRetry: $0, random: 0) } == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3)])
        #expect(policy.backoff(forRetry: 1, random: 1) == .milliseconds(750))
        #expect(policy.backoff(forRetry: 5, random: 1) == .milliseconds(4500))
        #expect(policy.backoff(forRetry: 2, random: 0.5) == .milliseconds(1250))
    }

    @Test func clientGoBackoffConstants() {
        #expect(ConflictBackoff.defaultRetry == ConflictBackoff(steps: 5, duration: .milliseconds(10), factor: 1, jitter: 0.1))
        #expect(ConflictBackoff.defaultBackoff.delay(after: 3, random: 0) == .milliseconds(250))
        #expect(ConflictBackoff.defaultBackoff.delay(after: 1, random: 1) == .milliseconds(11))
    }

    @Test func retryOnConflictRetriesConflictsOnly() async throws {
        let clock = ImmediateClock()
        let calls = Mutex(0)
        let conflict = KubeError(status: KubeStatus(message: "the object has been modified", reason: .conflict, code: 409))
        let result = try await retryOnConflict(clock: clock) {
            let call = calls.withLock { $0 += 1; return $0 }
            if call < 3 { throw conflict }
            return "updated on attempt \(call)"
        }
        #expect(result == "updated on attempt 3")
        #expect(clock.sleeps.count == 2)
        #expect(clock.sleeps.allSatisfy { $0 >= .milliseconds(9) && $0 <= .milliseconds(11) })

        let notFound = KubeError(status: KubeStatus(message: "gone", reason: .notFound, code: 404))
        let other = await #expect(throws: KubeError.self) {
            try await retryOnConflict(clock: clock) { () async throws -> Int in throw notFound }
        }
        #expect(other?.isNotFound == true)
        #expect(clock.sleeps.count == 2)
    }

    @Test func retryOnConflictGivesUpWithTheLastConflict() async throws {
        let clock = ImmediateClock()
        let calls = Mutex(0)
        let error = await #expect(throws: KubeError.self) {
            try await retryOnConflict(.defaultBackoff, clock: clock) { () async throws -> Int in
                let call = calls.withLock { $0 += 1; return $0 }
                throw KubeError(status: KubeStatus(message: "conflict \(call)", reason: .conflict, code: 409))
            }
        }
        #expect(error?.message == "conflict 4")
        #expect(calls.withLock { $0 } == 4)
        #expect(clock.sleeps.count == 3)
    }
}

/// A clock whose sleeps return at once and are recorded.
final class ImmediateClock: Clock, Sendable {
    typealias Instant = ContinuousClock.Instant
    private let recorded = Mutex<[Duration]>([])
    var now: Instant { ContinuousClock.now }
    var minimumResolution: Duration { .zero }
    var sleeps: [Duration] { recorded.withLock { $0 } }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        recorded.withLock { $0.append(deadline - ContinuousClock.now) }
    }
}

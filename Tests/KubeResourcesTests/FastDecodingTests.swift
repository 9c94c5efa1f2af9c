import Foundation
import Testing
import KubeConfig
import KubeErrors
import KubeTesting
import KubeTransport
@testable import KubeResources

@Suite("The fast decoder agrees with JSONDecoder", .timeLimit(.minutes(2)))
struct FastDecodingTests {
    /// Decodes with the generated fast decoder only (no fallback), failing with the cursor's problem.
    func fast<T: JSONFastDecodable>(_ type: T.Type, _ text: String) throws -> T {
        var cursor = JSONCursor(Array(text.utf8))
        do {
            let value = try T(from: &cursor)
            try cursor.expectEnd()
            return value
        } catch let failure as JSONCursor.Failure {
            let bytes = Array(text.utf8)
            let context = String(decoding: bytes[max(0, failure.offset - 40)..<min(bytes.count, failure.offset + 40)], as: UTF8.self)
            Issue.record("fast decoding of \(T.self) failed at byte \(failure.offset): \(failure.problem) near \(context)")
            throw failure
        }
    }

    func agree<T: JSONFastDecodable & Decodable & Equatable>(_ type: T.Type, _ recording: String) throws {
        let body = try Fixtures.body(recording)
        let slow = try JSONDecoder().decode(T.self, from: Data(body.utf8))
        #expect(try fast(T.self, body) == slow, "\(recording)")
    }

    @Test func recordedObjects() throws {
        try agree(CoreV1.Pod.self, "pods/01-get-running-pod")
        try agree(CoreV1.Pod.self, "pods/02-get-pending-pod")
        try agree(CoreV1.Pod.self, "pods/11-delete-pod")
        try agree(ResourceList<CoreV1.Pod>.self, "pods/03-list-pods")
        try agree(ResourceList<CoreV1.Pod>.self, "pods/08-list-pods-all-namespaces")
        try agree(AppsV1.Deployment.self, "deployments/01-get-deployment")
        try agree(ResourceList<AppsV1.Deployment>.self, "deployments/02-list-deployments")
        try agree(ResourceList<AppsV1.ReplicaSet>.self, "deployments/09-list-replicasets-label-selector")
        try agree(AutoscalingV1.Scale.self, "deployments/03-get-scale")
        try agree(ResourceList<CoreV1.Event>.self, "events/01-list-core-events")
        try agree(ResourceList<EventsV1.Event>.self, "events/04-list-events-v1")
        try agree(CoreV1.ConfigMap.self, "apply/03-apply-configmap-changed")
        try agree(CoreV1.Service.self, "apply/04-apply-service")
        try agree(DynamicObject.self, "pods/01-get-running-pod")
    }

    @Test func watchLinesAgree() throws {
        for line in try Fixtures.body("pods/10-watch-pods").split(separator: "\n") {
            typealias Envelope = WatchEventDecoding.Envelope<CoreV1.Pod>
            let slow = try JSONDecoder().decode(Envelope.self, from: Data(line.utf8))
            let quick = try fast(Envelope.self, String(line))
            #expect(quick.type == slow.type && quick.object == slow.object)
        }
    }

    @Test func dynamicObjectsKeepServerFieldOrder() throws {
        let pod = try fast(DynamicObject.self, try Fixtures.body("pods/01-get-running-pod"))
        #expect(Array(pod.fields.keys) == ["spec", "status"])
    }

    @Test func scalarsAndEscapes() throws {
        #expect(try fast(String.self, #""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == "a\"b\\c/d\n\té😀")
        #expect(try fast([Int64].self, "[0, -12, 9223372036854775807, 1e3, 2.0]") == [0, -12, .max, 1000, 2])
        #expect(try fast([Double].self, "[1.5, -2e-3, 7]") == [1.5, -0.002, 7])
        #expect(try fast([String: Bool].self, #"{ "a" : true , "b":false }"#) == ["a": true, "b": false])
        #expect(try fast([[String]].self, "[[], [\"x\"], []]") == [[], ["x"], []])
        #expect(try fast(JSONValue.self, #"{"n":null,"i":3,"d":3.5,"o":{},"a":[1,"x",{"k":[]}]}"#)
            == ["n": nil, "i": 3, "d": 3.5, "o": [:], "a": [1, "x", ["k": []]]])
        #expect(try fast(IntOrString.self, "80") == .int(80))
        #expect(try fast(IntOrString.self, #""80""#) == .string("80"))
        #expect(try fast(Quantity.self, "2").string == "2")
        #expect(try fast(Time.self, #""2026-11-22T10:51:28Z""#) == Time(rfc3339: "2026-11-22T10:51:28Z"))
    }

    static let withUnknownFields = #"{"future":{"deep":[{"x":"}]\"{"}],"n":null},"metadata":{"name":"a","labels":null,"shard":7},"spec":null}"#

    @Test func unknownFieldsAreKeptAndNullsAreNil() throws {
        let pod = try fast(CoreV1.Pod.self, Self.withUnknownFields)
        #expect(pod.metadata?.name == "a" && pod.metadata?.labels == nil && pod.spec == nil)
        #expect(pod.unknownFields == ["future": ["deep": [["x": "}]\"{"]], "n": nil]])
        #expect(pod.metadata?.unknownFields == ["shard": 7])
        // JSONDecoder (the Codable path users call) keeps them too, and both encode them again.
        let slow = try JSONDecoder().decode(CoreV1.Pod.self, from: Data(Self.withUnknownFields.utf8))
        #expect(slow == pod)
        let encoded = try Fixtures.json(KubeCoding.encode(pod))
        #expect(encoded == ["future": ["deep": [["x": "}]\"{"]], "n": nil], "metadata": ["name": "a", "shard": 7]])
    }

    @Test func replaceSendsBackWhatTheModelDoesNotKnow() async throws {
        let (client, transport) = Fixtures.client([try Fixtures.recording("errors/05-409-conflict-stale-resource-version")])
        var configMap = try KubeCoding.decode(CoreV1.ConfigMap.self, from: Array(#"{"metadata":{"name":"app-config","namespace":"demo","resourceVersion":"890"},"data":{"a":"1"},"binaryDataV2":{"z":"AA=="}}"#.utf8))
        configMap.data?["a"] = "2"
        _ = try? await client.resources(CoreV1.ConfigMap.self).replace(configMap)
        #expect(try Fixtures.json(transport.receivedRequests.first?.body)?["binaryDataV2"] == ["z": "AA=="])
    }

    @Test func escapedKeysFallBackToJSONDecoder() throws {
        let text = #"{"\u006bind":"Pod","metadata":{"name":"a"}}"#
        var cursor = JSONCursor(Array(text.utf8))
        #expect(throws: JSONCursor.Failure.self) { _ = try CoreV1.Pod(from: &cursor) }
        let pod = try KubeCoding.decode(CoreV1.Pod.self, from: Array(text.utf8))
        #expect(pod.kind == "Pod" && pod.metadata?.name == "a")
    }

    @Test(arguments: [#"{"metadata":{"name":1}}"#, #"{"metadata":"#, #"{"metadata":{}} x"#, #"{"spec":{"containers":[1]}}"#,
                      #"{"metadata":{"generation":1.5}}"#])
    func malformedInputFallsBackToJSONDecodersError(text: String) throws {
        var cursor = JSONCursor(Array(text.utf8))
        #expect(throws: (any Error).self) {
            _ = try CoreV1.Pod(from: &cursor)
            try cursor.expectEnd()
        }
        let error = #expect(throws: KubeError.self) { try KubeCoding.decode(CoreV1.Pod.self, from: Array(text.utf8)) }
        #expect(error?.code == .decoding)
    }

    @Test("what JSONDecoder refuses, the fast reader refuses too, in skipped fields as well (found by fuzzing)")
    func strictLikeJSONDecoder() throws {
        func fastRefuses(_ bytes: [UInt8]) -> Bool {
            var cursor = JSONCursor(bytes)
            do {
                _ = try ResourceList<CoreV1.Pod>(from: &cursor)
                try cursor.expectEnd()
                return false
            } catch {
                return true
            }
        }
        func decoderRefuses(_ bytes: [UInt8]) -> Bool {
            (try? JSONDecoder().decode(ResourceList<CoreV1.Pod>.self, from: Data(bytes))) == nil
        }
        let refusedByBoth: [[UInt8]] = [
            // The fuzzer's find: a lone 0xA0 byte (a non-breaking space's tail) between members of a skipped field.
            Array(#"{"items":[],"status":{"a":null,"#.utf8) + [0xA0] + Array(#""b":1}}"#.utf8),
            Array(#"{"items":[],"x":{"a" 1}}"#.utf8),                                         // missing colon
            Array(#"{"items":[],"metadata":{"remainingItemCount":1e400}}"#.utf8),              // not finite
            Array(#"{"items":[],"metadata":{"continue":""#.utf8) + [0x01] + Array(#""}}"#.utf8),  // control character
            Array(#"{"items":[],"metadata":{"continue":""#.utf8) + [0xFF] + Array(#""}}"#.utf8),  // invalid UTF-8
        ]
        for bytes in refusedByBoth {
            #expect(fastRefuses(bytes) && decoderRefuses(bytes), "\(String(decoding: bytes, as: UTF8.self))")
        }
        // JSONDecoder does not look closely at members nobody decodes; the fast reader does, and then the
        // fallback (JSONDecoder) answers: never the other way round.
        let refusedByTheFastReader: [[UInt8]] = [
            Array(#"{"items":[],"x":""#.utf8) + [0x01] + Array(#""}"#.utf8),
            Array(#"{"items":[],"x":""#.utf8) + [0xFF] + Array(#""}"#.utf8),
            Array(#"{"items":[],"x":01}"#.utf8), Array(#"{"items":[],"x":1.}"#.utf8), Array(#"{"items":[],"x":-}"#.utf8),
            Array(#"{"items":[],"x":[1,]}"#.utf8), Array(#"{"items":[],"x":"\q"}"#.utf8),
        ]
        for bytes in refusedByTheFastReader {
            #expect(fastRefuses(bytes), "\(String(decoding: bytes, as: UTF8.self))")
        }
        let valid = Array(#"{"items":[],"x":{"a":[1,-0.5e+3,"\u00e9\ud83d\ude00",true,null,{}],"b":"é"}}"#.utf8)
        #expect(!fastRefuses(valid) && !decoderRefuses(valid))
    }

    @Test("managed fields compare as JSON whatever their white space (found by fuzzing)")
    func fieldsV1ComparesAsJSON() throws {
        let spaced = FieldsV1(json: "{\"f:spec\":{\"f:volumes\"   \n:{\"k:{\\\"name\\\":\\\"cache\\\"}\":{}}}}")
        let compact = FieldsV1(try #require(spaced.value))
        #expect(spaced == compact)
        #expect(spaced.value?["f:spec"]?["f:volumes"]?.objectValue?.keys == [#"k:{"name":"cache"}"#])
    }
}

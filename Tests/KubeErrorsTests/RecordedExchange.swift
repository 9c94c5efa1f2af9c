import Foundation

/// One exchange recorded from a real kube-apiserver v1.36.2 (the fixture format of ../shared/fixtures).
struct RecordedExchange: Decodable {
    struct Request: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String?
    }
    struct Response: Decodable {
        var status: Int
        var headers: [String: String]
        var body: String
    }
    var description: String
    var request: Request
    var response: Response

    /// Exchanges recorded from kube-apiserver v1.36.2, shared by the test targets (Tests/Recordings/errors).
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Recordings/errors")

    static func named(_ prefix: String) throws -> RecordedExchange {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        guard let file = files.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: prefix])
        }
        return try JSONDecoder().decode(RecordedExchange.self, from: Data(contentsOf: directory.appendingPathComponent(file)))
    }

    static var all: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
    }
}

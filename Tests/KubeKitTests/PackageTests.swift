import Foundation
import Testing
import KubeKit

@Suite("The KubeKit package", .timeLimit(.minutes(2)))
struct PackageTests {
    @Test("import KubeKit brings every layer")
    func umbrellaReexports() throws {
        // Types from three different modules, reached through the one import.
        let error: KubeError = KubeError(code: .api, message: "x")
        let config = try Kubeconfig(yaml: "kind: Config\n")
        #expect(error.code == .api)
        #expect(config.isEmpty)
        #expect(!Libcurl.current.version.isEmpty)
    }

    @Test("every public declaration in Sources/ has a /// doc comment")
    func publicAPIIsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 10)
        var undocumented: [String] = []
        for file in files {
            let lines = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8).components(separatedBy: "\n")
            for (index, line) in lines.enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("public ") || trimmed.hasPrefix("open "),
                      !trimmed.hasPrefix("public import"), !trimmed.hasPrefix("public extension") else { continue }
                var previous = index - 1
                while previous >= 0, lines[previous].trimmingCharacters(in: .whitespaces).hasPrefix("@") { previous -= 1 }
                if previous < 0 || !lines[previous].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                    undocumented.append("\(file):\(index + 1): \(trimmed)")
                }
            }
        }
        #expect(undocumented.isEmpty, "undocumented public API:\n\(undocumented.joined(separator: "\n"))")
    }
}

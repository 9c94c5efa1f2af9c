import Foundation
import Testing

/// Runs the example binaries this package built, with a home of their own (no kubeconfig: the embedded demo
/// cluster) unless a test gives them one.
enum Binaries {
    /// The directory of the built products (where the test bundle itself lies).
    static let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    static func url(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw Failure("\(name) is not built in \(directory.path); run `swift build` in Examples first")
        }
        return url
    }

    /// A fresh HOME without a kubeconfig, and the environment without KUBECONFIG.
    static func environment(home: URL? = nil) throws -> [String: String] {
        let home = try home ?? temporaryDirectory()
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["KUBECONFIG"] = nil
        environment["KUBEKIT_TIER"] = nil
        environment["KUBERNETES_SERVICE_HOST"] = nil
        return environment
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubekit-examples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Ends `process` if it still runs after a minute: its pipes close, so a test reading them fails instead of
    /// blocking a thread for ever (the suites' time limits report the test, but cannot unblock a read).
    static func terminateIfStillRunning(_ process: Process, after seconds: Double = 60) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
            if process.isRunning { process.terminate() }
        }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `name` with `arguments` to completion.
    static func run(_ name: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try url(name)
        process.arguments = arguments
        process.environment = try environment ?? self.environment()
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        Binaries.terminateIfStillRunning(process)
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let collected = Locked<(Data, Data)>((Data(), Data()))
        let group = DispatchGroup()
        for (index, pipe) in [output, errors].enumerated() {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.withLock { if index == 0 { $0.0 = data } else { $0.1 = data } }
                group.leave()
            }
        }
        group.wait()
        process.waitUntilExit()
        let (out, err) = collected.withLock { $0 }
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// A test failure with a message.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A value behind a lock (the pipe readers run on other threads).
final class Locked<Value>: @unchecked Sendable {
    // @unchecked: every access to `value` holds `lock`.
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

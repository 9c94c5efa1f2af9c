import Foundation
import KubeErrors

/// What a copy did, and what it left out on purpose.
public struct CopyReport: Sendable, Hashable {
    /// Files written (download) or sent (upload).
    public var files: Int = 0
    /// Directories created or sent.
    public var directories: Int = 0
    /// Bytes of file content.
    public var bytes: Int = 0
    /// Entries not copied, with the reason (symbolic and hard links from a container are skipped, as kubectl
    /// does).
    public var skipped: [String] = []
}

extension ResourceClient where Resource == CoreV1.Pod {
    /// A path in the container as the folder tar runs in and the name it writes or reads (`/var/log/` →
    /// `/`, `log`; `notes` → `.`, `notes`).
    /// - Throws: ``KubeError/Code/invalidArgument`` when it names no file or folder (`/`, `..`), naming `given`.
    static func split(_ path: String, given: String, pod: String) throws -> (directory: String, base: String) {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let slash = trimmed.lastIndex(of: "/")
        let directory = slash.map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? "."
        let base = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        guard !base.isEmpty, base != ".", base != ".." else {
            throw KubeError(code: .invalidArgument, message: "cp: \"\(given)\" in pods/\(pod) does not name a file or folder")
        }
        return (directory, base)
    }

    /// Copies a local file or folder into a container, like `kubectl cp LOCAL POD:PATH`: a tar stream into
    /// `tar -xmf - -C DIR` over exec. Needs the ``AccessTier/full`` tier and `tar` in the container.
    ///
    /// When `remotePath` is an existing directory in the container the copy goes inside it (under the local
    /// name); otherwise it is created with that name. Symbolic links are sent as links.
    @discardableResult
    public func upload(_ local: URL, to name: String, path remotePath: String, container: String? = nil) async throws -> CopyReport {
        try client.authorize("copy into", needs: .full, on: resourceName)
        let source = local.standardizedFileURL
        guard (try? source.resourceValues(forKeys: [.isSymbolicLinkKey])) != nil, FileManager.default.fileExists(atPath: source.path) else {
            throw KubeError(code: .fileNotFound, message: "cp: \(local.path) does not exist")
        }
        guard !remotePath.isEmpty else { throw KubeError(code: .invalidArgument, message: "cp: the path in pods/\(name) must not be empty") }
        var destination = remotePath
        let isDirectory = try await run(name, command: ["test", "-d", remotePath], container: container)
        if isDirectory.exitCode == 0 {
            destination = (remotePath.hasSuffix("/") ? remotePath : remotePath + "/") + source.lastPathComponent
        }
        let (directory, base) = try Self.split(destination, given: remotePath, pod: name)
        let session = try await exec(name, command: ["tar", "-xmf", "-", "-C", directory],
                                     options: ExecOptions(container: container, stdin: true, stdout: true, stderr: true))
        async let output = session.collect(upTo: 1 << 20)
        var report = CopyReport()
        do {
            var written = 0
            try await Self.sendTree(source, as: base, to: session.stdin, written: &written, report: &report)
            try await session.stdin.write(TarWriter.end(afterWriting: written))
            if session.negotiatedProtocol == ExecProtocol.v5 { try await session.stdin.close() }
        } catch {
            await session.cancel()
            _ = try? await output
            throw error
        }
        let result = try await output
        guard result.exitCode == 0 else {
            throw KubeError(code: .commandFailed, message: "cp into pods/\(name): tar exited with code \(result.exitCode): "
                + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return report
    }

    private static func sendTree(_ url: URL, as path: String, to stdin: ExecInput, written: inout Int, report: inout CopyReport) async throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let mode = (attributes[.posixPermissions] as? Int) ?? 0o644
        let modified = Int((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        switch attributes[.type] as? FileAttributeType {
        case .typeDirectory?:
            let header = TarWriter.header(TarEntry(path: path + "/", kind: .directory, mode: mode, size: 0, modified: modified))
            try await stdin.write(header)
            written += header.count
            report.directories += 1
            for child in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() {
                try await sendTree(url.appendingPathComponent(child), as: path + "/" + child, to: stdin, written: &written, report: &report)
            }
        case .typeSymbolicLink?:
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: url.path)
            let header = TarWriter.header(TarEntry(path: path, kind: .symlink, mode: 0o777, size: 0, modified: modified, linkName: target))
            try await stdin.write(header)
            written += header.count
        case .typeRegular?:
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            let size = (attributes[.size] as? Int) ?? 0
            let header = TarWriter.header(TarEntry(path: path, kind: .file, mode: mode, size: size, modified: modified))
            try await stdin.write(header)
            var sent = 0
            while sent < size, let data = try handle.read(upToCount: min(1 << 20, size - sent)), !data.isEmpty {
                try await stdin.write(Array(data))
                sent += data.count
            }
            guard sent == size else {
                throw KubeError(code: .fileUnreadable, message: "cp: \(url.path) changed size while it was being copied")
            }
            let padding = TarWriter.padding(size)
            if !padding.isEmpty { try await stdin.write(padding) }
            written += header.count + size + padding.count
            report.files += 1
            report.bytes += size
        default:
            report.skipped.append("\(url.path): not a regular file, folder or symbolic link")
        }
    }

    /// Copies a file or folder out of a container, like `kubectl cp POD:PATH LOCAL`: `tar cf - -C DIR NAME`
    /// over exec, unpacked locally. Needs the ``AccessTier/full`` tier and `tar` in the container.
    ///
    /// `local` becomes the copy (a file, or a folder with the remote folder's contents). The archive comes
    /// from the container and is not trusted: an entry that would land outside `local` (`../x`, an absolute
    /// path after the first component, a path through an existing symbolic link) stops the copy with
    /// ``KubeError/Code/unsafeArchive`` before it is written; links in the archive are skipped (listed in
    /// ``CopyReport/skipped``).
    @discardableResult
    public func download(from name: String, path remotePath: String, to local: URL, container: String? = nil) async throws -> CopyReport {
        try client.authorize("copy from", needs: .full, on: resourceName)
        let (directory, base) = try Self.split(remotePath, given: remotePath, pod: name)
        let session = try await exec(name, command: ["tar", "cf", "-", "-C", directory, base],
                                     options: ExecOptions(container: container, stdout: true, stderr: true))
        async let errors = session.stderr.collect(upTo: 1 << 20)
        var extractor = TarExtractor(root: local.standardizedFileURL, base: base)
        do {
            var reader = TarReader()
            for try await chunk in session.stdout {
                reader.append(chunk)
                while let event = try reader.next() { try extractor.handle(event) }
            }
            try extractor.finish()
        } catch {
            extractor.abandon()
            await session.cancel()
            _ = try? await errors
            throw error
        }
        let stderr = try await errors
        let status = try await session.status()
        guard status.exitCode == 0 else {
            throw KubeError(code: .commandFailed, message: "cp from pods/\(name): tar exited with code \(status.exitCode): "
                + String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard extractor.sawEntry else {
            throw KubeError(code: .decoding, message: "cp from pods/\(name): the container sent an empty archive for \(remotePath)")
        }
        return extractor.report
    }
}

/// Writes tar entries under a root, refusing anything that would land outside it.
struct TarExtractor {
    let root: URL
    let base: String
    var report = CopyReport()
    private var handle: FileHandle?
    private var current: URL?
    private var currentMode = 0o644
    private(set) var sawEntry = false

    init(root: URL, base: String) {
        self.root = root
        self.base = base
    }

    /// The local URL of an archive path `base/a/b`, or an error if it escapes the root.
    func destination(of path: String) throws(KubeError) -> URL {
        var components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        components.removeAll { $0 == "." }
        if components.contains("..") {
            throw KubeError(code: .unsafeArchive, message: "cp: refused the archive entry \"\(path)\": it would be written outside \(root.path)")
        }
        guard let first = components.first, first == base else {
            throw KubeError(code: .unsafeArchive, message: "cp: refused the archive entry \"\(path)\": it is not inside \"\(base)\", the path asked for")
        }
        var url = root
        for component in components.dropFirst() { url.appendPathComponent(component) }
        // Never through an existing symbolic link: resolve the parent and check it is still under the root.
        let resolvedRoot = root.resolvingSymlinksInPath().path
        let parent = url.deletingLastPathComponent().resolvingSymlinksInPath().path
        if url != root, parent != resolvedRoot, !parent.hasPrefix(resolvedRoot + "/") {
            throw KubeError(code: .unsafeArchive, message: "cp: refused the archive entry \"\(path)\": it would be written through a symbolic link outside \(root.path)")
        }
        if url != root, (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) != nil {
            throw KubeError(code: .unsafeArchive, message: "cp: refused the archive entry \"\(path)\": \(url.path) is a symbolic link")
        }
        return url
    }

    mutating func handle(_ event: TarReader.Event) throws {
        switch event {
        case .entry(let entry):
            sawEntry = true
            let url = try destination(of: entry.path)
            switch entry.kind {
            case .directory:
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                report.directories += 1
            case .file:
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                    throw KubeError(code: .fileUnreadable, message: "cp: could not create \(url.path)")
                }
                handle = try FileHandle(forWritingTo: url)
                current = url
                currentMode = entry.mode & 0o777
                report.files += 1
            case .symlink, .hardLink:
                report.skipped.append("\(entry.path): a link (to \(entry.linkName)), skipped as kubectl does")
            case .other(let flag):
                report.skipped.append("\(entry.path): an entry of type \"\(Character(Unicode.Scalar(flag)))\", skipped")
            }
        case .data(let bytes):
            try handle?.write(contentsOf: bytes)
            if handle != nil { report.bytes += bytes.count }
        case .entryEnd:
            if let handle, let current {
                try handle.close()
                try? FileManager.default.setAttributes([.posixPermissions: currentMode], ofItemAtPath: current.path)
            }
            handle = nil
            current = nil
        }
    }

    mutating func finish() throws {
        try handle?.close()
        handle = nil
    }

    mutating func abandon() {
        try? handle?.close()
        handle = nil
    }
}

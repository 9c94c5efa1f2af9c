#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import KubeErrors

/// Reading files with errors that say what was being read and why it failed.
package enum FileAccess {
    /// Reads a whole file.
    /// - Parameter what: What the file is, for messages ("kubeconfig", "client certificate").
    package static func read(_ path: String, what: String, code notFound: KubeError.Code = .fileNotFound,
                             unreadable: KubeError.Code = .fileUnreadable, field: String? = nil) throws(KubeError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KubeError(code: notFound, message: "\(what) \(path) does not exist", location: field.map { .init(field: $0) })
        }
        if isDirectory.boolValue {
            throw KubeError(code: unreadable, message: "\(what) \(path) is a directory, not a file", location: field.map { .init(field: $0) })
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return [UInt8](data)
        } catch {
            let reason = errno == EACCES ? "permission denied" : String(describing: error)
            throw KubeError(code: unreadable, message: "cannot read \(what) \(path): \(reason)",
                            location: field.map { .init(field: $0) }, underlying: error)
        }
    }

    /// `true` when `path` exists and is a regular file.
    package static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// `path` made absolute against the current directory, without resolving links.
    package static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : join(FileManager.default.currentDirectoryPath, path)
    }

    /// The folder holding `path`.
    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `relative` joined to `base` unless it is already absolute; `.` and `..` components are cleaned up.
    package static func join(_ base: String, _ relative: String) -> String {
        if relative.hasPrefix("/") { return relative }
        var parts: [Substring] = []
        for component in (base + "/" + relative).split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

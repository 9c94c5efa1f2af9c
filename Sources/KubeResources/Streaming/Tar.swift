import KubeErrors

/// One entry of a tar archive.
struct TarEntry: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case file, directory, symlink, hardLink, other(UInt8)
    }

    var path: String
    var kind: Kind
    var mode: Int
    var size: Int
    var modified: Int = 0
    var linkName: String = ""
}

/// Writes ustar archives (what `tar -x` in any container reads), with a PAX header for names longer than
/// ustar's 100 bytes and sizes of 8 GiB or more.
enum TarWriter {
    static let blockSize = 512
    /// GNU tar reads in records of 20 blocks: an archive padded to a whole record lets it finish without
    /// waiting for end of file on stdin (which a v4 exec session cannot send).
    static let recordSize = 20 * 512

    /// The header block(s) of `entry`.
    static func header(_ entry: TarEntry) -> [UInt8] {
        var pax: [String: String] = [:]
        let pathBytes = Array(entry.path.utf8)
        if pathBytes.count > 100 { pax["path"] = entry.path }
        if Array(entry.linkName.utf8).count > 100 { pax["linkpath"] = entry.linkName }
        if entry.size >= 0o77777777777 { pax["size"] = String(entry.size) }
        var bytes: [UInt8] = []
        if !pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in pax.sorted(by: { $0.key < $1.key }) {
                let body = " \(key)=\(value)\n"
                var length = body.utf8.count + 1
                while String(length).utf8.count + body.utf8.count != length { length = String(length).utf8.count + body.utf8.count }
                records += Array("\(length)\(body)".utf8)
            }
            let paxEntry = TarEntry(path: "PaxHeaders/" + String(decoding: pathBytes.suffix(80), as: UTF8.self), kind: .other(UInt8(ascii: "x")),
                                    mode: 0o644, size: records.count)
            bytes += block(paxEntry, name: Array(paxEntry.path.utf8.prefix(100)), link: [])
            bytes += records + padding(records.count)
        }
        bytes += block(entry, name: Array(pathBytes.prefix(100)), link: Array(entry.linkName.utf8.prefix(100)))
        return bytes
    }

    private static func block(_ entry: TarEntry, name: [UInt8], link: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int) { for (index, byte) in bytes.enumerated() { header[offset + index] = byte } }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(min(value, (1 << (3 * (width - 1))) - 1), radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(entry.mode & 0o7777, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(entry.kind == .file ? entry.size : (entry.kind == .other(UInt8(ascii: "x")) ? entry.size : 0), width: 12), at: 124)
        put(octal(entry.modified, width: 12), at: 136)
        header[156] = switch entry.kind {
        case .file: UInt8(ascii: "0")
        case .directory: UInt8(ascii: "5")
        case .symlink: UInt8(ascii: "2")
        case .hardLink: UInt8(ascii: "1")
        case .other(let flag): flag
        }
        put(link, at: 157)
        put(Array("ustar\u{0}00".utf8), at: 257)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        let sum = header.reduce(0) { $0 + Int($1) }
        put(Array(String(sum, radix: 8).leftPadded(to: 6).utf8) + [0, UInt8(ascii: " ")], at: 148)
        return header
    }

    /// Zeros up to the next block boundary after `size` bytes of data.
    static func padding(_ size: Int) -> [UInt8] {
        let remainder = size % blockSize
        return remainder == 0 ? [] : [UInt8](repeating: 0, count: blockSize - remainder)
    }

    /// The two zero blocks that end an archive, then zeros to the end of the record.
    static func end(afterWriting written: Int) -> [UInt8] {
        var count = 2 * blockSize
        let total = written + count
        if total % recordSize != 0 { count += recordSize - total % recordSize }
        return [UInt8](repeating: 0, count: count)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Reads a tar archive from chunks as they arrive: ustar, GNU long names (`L`, `K`) and PAX headers (`x`;
/// global `g` headers are ignored).
struct TarReader {
    enum Event: Equatable {
        case entry(TarEntry)
        case data([UInt8])
        case entryEnd
    }

    private var buffer: [UInt8] = []
    private var offset = 0
    private var remaining = 0
    private var pad = 0
    private var inEntry = false
    private var longName: String?
    private var longLink: String?
    private var pax: [String: String] = [:]
    private(set) var finished = false
    private var entries = 0

    mutating func append(_ bytes: [UInt8]) {
        if offset > 0, offset * 2 >= buffer.count {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer += bytes
    }

    private var available: Int { buffer.count - offset }

    /// The next event, or `nil` when more bytes are needed (or the archive ended).
    mutating func next() throws(KubeError) -> Event? {
        while !finished {
            if inEntry {
                if remaining > 0 {
                    guard available > 0 else { return nil }
                    let count = min(remaining, available)
                    let data = Array(buffer[offset..<(offset + count)])
                    offset += count
                    remaining -= count
                    return .data(data)
                }
                guard available >= pad else { return nil }
                offset += pad
                pad = 0
                inEntry = false
                return .entryEnd
            }
            guard available >= TarWriter.blockSize else { return nil }
            let header = Array(buffer[offset..<(offset + TarWriter.blockSize)])
            if header.allSatisfy({ $0 == 0 }) {
                offset += TarWriter.blockSize
                finished = true
                return nil
            }
            try verifyChecksum(header)
            let flag = header[156]
            let size = try number(header[124..<136], field: "size")
            let padded = size + TarWriter.padding(size).count
            switch flag {
            case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
                // Metadata for the next entry: needs its whole data at once.
                guard size <= 1 << 20 else { throw Self.corrupt("a metadata entry of \(size) bytes", entry: entries) }
                guard available >= TarWriter.blockSize + padded else { return nil }
                let data = Array(buffer[(offset + TarWriter.blockSize)..<(offset + TarWriter.blockSize + size)])
                offset += TarWriter.blockSize + padded
                switch flag {
                case UInt8(ascii: "L"): longName = Self.cString(data[...])
                case UInt8(ascii: "K"): longLink = Self.cString(data[...])
                case UInt8(ascii: "x"): pax.merge(try Self.paxRecords(data, entry: entries)) { $1 }
                default: break
                }
                continue
            default:
                break
            }
            offset += TarWriter.blockSize
            entries += 1
            var path = Self.cString(header[0..<100])
            let magic = Array(header[257..<262])
            if magic == Array("ustar".utf8) {
                let prefix = Self.cString(header[345..<500])
                if !prefix.isEmpty { path = prefix + "/" + path }
            }
            if let long = longName { path = long }
            if let value = pax["path"] { path = value }
            var link = Self.cString(header[157..<257])
            if let long = longLink { link = long }
            if let value = pax["linkpath"] { link = value }
            var entrySize = size
            if let value = pax["size"], let parsed = Int(value) { entrySize = parsed }
            longName = nil
            longLink = nil
            pax = [:]
            let kind: TarEntry.Kind = switch flag {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): .file
            case UInt8(ascii: "5"): .directory
            case UInt8(ascii: "2"): .symlink
            case UInt8(ascii: "1"): .hardLink
            default: .other(flag)
            }
            if kind == .directory || kind == .symlink || kind == .hardLink { entrySize = 0 }
            let mode = (try? number(header[100..<108], field: "mode")) ?? 0o644
            let modified = (try? number(header[136..<148], field: "mtime")) ?? 0
            inEntry = true
            remaining = entrySize
            pad = TarWriter.padding(entrySize).count
            return .entry(TarEntry(path: path, kind: kind, mode: mode, size: entrySize, modified: modified, linkName: link))
        }
        return nil
    }

    private func verifyChecksum(_ header: [UInt8]) throws(KubeError) {
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        let stored = try number(header[148..<156], field: "checksum")
        guard stored == sum else { throw Self.corrupt("a header with a bad checksum", entry: entries + 1) }
    }

    private func number(_ field: ArraySlice<UInt8>, field name: String) throws(KubeError) -> Int {
        if let first = field.first, first & 0x80 != 0 {
            // GNU base-256 for large values.
            var value = Int(first & 0x7F)
            for byte in field.dropFirst() { value = value << 8 | Int(byte) }
            return value
        }
        let text = Self.cString(field).trimmingCharacters(in: " ")
        if text.isEmpty { return 0 }
        guard let value = Int(text, radix: 8) else { throw Self.corrupt("a \(name) field that is not a number", entry: entries + 1) }
        return value
    }

    private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func paxRecords(_ data: [UInt8], entry: Int) throws(KubeError) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0, index + length <= data.count,
                  let equals = data[space..<(index + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw corrupt("a malformed PAX header", entry: entry + 1)
            }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            let value = String(decoding: data[(equals + 1)..<(index + length - 1)], as: UTF8.self)
            records[key] = value
            index += length
        }
        return records
    }

    static func corrupt(_ what: String, entry: Int) -> KubeError {
        KubeError(code: .decoding, message: "the tar archive from the container is corrupt: entry \(entry) has \(what)")
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text = text.dropFirst() }
        while text.last == character { text = text.dropLast() }
        return String(text)
    }
}

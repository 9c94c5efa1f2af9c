import Foundation
import KubeErrors
import Logging

extension Kubeconfig {
    /// Reads a kubeconfig file.
    ///
    /// Relative paths inside it are made absolute against the file's folder. A zero-byte file is a valid,
    /// empty kubeconfig (as in client-go).
    /// - Throws: ``KubeError`` with ``KubeError/Code/fileNotFound``, ``KubeError/Code/fileUnreadable``,
    ///   ``KubeError/Code/yamlSyntax``, ``KubeError/Code/invalidConfiguration`` or
    ///   ``KubeError/Code/invalidBase64``, naming the file, line, column and field.
    public init(contentsOf path: String, logger: Logger? = nil) throws {
        let bytes = try FileAccess.read(path, what: "kubeconfig")
        try self.init(bytes: bytes, file: FileAccess.absolute(path), logger: logger)
        resolveRelativePaths(against: FileAccess.directory(of: FileAccess.absolute(path)))
    }

    /// Parses kubeconfig text (YAML or JSON). Paths inside stay as written.
    /// - Parameter file: The name to use in error messages.
    public init(yaml: String, file: String? = nil, logger: Logger? = nil) throws {
        try self.init(bytes: Array(yaml.utf8), file: file, logger: logger)
    }

    /// Parses kubeconfig bytes (YAML or JSON; UTF-8, or UTF-16 with a BOM).
    public init(bytes: [UInt8], file: String? = nil, logger: Logger? = nil) throws {
        let documents = try YAMLReader.documents(in: bytes, file: file)
        let nonEmpty = documents.filter { $0.root != nil && $0.root?.content != .null }
        if nonEmpty.count > 1 {
            // client-go reads only the first document and ignores the rest without a word; say so instead.
            throw KubeError(
                code: .invalidConfiguration,
                message: "a kubeconfig file holds one YAML document, but a second one starts here",
                location: .init(file: file, line: nonEmpty[1].startLine))
        }
        self.init()
        guard let root = nonEmpty.first?.root else { return }
        var reader = FieldReader(file: file)
        try reader.decodeConfig(root, into: &self)
        if !reader.unknownFields.isEmpty {
            let logger = logger ?? Logger(label: "KubeKit.KubeConfig")
            for field in reader.unknownFields {
                logger.warning("kubeconfig field is not known to KubeKit and is ignored", metadata: [
                    "location": "\(field.location)",
                ])
            }
        }
    }

    /// Makes the relative paths of every stanza absolute (client-go's `ResolveLocalPaths`): cluster
    /// `certificate-authority`; user `client-certificate`, `client-key`, `tokenFile`; and exec `command`
    /// when it contains a `/`.
    mutating func resolveRelativePaths(against directory: String) {
        func resolve(_ path: inout String?) {
            if let value = path, !value.isEmpty { path = FileAccess.join(directory, value) }
        }
        for index in clusters.indices {
            resolve(&clusters[index].cluster.certificateAuthority)
        }
        for index in users.indices {
            resolve(&users[index].user.clientCertificate)
            resolve(&users[index].user.clientKey)
            resolve(&users[index].user.tokenFile)
            if let command = users[index].user.exec?.command, command.contains("/") {
                users[index].user.exec?.command = FileAccess.join(directory, command)
            }
        }
    }
}

// MARK: - Field-by-field decoding with positions

private struct FieldReader {
    let file: String?
    var unknownFields: [(location: KubeError.SourceLocation, name: String)] = []

    init(file: String?) { self.file = file }

    func location(_ value: YAMLValue, _ path: String) -> KubeError.SourceLocation {
        .init(file: file, line: value.position.line, column: value.position.column, field: path)
    }

    func typeError(_ value: YAMLValue, _ path: String, expected: String) -> KubeError {
        var message = "expected \(expected), found \(article(value.typeName))"
        if expected == "a string", case .integer = value.content { message += " (quote the value to make it a string)" }
        if expected == "a string", case .bool = value.content { message += " (quote the value: YAML reads yes/no/on/off/true/false as booleans)" }
        return KubeError(code: .invalidConfiguration, message: message, location: location(value, path))
    }

    private func article(_ typeName: String) -> String {
        typeName == "null" ? "null" : (typeName.first.map { "aeiou".contains($0) } == true ? "an \(typeName)" : "a \(typeName)")
    }

    /// The members of a mapping; records keys not in `known` as unknown fields.
    mutating func members(_ value: YAMLValue, _ path: String, known: Set<String>) throws(KubeError) -> [String: YAMLValue] {
        if case .null = value.content { return [:] }
        guard case .object(let members) = value.content else {
            throw typeError(value, path, expected: "a mapping")
        }
        var result: [String: YAMLValue] = [:]
        for member in members {
            if known.contains(member.key) {
                result[member.key] = member.value
            } else {
                unknownFields.append((
                    .init(file: file, line: member.keyPosition.line, column: member.keyPosition.column,
                          field: path.isEmpty ? member.key : "\(path).\(member.key)"),
                    member.key))
            }
        }
        return result
    }

    func string(_ fields: [String: YAMLValue], _ key: String, _ path: String) throws(KubeError) -> String? {
        guard let value = fields[key] else { return nil }
        switch value.content {
        case .null: return nil
        case .string(let text): return text
        default: throw typeError(value, join(path, key), expected: "a string")
        }
    }

    func bool(_ fields: [String: YAMLValue], _ key: String, _ path: String) throws(KubeError) -> Bool? {
        guard let value = fields[key] else { return nil }
        switch value.content {
        case .null: return nil
        case .bool(let flag): return flag
        default: throw typeError(value, join(path, key), expected: "a boolean (true or false)")
        }
    }

    func stringArray(_ fields: [String: YAMLValue], _ key: String, _ path: String) throws(KubeError) -> [String] {
        guard let value = fields[key] else { return [] }
        switch value.content {
        case .null: return []
        case .array(let items):
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item.content else {
                    throw typeError(item, "\(join(path, key))[\(index)]", expected: "a string")
                }
                result.append(text)
            }
            return result
        default: throw typeError(value, join(path, key), expected: "a list of strings")
        }
    }

    func base64(_ fields: [String: YAMLValue], _ key: String, _ path: String) throws(KubeError) -> Sensitive<[UInt8]>? {
        guard let text = try string(fields, key, path), !text.isEmpty else { return nil }
        guard let bytes = Base64.decode(text) else {
            // Never echo the value: it may be a private key.
            throw KubeError(
                code: .invalidBase64,
                message: "\(key) is not valid base64 (it must hold the base64 encoding of the PEM file, e.g. the output of `base64 -w0 file.pem`)",
                location: location(fields[key]!, join(path, key)))
        }
        return Sensitive(bytes)
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // MARK: Top level

    mutating func decodeConfig(_ root: YAMLValue, into config: inout Kubeconfig) throws(KubeError) {
        let fields = try members(root, "", known: [
            "apiVersion", "kind", "preferences", "clusters", "users", "contexts", "current-context", "extensions",
        ])
        config.apiVersion = try string(fields, "apiVersion", "")
        config.kind = try string(fields, "kind", "")
        if let kind = config.kind, !kind.isEmpty, kind != "Config" {
            throw KubeError(code: .invalidConfiguration, message: "kind is \"\(kind)\", but a kubeconfig has kind \"Config\"",
                            location: location(fields["kind"]!, "kind"))
        }
        if let apiVersion = config.apiVersion, !apiVersion.isEmpty, apiVersion != "v1" {
            throw KubeError(code: .invalidConfiguration, message: "apiVersion is \"\(apiVersion)\", but KubeKit reads kubeconfig apiVersion \"v1\"",
                            location: location(fields["apiVersion"]!, "apiVersion"))
        }
        config.currentContext = try string(fields, "current-context", "")
        if let value = fields["preferences"] {
            let preferenceFields = try members(value, "preferences", known: ["colors", "extensions"])
            config.preferences = Preferences(
                colors: try bool(preferenceFields, "colors", "preferences"),
                extensions: try extensions(preferenceFields["extensions"], "preferences.extensions"))
        }
        config.extensions = try extensions(fields["extensions"], "extensions")
        config.clusters = try namedList(fields["clusters"], "clusters", inner: "cluster") { reader, value, path throws(KubeError) in
            try reader.decodeCluster(value, path)
        }.map { NamedCluster(name: $0.name, cluster: $0.value, origin: $0.origin) }
        config.users = try namedList(fields["users"], "users", inner: "user") { reader, value, path throws(KubeError) in
            try reader.decodeUser(value, path)
        }.map { NamedUser(name: $0.name, user: $0.value, origin: $0.origin) }
        config.contexts = try namedList(fields["contexts"], "contexts", inner: "context") { reader, value, path throws(KubeError) in
            try reader.decodeContext(value, path)
        }.map { NamedContext(name: $0.name, context: $0.value, origin: $0.origin) }
    }

    /// Decodes `[{name, <inner>}]`, rejecting duplicate names (as client-go does).
    mutating func namedList<Value>(
        _ value: YAMLValue?, _ path: String, inner: String,
        decode: (inout FieldReader, YAMLValue, String) throws(KubeError) -> Value
    ) throws(KubeError) -> [(name: String, value: Value, origin: Origin)] {
        guard let value else { return [] }
        if case .null = value.content { return [] }
        guard case .array(let items) = value.content else {
            throw typeError(value, path, expected: "a list of {name, \(inner)} entries")
        }
        var result: [(name: String, value: Value, origin: Origin)] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            let fields = try members(item, itemPath, known: ["name", inner])
            guard let name = try string(fields, "name", itemPath), !name.isEmpty else {
                throw KubeError(code: .invalidConfiguration, message: "every entry of \(path) needs a name",
                                location: location(item, "\(itemPath).name"))
            }
            if let firstLine = seen[name] {
                throw KubeError(code: .invalidConfiguration,
                                message: "duplicate name \"\(name)\" in \(path) (first defined at line \(firstLine))",
                                location: location(fields["name"]!, "\(itemPath).name"))
            }
            seen[name] = item.position.line
            let innerValue = fields[inner] ?? YAMLValue(.null, at: item.position)
            let decoded = try decode(&self, innerValue, "\(itemPath).\(inner)")
            result.append((name, decoded, Origin(file: file, line: item.position.line)))
        }
        return result
    }

    mutating func extensions(_ value: YAMLValue?, _ path: String) throws(KubeError) -> [NamedExtension] {
        try namedList(value, path, inner: "extension") { _, value, _ throws(KubeError) in value.json }
            .map { NamedExtension(name: $0.name, content: $0.value) }
    }

    // MARK: Stanzas

    mutating func decodeCluster(_ value: YAMLValue, _ path: String) throws(KubeError) -> Cluster {
        let fields = try members(value, path, known: [
            "server", "tls-server-name", "insecure-skip-tls-verify", "certificate-authority",
            "certificate-authority-data", "proxy-url", "disable-compression", "extensions",
        ])
        var cluster = Cluster()
        cluster.server = try string(fields, "server", path)
        cluster.tlsServerName = try string(fields, "tls-server-name", path)
        cluster.insecureSkipTLSVerify = try bool(fields, "insecure-skip-tls-verify", path)
        cluster.certificateAuthority = try string(fields, "certificate-authority", path)
        cluster.certificateAuthorityData = try base64(fields, "certificate-authority-data", path)
        cluster.proxyURL = try string(fields, "proxy-url", path)
        cluster.disableCompression = try bool(fields, "disable-compression", path)
        cluster.extensions = try extensions(fields["extensions"], join(path, "extensions"))
        return cluster
    }

    mutating func decodeUser(_ value: YAMLValue, _ path: String) throws(KubeError) -> AuthInfo {
        let fields = try members(value, path, known: [
            "client-certificate", "client-certificate-data", "client-key", "client-key-data", "token", "tokenFile",
            "as", "as-uid", "as-groups", "as-user-extra", "username", "password", "auth-provider", "exec", "extensions",
        ])
        var user = AuthInfo()
        user.clientCertificate = try string(fields, "client-certificate", path)
        user.clientCertificateData = try base64(fields, "client-certificate-data", path)
        user.clientKey = try string(fields, "client-key", path)
        user.clientKeyData = try base64(fields, "client-key-data", path)
        user.token = try string(fields, "token", path).flatMap { $0.isEmpty ? nil : Sensitive($0) }
        user.tokenFile = try string(fields, "tokenFile", path)
        user.impersonate = try string(fields, "as", path)
        user.impersonateUID = try string(fields, "as-uid", path)
        user.impersonateGroups = try stringArray(fields, "as-groups", path)
        if let extra = fields["as-user-extra"] {
            let extraPath = join(path, "as-user-extra")
            if case .object(let members) = extra.content {
                for member in members {
                    user.impersonateUserExtra[member.key] = try stringArray([member.key: member.value], member.key, extraPath)
                }
            } else if extra.content != .null {
                throw typeError(extra, extraPath, expected: "a mapping of strings to lists of strings")
            }
        }
        user.username = try string(fields, "username", path)
        user.password = try string(fields, "password", path).flatMap { $0.isEmpty ? nil : Sensitive($0) }
        if let provider = fields["auth-provider"], provider.content != .null {
            let providerPath = join(path, "auth-provider")
            let providerFields = try members(provider, providerPath, known: ["name", "config"])
            var config: [String: Sensitive<String>] = [:]
            if let configValue = providerFields["config"] {
                let configPath = join(providerPath, "config")
                if case .object(let members) = configValue.content {
                    for member in members {
                        guard case .string(let text) = member.value.content else {
                            throw typeError(member.value, join(configPath, member.key), expected: "a string")
                        }
                        config[member.key] = Sensitive(text)
                    }
                } else if configValue.content != .null {
                    throw typeError(configValue, configPath, expected: "a mapping of strings")
                }
            }
            user.authProvider = AuthProviderConfig(name: try string(providerFields, "name", providerPath) ?? "", config: config)
        }
        if let exec = fields["exec"], exec.content != .null {
            user.exec = try decodeExec(exec, join(path, "exec"))
        }
        user.extensions = try extensions(fields["extensions"], join(path, "extensions"))
        return user
    }

    mutating func decodeExec(_ value: YAMLValue, _ path: String) throws(KubeError) -> ExecConfig {
        let fields = try members(value, path, known: [
            "command", "args", "env", "apiVersion", "installHint", "provideClusterInfo", "interactiveMode",
        ])
        var exec = ExecConfig(command: try string(fields, "command", path) ?? "")
        exec.args = try stringArray(fields, "args", path)
        exec.apiVersion = try string(fields, "apiVersion", path)
        exec.installHint = try string(fields, "installHint", path)
        exec.provideClusterInfo = try bool(fields, "provideClusterInfo", path) ?? false
        exec.interactiveMode = try string(fields, "interactiveMode", path).map(ExecConfig.InteractiveMode.init(rawValue:))
        if let env = fields["env"], env.content != .null {
            let envPath = join(path, "env")
            guard case .array(let items) = env.content else {
                throw typeError(env, envPath, expected: "a list of {name, value} entries")
            }
            for (index, item) in items.enumerated() {
                let itemPath = "\(envPath)[\(index)]"
                let entry = try members(item, itemPath, known: ["name", "value"])
                exec.env.append(.init(name: try string(entry, "name", itemPath) ?? "",
                                      value: try string(entry, "value", itemPath) ?? ""))
            }
        }
        return exec
    }

    mutating func decodeContext(_ value: YAMLValue, _ path: String) throws(KubeError) -> Context {
        let fields = try members(value, path, known: ["cluster", "user", "namespace", "extensions"])
        var context = Context()
        context.cluster = try string(fields, "cluster", path)
        context.user = try string(fields, "user", path)
        context.namespace = try string(fields, "namespace", path)
        context.extensions = try extensions(fields["extensions"], join(path, "extensions"))
        return context
    }
}

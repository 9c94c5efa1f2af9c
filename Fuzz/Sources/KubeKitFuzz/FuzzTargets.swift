import Foundation
import KubeConfig
import KubeErrors
@_spi(Fuzzing) import KubeResources
@_spi(Fuzzing) import KubeTransport

/// The fuzz target, chosen by `KUBEKIT_FUZZ_TARGET` (Scripts/fuzz.sh sets it):
/// - `yaml`: YAMLReader (both duplicate-key modes), JSON conversion and printing.
/// - `manifests`: ManifestReader (document splitting, JSON streams, Lists) and DynamicObject.
/// - `kubeconfig`: kubeconfig decoding and resolution.
/// - `status`: an error response body (JSON Status, HTML, text) turned into a KubeError and its message.
/// - `watch`: one watch event line.
/// - `json`: the generated fast JSON decoders against JSONDecoder (same value or both fail).
/// - `websocket`: WebSocket frames, the upgrade answer, chunked bodies.
/// - `tar`: tar archives from a container (cp) and the exec error channel's Status.
enum Target: String {
    case yaml, manifests, kubeconfig, status, watch, json, websocket, tar

    static let selected: Target = {
        let name = ProcessInfo.processInfo.environment["KUBEKIT_FUZZ_TARGET"] ?? ""
        guard let target = Target(rawValue: name) else {
            FileHandle.standardError.write(Data("KUBEKIT_FUZZ_TARGET must be one of yaml, manifests, kubeconfig, status, watch, json, websocket, tar\n".utf8))
            exit(2)
        }
        return target
    }()
}

// SwiftPM links an executable's entry point as `<module>_main`; with `-parse-as-library` there is none, so
// this is it, and it hands control to libFuzzer's driver (whose own `main` is then not linked).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("KubeKitFuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeBufferPointer(start: $0, count: count)) } ?? []
    switch Target.selected {
    case .yaml:
        for duplicates in [YAMLReader.Options.DuplicateKeys.reject, .lastWins] {
            guard let documents = try? YAMLReader.documents(in: bytes, options: .init(duplicateKeys: duplicates)) else { continue }
            for document in documents { _ = document.root?.json.jsonText }
        }
    case .manifests:
        FuzzingEntryPoints.manifests(bytes)
    case .kubeconfig:
        if let config = try? Kubeconfig(yaml: String(decoding: bytes, as: UTF8.self)) {
            _ = String(describing: config)
            if let resolved = try? KubeconfigLoader(environment: [:]).resolve(config) { _ = resolved.description }
        }
    case .status:
        for contentType in ["application/json", "text/html", nil] {
            let error = KubeError.api(statusCode: 500, contentType: contentType, retryAfter: nil, body: bytes, request: nil)
            _ = error.description
        }
    case .watch:
        FuzzingEntryPoints.watchLine(bytes)
    case .websocket:
        TransportFuzzingEntryPoints.webSocket(bytes)
    case .tar:
        FuzzingEntryPoints.tar(bytes)
        FuzzingEntryPoints.execStatus(bytes)
    case .json:
        if let problem = FuzzingEntryPoints.compareDecoders(bytes) {
            FileHandle.standardError.write(Data("KubeKitFuzz: \(problem)\n".utf8))
            abort()
        }
    }
    return 0
}

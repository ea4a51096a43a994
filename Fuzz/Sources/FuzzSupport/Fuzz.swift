import Foundation

/// One libFuzzer input through a harness `body`: a thrown Swift error is an accepted outcome, a trap
/// or crash is a finding. Each harness calls this from its `LLVMFuzzerTestOneInput` (libFuzzer's main
/// drives it: `-sanitize=fuzzer` links libFuzzer in).
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: (Data) throws -> Void) -> CInt {
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    do { try body(bytes) } catch {}
    return 0
}

/// For targets whose seeds are made by CAMKit's own writers from the fixtures: with
/// `FUZZ_WRITE_SEEDS=DIR` in the environment, writes `seeds()` into DIR and exits (Fuzz/run.sh).
/// Call it from the harness's `LLVMFuzzerInitialize`.
public func writeSeedsIfAsked(_ seeds: () throws -> [Data]) {
    guard let dir = ProcessInfo.processInfo.environment["FUZZ_WRITE_SEEDS"] else { return }
    do {
        for (i, seed) in try seeds().enumerated() {
            try seed.write(to: URL(fileURLWithPath: dir).appendingPathComponent("generated-\(i)"))
        }
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("cannot write seeds: \(error)\n".utf8))
        exit(1)
    }
}

/// A folder private to this process, for harnesses whose parser reads files (libhdf5, dataset readers).
public let scratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("camkit-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: scratch) }
    return url
}()

/// Writes `data` to `name` inside `scratch` (creating folders) and returns its URL.
@discardableResult
public func scratchFile(_ name: String, _ data: Data) throws -> URL {
    let url = scratch.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
    return url
}

/// `data` cut into `count` parts at each `separator` line (`\n----\n`): how one input carries
/// several files (wsolevaluation's four lists, a VOC split and its annotation). Missing parts are empty.
public func parts(_ data: Data, count: Int) -> [Data] {
    let separator = Data("\n----\n".utf8)
    var out: [Data] = []
    var rest = data[...]
    while out.count < count - 1, let r = rest.range(of: separator) {
        out.append(Data(rest[..<r.lowerBound]))
        rest = rest[r.upperBound...]
    }
    out.append(Data(rest))
    return out + Array(repeating: Data(), count: count - out.count)
}

/// The repository's test fixtures folder (make runs the harnesses from the repository root).
public let fixtures = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Tests/Fixtures")

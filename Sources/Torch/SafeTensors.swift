import Foundation
#if canImport(Glibc)
    import Glibc
#endif

#if _endian(big)
    #error("safetensors stores little-endian data; CAMKit reads it without byte swapping")
#endif

// The safetensors format (https://github.com/huggingface/safetensors, "Format"):
//
//   8 bytes   N, the header length, unsigned little-endian 64-bit
//   N bytes   UTF-8 JSON object, starting with '{', possibly padded with trailing spaces:
//             { "__metadata__": { "k": "v", ... },            (optional, strings only)
//               "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ... }
//   rest      the data section; offsets are relative to its start, every byte belongs to exactly
//             one tensor, tensors are row-major little-endian.

/// The tensors and metadata of one safetensors file.
public struct SafeTensorsFile: Sendable {
    /// Tensors by name.
    public var tensors: [String: Tensor]
    /// Tensor names in the order their data appears in the file.
    public var order: [String]
    /// The `__metadata__` string map (empty when the file has none).
    public var metadata: [String: String]
    /// Where the tensors came from (a path, or what the caller named the bytes); used in errors.
    public var source: String

    public init(tensors: [String: Tensor] = [:], order: [String]? = nil, metadata: [String: String] = [:], source: String = "") {
        self.tensors = tensors
        self.order = order ?? tensors.keys.sorted()
        self.metadata = metadata
        self.source = source
    }

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// The tensor called `name`, or an error that lists what the file does hold.
    public func tensor(_ name: String) throws -> Tensor {
        if let t = tensors[name] { return t }
        let known = order.prefix(20).map { "'\($0)'" }.joined(separator: ", ")
        throw SafeTensorsError(
            source: source, kind: .missingTensor,
            problem: "no tensor named '\(name)' (the file holds \(order.count): \(known)\(order.count > 20 ? ", ..." : ""))")
    }

    /// (name, tensor) pairs in file order.
    public var ordered: [(String, Tensor)] { order.compactMap { name in tensors[name].map { (name, $0) } } }
}

/// A safetensors file that cannot be read or written: which file, what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The file cannot be opened, read, created or renamed.
        case io
        /// Fewer than the 8 bytes of the header length.
        case fileTooShort
        /// The header length is larger than the file or over the 100 MB limit.
        case headerLength
        /// The header is not UTF-8, not JSON, not an object, or does not start with '{'.
        case headerJSON
        /// A header field is missing or has the wrong type.
        case headerSchema
        /// A dtype of the format that libtorch 1.13 cannot hold (U16, U32, U64, F8_*, ...).
        case unsupportedDType
        /// A dtype string the format does not define.
        case unknownDType
        case negativeDimension
        /// data_offsets negative, begin after end, or past the end of the data section.
        case offsets
        case overlap
        /// Data bytes that belong to no tensor (between tensors or after the last one).
        case hole
        /// A tensor's byte range does not match its shape and dtype.
        case byteCount
        /// A tensor name, metadata key or field given twice.
        case duplicateName
        /// The file ends before the data its tensors need.
        case truncated
        /// Element bytes that are not a valid value (BOOL other than 0 or 1).
        case invalidValue
        /// `SafeTensorsFile.tensor(_:)` was asked for a name the file lacks.
        case missingTensor
        /// Something that cannot be written (reserved or duplicate names).
        case invalidArgument
        /// libtorch refused a tensor.
        case tensor
    }

    /// The file (path or caller-given name).
    public let source: String
    public let kind: Kind
    /// What is wrong, in words.
    public let problem: String

    public init(source: String, kind: Kind, problem: String) {
        self.source = source
        self.kind = kind
        self.problem = problem
    }

    public var description: String { "safetensors file \(source): \(problem)" }
}

extension DType {
    /// The dtype's name in the safetensors format.
    public var safeTensorsName: String {
        switch self {
        case .bool: "BOOL"
        case .uint8: "U8"
        case .int8: "I8"
        case .int16: "I16"
        case .int32: "I32"
        case .int64: "I64"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .float32: "F32"
        case .float64: "F64"
        }
    }

    /// The dtype with this safetensors name, if libtorch has it.
    public init?(safeTensorsName name: String) {
        guard let match = DType.allCases.first(where: { $0.safeTensorsName == name }) else { return nil }
        self = match
    }

    /// Dtypes the format defines that have no libtorch 1.13 counterpart.
    static let unsupportedSafeTensorsNames: Set<String> = [
        "U16", "U32", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"
    ]

    /// The Python package writes tensors by dtype, largest alignment first (its Dtype enum order, reversed).
    var safeTensorsWriteRank: Int {
        switch self {
        case .bool: 0
        case .uint8: 1
        case .int8: 2
        case .int16: 3
        case .float16: 4
        case .bfloat16: 5
        case .int32: 6
        case .float32: 7
        case .float64: 8
        case .int64: 9
        }
    }
}

/// Reading and writing the safetensors format, in Swift.
public enum SafeTensors {
    /// Largest header accepted (the Python package's limit).
    public static let maxHeaderLength = 100_000_000

    // MARK: reading

    /// Reads a file, memory-mapped: only the tensors' own copies take memory.
    public static func read(contentsOf url: URL) throws -> SafeTensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError(source: url.path, kind: .io, problem: "cannot read the file: \(error.localizedDescription)")
        }
        return try read(bytes: data, source: url.path)
    }

    /// Reads a whole safetensors file held in `bytes`; `source` names it in errors.
    public static func read(bytes: Data, source: String) throws -> SafeTensorsFile {
        try bytes.withUnsafeBytes { try read(bytes: $0, source: source) }
    }

    /// Reads a whole safetensors file held in `bytes`; `source` names it in errors.
    public static func read(bytes: UnsafeRawBufferPointer, source: String) throws -> SafeTensorsFile {
        let check = Checker(source: source)
        let (headerBytes, data) = try check.split(bytes)
        let header = try check.header(headerBytes)
        try check.layout(header.entries, dataLength: data.count)

        var tensors: [String: Tensor] = [:]
        for entry in header.entries {
            let range = UnsafeRawBufferPointer(rebasing: data[entry.begin..<entry.end])
            if entry.dtype == .bool { try check.bools(range, of: entry) }
            do {
                tensors[entry.name] = try Tensor(bytes: range, dtype: entry.dtype, shape: entry.shape)
            } catch {
                throw check.error(.tensor, "tensor '\(entry.name)': \(error)")
            }
        }
        return SafeTensorsFile(tensors: tensors, order: header.entries.map(\.name), metadata: header.metadata, source: source)
    }

    // MARK: writing

    /// Writes `tensors` to `url` atomically (a temporary file in the same folder, then a rename).
    /// Tensors are laid out as the Python package lays them out: by dtype, widest first, then by name;
    /// the header is padded with spaces to a multiple of 8 bytes.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
        let plan = try Plan(tensors, metadata: metadata, source: url.path)
        try writeAtomically(to: url) { handle in
            try handle.write(contentsOf: plan.header)
            for (name, tensor) in plan.tensors {
                try handle.write(contentsOf: try plan.bytes(of: tensor, name: name))
            }
        }
    }

    /// Writes `tensors` to `url` atomically; see `write(_:metadata:to:)` for the layout.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try write(tensors.map { ($0.key, $0.value) }, metadata: metadata, to: url)
    }

    /// The bytes of a safetensors file holding `tensors`, laid out as `write` lays them out.
    public static func serialize(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> Data {
        let plan = try Plan(tensors, metadata: metadata, source: "(in memory)")
        var out = plan.header
        for (name, tensor) in plan.tensors { out.append(contentsOf: try plan.bytes(of: tensor, name: name)) }
        return out
    }

    /// Runs `body` on a temporary file next to `url`, then renames it over `url`; removes it on failure.
    static func writeAtomically(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let source = url.path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw SafeTensorsError(
                source: source, kind: .io,
                problem: "cannot create a temporary file in \(temporary.deletingLastPathComponent().path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                throw SafeTensorsError(source: source, kind: .io, problem: "cannot rename the temporary file into place: \(reason)")
            }
        } catch let error as SafeTensorsError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SafeTensorsError(source: source, kind: .io, problem: "cannot write the file: \(error.localizedDescription)")
        }
    }
}

// MARK: - reading: checks

/// One tensor as the header describes it.
struct SafeTensorsEntry {
    var name: String
    var dtype: DType
    var shape: [Int]
    var begin: Int
    var end: Int
}

/// The strict checks of a file being read; every failure names `source`.
private struct Checker {
    let source: String

    func error(_ kind: SafeTensorsError.Kind, _ problem: String) -> SafeTensorsError {
        SafeTensorsError(source: source, kind: kind, problem: problem)
    }

    /// Splits the file into header bytes and data section.
    func split(_ file: UnsafeRawBufferPointer) throws -> (header: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer) {
        guard file.count >= 8 else {
            throw error(
                .fileTooShort, "the file is \(file.count) bytes long, shorter than the 8-byte header length that starts every safetensors file")
        }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(file[i]) }
        guard length <= UInt64(SafeTensors.maxHeaderLength) else {
            throw error(
                .headerLength,
                "header length \(length) is over the \(SafeTensors.maxHeaderLength)-byte limit (not a safetensors file, or a corrupt one)")
        }
        let n = Int(length)
        guard n <= file.count - 8 else {
            throw error(
                .headerLength, "header length \(n) is larger than the \(file.count - 8) bytes that follow it (truncated or not a safetensors file)")
        }
        return (UnsafeRawBufferPointer(rebasing: file[8..<(8 + n)]), UnsafeRawBufferPointer(rebasing: file[(8 + n)...]))
    }

    /// Parses and checks the header: JSON, field types, dtypes, shapes, offsets per tensor.
    /// Entries come back in data order (by begin offset, then end, then header order).
    func header(_ bytes: UnsafeRawBufferPointer) throws -> (entries: [SafeTensorsEntry], metadata: [String: String]) {
        let members = try jsonObject(bytes)
        var entries: [SafeTensorsEntry] = []
        var metadata: [String: String]?
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else {
                throw error(
                    .duplicateName,
                    name == "__metadata__"
                        ? "the header has two __metadata__ entries"
                        : "tensor name '\(name)' appears twice in the header")
            }
            if name == "__metadata__" {
                metadata = try self.metadata(value)
            } else {
                entries.append(try entry(name, value))
            }
        }
        let sorted = entries.enumerated().sorted {
            ($0.element.begin, $0.element.end, $0.offset) < ($1.element.begin, $1.element.end, $1.offset)
        }.map(\.element)
        return (sorted, metadata ?? [:])
    }

    func jsonObject(_ bytes: UnsafeRawBufferPointer) throws -> [(key: String, value: HeaderJSON)] {
        guard !bytes.isEmpty else { throw error(.headerJSON, "the header is empty") }
        let invalidUTF8 = transcode(bytes.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true) { _ in }
        if invalidUTF8 { throw error(.headerJSON, "the header is not valid UTF-8") }
        let json: HeaderJSON
        do {
            json = try HeaderJSON.parse(bytes)
        } catch {
            throw self.error(.headerJSON, "the header is not valid JSON: \(error.message) at header byte \(error.offset)")
        }
        guard case .object(let members) = json else {
            throw error(.headerJSON, "the header is \(json.kindName), not a JSON object")
        }
        guard bytes.first == UInt8(ascii: "{") else {
            throw error(.headerJSON, "the header must start with '{' (it starts with whitespace)")
        }
        return members
    }

    func metadata(_ value: HeaderJSON) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw error(.headerSchema, "__metadata__ is \(value.kindName), expected an object of strings")
        }
        var result: [String: String] = [:]
        for (key, v) in members {
            guard case .string(let s) = v else {
                throw error(.headerSchema, "__metadata__ must map strings to strings; '\(key)' holds \(v.kindName)")
            }
            guard result.updateValue(s, forKey: key) == nil else {
                throw error(.duplicateName, "__metadata__ key '\(key)' appears twice")
            }
        }
        return result
    }

    /// One tensor's description: fields present and typed, dtype known and supported,
    /// shape non-negative, offsets ordered and matching shape × dtype size.
    func entry(_ name: String, _ value: HeaderJSON) throws -> SafeTensorsEntry {
        guard case .object(let members) = value else {
            throw error(.headerSchema, "tensor '\(name)' is described by \(value.kindName), expected an object with dtype, shape and data_offsets")
        }
        var fields: [String: HeaderJSON] = [:]
        for (key, v) in members where fields.updateValue(v, forKey: key) != nil {
            throw error(.duplicateName, "tensor '\(name)' has the field '\(key)' twice")
        }
        func field(_ key: String) throws -> HeaderJSON {
            guard let v = fields[key] else { throw error(.headerSchema, "tensor '\(name)' has no '\(key)' field") }
            return v
        }

        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw error(.headerSchema, "tensor '\(name)': dtype must be a string, found \(dtypeValue.kindName)")
        }
        let shape = try integers(field("shape"), "shape", of: name)
        let offsets = try integers(field("data_offsets"), "data_offsets", of: name)
        guard offsets.count == 2 else {
            throw error(.headerSchema, "tensor '\(name)': data_offsets must hold 2 integers [begin, end], found \(offsets.count)")
        }

        let dtype = try self.dtype(dtypeName, of: name)
        if shape.contains(where: { $0 < 0 }) {
            throw error(.negativeDimension, "tensor '\(name)': shape \(shape) has a negative dimension")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= 0 else {
            throw error(.offsets, "tensor '\(name)': data_offsets [\(begin), \(end)] are negative")
        }
        guard begin <= end else {
            throw error(.offsets, "tensor '\(name)': data_offsets [\(begin), \(end)] begin after they end")
        }
        guard let needed = byteCount(shape, dtype) else {
            throw error(.byteCount, "tensor '\(name)': shape \(shape) of \(dtypeName) is too large to address")
        }
        guard end - begin == needed else {
            throw error(
                .byteCount,
                "tensor '\(name)': data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(needed)")
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    func integers(_ value: HeaderJSON, _ field: String, of name: String) throws -> [Int] {
        guard case .array(let elements) = value else {
            throw error(.headerSchema, "tensor '\(name)': \(field) must be an array of integers, found \(value.kindName)")
        }
        return try elements.enumerated().map { i, e in
            guard case .integer(let v) = e else {
                throw error(.headerSchema, "tensor '\(name)': \(field) must be an array of integers, found \(e.kindName) at index \(i)")
            }
            return v
        }
    }

    func dtype(_ text: String, of name: String) throws -> DType {
        if let dtype = DType(safeTensorsName: text) { return dtype }
        if DType.unsupportedSafeTensorsNames.contains(text) {
            let supported = DType.allCases.sorted { $0.safeTensorsWriteRank < $1.safeTensorsWriteRank }.map(\.safeTensorsName)
            throw error(
                .unsupportedDType,
                "tensor '\(name)': dtype \(text) is unsupported (libtorch 1.13 has no such type; supported: \(supported.joined(separator: ", ")))")
        }
        throw error(.unknownDType, "tensor '\(name)': unknown dtype '\(text)'")
    }

    /// shape × dtype size, or nil on overflow.
    func byteCount(_ shape: [Int], _ dtype: DType) -> Int? {
        var n = dtype.byteSize
        for d in shape {
            let (product, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = product
        }
        return n
    }

    /// The tensors (sorted by offset) must tile the data section exactly: nothing past its end,
    /// no overlap, no byte left over.
    func layout(_ entries: [SafeTensorsEntry], dataLength: Int) throws {
        let tiling = tilingProblem(entries)
        if let beyond = entries.first(where: { $0.end > dataLength }) {
            if tiling == nil, let last = entries.last {
                throw error(.truncated, "the file is truncated: its tensors need \(last.end) data bytes but only \(dataLength) follow the header")
            }
            throw error(
                .offsets,
                "tensor '\(beyond.name)': data_offsets [\(beyond.begin), \(beyond.end)] run past the end of the data section (\(dataLength) bytes)")
        }
        if let tiling { throw tiling }
        let covered = entries.last?.end ?? 0
        if covered < dataLength {
            throw error(.hole, "data bytes [\(covered), \(dataLength)) after the last tensor belong to no tensor")
        }
    }

    /// The first gap or overlap between consecutive tensors, if any.
    func tilingProblem(_ entries: [SafeTensorsEntry]) -> SafeTensorsError? {
        var cursor = 0
        var previous: SafeTensorsEntry?
        for e in entries {
            if e.begin < cursor, let p = previous {
                return error(.overlap, "tensors '\(p.name)' [\(p.begin), \(p.end)] and '\(e.name)' [\(e.begin), \(e.end)] overlap")
            }
            if e.begin > cursor {
                return error(.hole, "data bytes [\(cursor), \(e.begin)) before tensor '\(e.name)' belong to no tensor")
            }
            cursor = e.end
            previous = e
        }
        return nil
    }

    /// BOOL elements must be 0 or 1 (libtorch's bool is a byte holding exactly those).
    func bools(_ bytes: UnsafeRawBufferPointer, of entry: SafeTensorsEntry) throws {
        if let i = bytes.firstIndex(where: { $0 > 1 }) {
            throw error(.invalidValue, "tensor '\(entry.name)': BOOL element \(i) is the byte \(bytes[i]); only 0 and 1 are valid")
        }
    }
}

// MARK: - writing: layout

/// What `write` and `serialize` put in a file: the padded header and the tensors in data order.
private struct Plan {
    let source: String
    let header: Data
    let tensors: [(String, Tensor)]

    init(_ input: [(String, Tensor)], metadata: [String: String], source: String) throws {
        self.source = source
        var seen = Set<String>()
        for (name, _) in input {
            if name == "__metadata__" {
                throw SafeTensorsError(source: source, kind: .invalidArgument, problem: "'__metadata__' is reserved and cannot name a tensor")
            }
            if !seen.insert(name).inserted {
                throw SafeTensorsError(source: source, kind: .duplicateName, problem: "tensor name '\(name)' is given twice")
            }
        }
        tensors = input.sorted { a, b in
            let (ra, rb) = (a.1.dtype.safeTensorsWriteRank, b.1.dtype.safeTensorsWriteRank)
            return ra != rb ? ra > rb : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
        }

        var members: [(key: String, value: HeaderJSON)] = []
        if !metadata.isEmpty {
            // The Python package writes metadata in hash order; sorted keys make files reproducible.
            let sortedKeys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            members.append(("__metadata__", .object(sortedKeys.map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        for (name, tensor) in tensors {
            let size = tensor.count * tensor.dtype.byteSize
            members.append(
                (
                    name,
                    .object([
                        ("dtype", .string(tensor.dtype.safeTensorsName)),
                        ("shape", .array(tensor.shape.map { .integer($0) })),
                        ("data_offsets", .array([.integer(offset), .integer(offset + size)]))
                    ])
                ))
            offset += size
        }
        var json = Array(HeaderJSON.object(members).compactText.utf8)
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var header = Data(capacity: 8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { header.append(contentsOf: $0) }
        header.append(contentsOf: json)
        self.header = header
    }

    func bytes(of tensor: Tensor, name: String) throws -> [UInt8] {
        do {
            return try tensor.bytes()
        } catch {
            throw SafeTensorsError(source: source, kind: .tensor, problem: "tensor '\(name)': \(error)")
        }
    }
}

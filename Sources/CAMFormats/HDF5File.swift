import CAMCore
import CHDF5
import Foundation
import Torch

/// A failure while reading an HDF5 file, naming the file and the object involved.
public enum HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// No file at this path.
    case fileNotFound(file: String)
    /// The file exists but does not start with the HDF5 signature (not an `.h5` file at all).
    case notHDF5(file: String)
    /// The file has an HDF5 signature but ends before the data it declares (an interrupted copy or download).
    case truncated(file: String, detail: String)
    /// HDF5 refused to open the file for another reason (corrupt metadata, permissions, ...).
    case cannotOpen(file: String, detail: String)
    /// No group or dataset at `path`.
    case missingObject(file: String, path: String)
    /// The object at `path` is not of the kind that was asked for.
    case wrongObjectKind(file: String, path: String, expected: String, found: String)
    /// The object at `object` has no attribute `attribute`.
    case missingAttribute(file: String, object: String, attribute: String)
    /// The element type cannot be read into what was asked for.
    case unsupportedType(file: String, path: String, detail: String)
    /// HDF5 failed while reading data that its metadata describes.
    case readFailed(file: String, path: String, detail: String)
    /// The file was closed before this call.
    case closed(file: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file"
        case .notHDF5(let file):
            return "\(file): not an HDF5 file (no HDF5 signature); Keras weights must be a .h5 file"
        case .truncated(let file, let detail):
            return "\(file): the HDF5 file is truncated (incomplete download or copy?): \(detail)"
        case .cannotOpen(let file, let detail):
            return "\(file): cannot open as HDF5: \(detail)"
        case .missingObject(let file, let path):
            return "\(file): no object at \(path)"
        case .wrongObjectKind(let file, let path, let expected, let found):
            return "\(file): \(path) is a \(found), expected a \(expected)"
        case .missingAttribute(let file, let object, let attribute):
            return "\(file): \(object) has no attribute '\(attribute)'"
        case .unsupportedType(let file, let path, let detail):
            return "\(file): \(path): unsupported element type: \(detail)"
        case .readFailed(let file, let path, let detail):
            return "\(file): \(path): read failed: \(detail)"
        case .closed(let file):
            return "\(file): the HDF5 file was already closed"
        }
    }
}

/// What an HDF5 object is.
public enum HDF5ObjectKind: String, Sendable, Equatable {
    case group, dataset, namedDatatype = "named datatype", other
}

/// The class of a dataset's or attribute's elements.
public enum HDF5ElementClass: String, Sendable, Equatable {
    case float, integer, string, other
}

/// Shape and element type of a dataset.
public struct HDF5DatasetInfo: Sendable, Equatable {
    /// Dimensions (empty for a scalar dataset).
    public let shape: [Int]
    public let elementClass: HDF5ElementClass
    /// Bytes per element as stored in the file.
    public let elementSize: Int

    public init(shape: [Int], elementClass: HDF5ElementClass, elementSize: Int) {
        self.shape = shape
        self.elementClass = elementClass
        self.elementSize = elementSize
    }
}

/// The value of an attribute.
public enum HDF5AttributeValue: Sendable, Equatable {
    /// A scalar string (fixed or variable length).
    case string(String)
    /// A string array (any rank, flattened in row-major order), fixed or variable length.
    case strings([String])
    /// Numbers of any integer or float type, as `Double`, flattened, with their shape (empty: scalar).
    case numbers([Double], shape: [Int])

    /// The value as a list of strings: a scalar string is one element, and an empty numeric array
    /// (how Keras stores `weight_names` of a layer without weights) is an empty list.
    public var stringList: [String]? {
        switch self {
        case .string(let s): return [s]
        case .strings(let list): return list
        case .numbers(let values, _): return values.isEmpty ? [] : nil
        }
    }
}

/// A read-only HDF5 file opened through libhdf5's C API.
///
/// Objects are addressed by absolute paths (`"/model_weights/conv1_conv"`); `HDF5Group` gives a
/// navigable view. Every HDF5 identifier an operation opens is closed before it returns; the file
/// identifier itself is closed by `close()` or on deinit. HDF5's own printing of error stacks to
/// stderr is switched off: failures come back as `HDF5Error`, with HDF5's most specific message.
public final class HDF5File: @unchecked Sendable {
    /// The most bytes one dataset is read into (512 MiB; VGG16's largest Keras kernel is 411 MB).
    public static let maxTensorBytes = 512 << 20
    /// The most elements, and bytes of fixed-length strings, one attribute is read into (Keras'
    /// `layer_names` and `weight_names` lists are thousands of short strings).
    public static let maxAttributeElements = 1 << 20
    public static let maxAttributeBytes = 64 << 20
    /// Where the file is.
    public let url: URL
    /// `url.path`, as used in error messages.
    public var filePath: String { url.path }

    private let lock = NSRecursiveLock()
    private var fileID: hid_t

    /// Opens `url` read-only.
    ///
    /// - Throws: `HDF5Error.fileNotFound`, `.notHDF5` (no HDF5 signature), `.truncated`
    ///   (shorter than its superblock says) or `.cannotOpen`.
    public init(readingFrom url: URL) throws {
        self.url = url
        let path = url.path
        HDF5Library.prepareThread()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw HDF5Error.fileNotFound(file: path)
        }
        let signature = H5Fis_hdf5(path)
        if signature == 0 {
            // A file cut inside its first block still starts with (part of) the signature.
            if HDF5File.startsWithSignature(path) {
                throw HDF5Error.truncated(file: path, detail: "the file ends before its HDF5 superblock")
            }
            throw HDF5Error.notHDF5(file: path)
        }
        if signature < 0 {
            let detail = HDF5Library.takeErrorMessage()
            throw HDF5Error.cannotOpen(file: path, detail: detail)
        }
        let fapl = chdf5_read_fapl()
        defer { if fapl >= 0 { H5Pclose(fapl) } }
        let id = H5Fopen(path, chdf5_acc_rdonly(), fapl >= 0 ? fapl : chdf5_p_default())
        guard id >= 0 else {
            let detail = HDF5Library.takeErrorMessage()
            if detail.localizedCaseInsensitiveContains("truncated") {
                throw HDF5Error.truncated(file: path, detail: detail)
            }
            throw HDF5Error.cannotOpen(file: path, detail: detail)
        }
        fileID = id
    }

    deinit { if fileID >= 0 { H5Fclose(fileID) } }

    /// Closes the file now; later calls throw `HDF5Error.closed`.
    public func close() {
        lock.lock(); defer { lock.unlock() }
        if fileID >= 0 { H5Fclose(fileID) }
        fileID = -1
    }

    /// The root group.
    public var root: HDF5Group { HDF5Group(file: self, path: "/") }

    /// The group at `path`.
    public func group(at path: String) throws -> HDF5Group {
        let kind = try objectKind(at: path)
        guard kind == .group else {
            throw HDF5Error.wrongObjectKind(file: filePath, path: path, expected: "group", found: kind.rawValue)
        }
        return HDF5Group(file: self, path: HDF5File.normalise(path))
    }

    /// Whether a group, dataset or named datatype exists at `path` (every link on the way included).
    public func exists(_ path: String) -> Bool {
        (try? objectKind(at: path)) != nil
    }

    /// The kind of the object at `path`.
    public func objectKind(at path: String) throws -> HDF5ObjectKind {
        try withFile { fid in
            let oid = try openObject(fid, path)
            defer { H5Oclose(oid) }
            switch H5Iget_type(oid) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            case H5I_DATATYPE: return .namedDatatype
            default: return .other
            }
        }
    }

    /// The names of the links in the group at `path`, in HDF5's name order.
    public func childNames(of path: String) throws -> [String] {
        try withFile { fid in
            let gid = H5Gopen2(fid, path, chdf5_p_default())
            guard gid >= 0 else { throw missing(path) }
            defer { H5Gclose(gid) }
            var info = H5G_info_t()
            guard H5Gget_info(gid, &info) >= 0 else {
                throw readFailed(path)
            }
            var names: [String] = []
            names.reserveCapacity(Int(info.nlinks))
            for i in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, chdf5_p_default())
                guard length >= 0 else {
                    throw readFailed(path)
                }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                let written = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, chdf5_p_default())
                guard written >= 0 else {
                    throw readFailed(path)
                }
                names.append(HDF5Library.string(fromCString: buffer))
            }
            return names
        }
    }

    // MARK: attributes

    /// The names of the attributes of the object at `path`, in HDF5's name order.
    public func attributeNames(of path: String) throws -> [String] {
        try withFile { fid in
            let oid = try openObject(fid, path)
            defer { H5Oclose(oid) }
            final class Collector { var names: [String] = [] }
            let collector = Collector()
            var index: hsize_t = 0
            let status = withExtendedLifetime(collector) {
                H5Aiterate2(
                    oid, H5_INDEX_NAME, H5_ITER_INC, &index,
                    { _, name, _, data in
                        guard let name, let data else { return -1 }
                        Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue().names.append(String(cString: name))
                        return 0
                    }, Unmanaged.passUnretained(collector).toOpaque())
            }
            guard status >= 0 else {
                throw readFailed(path)
            }
            return collector.names
        }
    }

    /// Whether the object at `path` exists and has an attribute `name`.
    public func hasAttribute(_ name: String, at path: String) -> Bool {
        (try? withFile { fid -> Bool in
            let oid = try openObject(fid, path)
            defer { H5Oclose(oid) }
            return H5Aexists(oid, name) > 0
        }) ?? false
    }

    /// The value of attribute `name` of the object at `path`.
    public func attribute(_ name: String, at path: String) throws -> HDF5AttributeValue {
        try withFile { fid in
            let oid = try openObject(fid, path)
            defer { H5Oclose(oid) }
            guard H5Aexists(oid, name) > 0 else {
                HDF5Library.clearErrors()
                throw HDF5Error.missingAttribute(file: filePath, object: path, attribute: name)
            }
            let aid = H5Aopen(oid, name, chdf5_p_default())
            guard aid >= 0 else {
                throw readFailed("\(path)@\(name)")
            }
            defer { H5Aclose(aid) }
            return try readAttribute(aid, where: "\(path) attribute '\(name)'")
        }
    }

    private func readAttribute(_ aid: hid_t, where location: String) throws -> HDF5AttributeValue {
        try withTypeAndSpace(of: aid, location, type: H5Aget_type, space: H5Aget_space) { tid, sid in
            let (shape, count) = try extent(sid, location)
            guard count <= Self.maxAttributeElements else {
                throw HDF5Error.unsupportedType(
                    file: filePath, path: location, detail: "the attribute has \(count) elements; at most \(Self.maxAttributeElements) are read")
            }
            switch H5Tget_class(tid) {
            case H5T_STRING:
                var strings: [String]
                if count == 0 {
                    strings = []
                } else if H5Tis_variable_str(tid) > 0 {
                    let memType = H5Tcopy(chdf5_c_s1())
                    defer { H5Tclose(memType) }
                    H5Tset_size(memType, chdf5_variable())
                    H5Tset_cset(memType, H5Tget_cset(tid))
                    var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                    guard H5Aread(aid, memType, &pointers) >= 0 else { throw readFailed(location) }
                    strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
                    _ = chdf5_reclaim(memType, sid, &pointers)
                } else {
                    let size = H5Tget_size(tid)
                    guard size > 0, size <= Self.maxAttributeBytes / max(1, count) else { throw readFailed(location) }
                    let memType = H5Tcopy(tid)
                    defer { H5Tclose(memType) }
                    var bytes = [UInt8](repeating: 0, count: size * count)
                    guard H5Aread(aid, memType, &bytes) >= 0 else { throw readFailed(location) }
                    let spacePadded = H5Tget_strpad(tid) == H5T_STR_SPACEPAD
                    strings = (0..<count).map { i in
                        var element = bytes[(i * size)..<((i + 1) * size)]
                        if let nul = element.firstIndex(of: 0) { element = element[..<nul] }
                        if spacePadded { while element.last == 0x20 { element = element.dropLast() } }
                        return String(decoding: element, as: UTF8.self)
                    }
                }
                if shape.isEmpty, let only = strings.first { return .string(only) }
                return .strings(strings)
            case H5T_FLOAT, H5T_INTEGER:
                var values = [Double](repeating: 0, count: count)
                if count > 0 {
                    guard H5Aread(aid, chdf5_native_double(), &values) >= 0 else { throw readFailed(location) }
                }
                return .numbers(values, shape: shape)
            default:
                if count == 0 { return .numbers([], shape: shape) }
                throw HDF5Error.unsupportedType(
                    file: filePath, path: location,
                    detail: "only string and numeric attributes are read")
            }
        }
    }

    // MARK: datasets

    /// Shape and element type of the dataset at `path`.
    public func datasetInfo(at path: String) throws -> HDF5DatasetInfo {
        try withFile { fid in
            let did = try openDataset(fid, path)
            defer { H5Dclose(did) }
            return try info(did, path)
        }
    }

    /// Reads the dataset at `path` into a tensor of its shape: float32 for floats of up to 4 bytes
    /// (half and single precision), float64 for doubles, int64 for integers.
    public func readTensor(at path: String) throws -> Tensor {
        try withFile { fid in
            let did = try openDataset(fid, path)
            defer { H5Dclose(did) }
            let meta = try info(did, path)
            let count = meta.shape.reduce(1, *)  // checked for overflow by `extent`
            /// The whole dataset converted by HDF5 to `memType`, the native type of `T`.
            func read<T: TensorScalar>(_: T.Type, as memType: hid_t) throws -> Tensor {
                // HDF5 stores a fill value for unwritten data, so a few-kB file can declare terabytes.
                guard count <= Self.maxTensorBytes / MemoryLayout<T>.stride else {
                    throw HDF5Error.unsupportedType(
                        file: filePath, path: path, detail: "its shape \(meta.shape) is over the \(Self.maxTensorBytes)-byte limit of one tensor")
                }
                let values = try [T](unsafeUninitializedCapacity: count) { buffer, initialised in
                    if count > 0, H5Dread(did, memType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer.baseAddress) < 0 {
                        throw readFailed(path)
                    }
                    initialised = count
                }
                return try Tensor(values, shape: meta.shape)
            }
            switch meta.elementClass {
            case .float where meta.elementSize <= 4:
                return try read(Float.self, as: chdf5_native_float())
            case .float:
                return try read(Double.self, as: chdf5_native_double())
            case .integer:
                return try read(Int64.self, as: chdf5_native_int64())
            case .string, .other:
                throw HDF5Error.unsupportedType(
                    file: filePath, path: path,
                    detail: "\(meta.elementClass.rawValue) dataset cannot be read as a tensor")
            }
        }
    }

    // MARK: internals

    private func withFile<R>(_ body: (hid_t) throws -> R) throws -> R {
        lock.lock(); defer { lock.unlock() }
        guard fileID >= 0 else { throw HDF5Error.closed(file: filePath) }
        HDF5Library.prepareThread()
        return try body(fileID)
    }

    private func missing(_ path: String) -> HDF5Error {
        HDF5Library.clearErrors()
        return .missingObject(file: filePath, path: path)
    }

    private func openObject(_ fid: hid_t, _ path: String) throws -> hid_t {
        let oid = H5Oopen(fid, path, chdf5_p_default())
        guard oid >= 0 else { throw missing(path) }
        return oid
    }

    private func openDataset(_ fid: hid_t, _ path: String) throws -> hid_t {
        let oid = try openObject(fid, path)
        guard H5Iget_type(oid) == H5I_DATASET else {
            let found: HDF5ObjectKind = H5Iget_type(oid) == H5I_GROUP ? .group : .other
            H5Oclose(oid)
            throw HDF5Error.wrongObjectKind(file: filePath, path: path, expected: "dataset", found: found.rawValue)
        }
        return oid
    }

    private func info(_ did: hid_t, _ path: String) throws -> HDF5DatasetInfo {
        try withTypeAndSpace(of: did, path, type: H5Dget_type, space: H5Dget_space) { tid, sid in
            let (shape, _) = try extent(sid, path)
            let elementClass: HDF5ElementClass
            switch H5Tget_class(tid) {
            case H5T_FLOAT: elementClass = .float
            case H5T_INTEGER: elementClass = .integer
            case H5T_STRING: elementClass = .string
            default: elementClass = .other
            }
            return HDF5DatasetInfo(shape: shape, elementClass: elementClass, elementSize: H5Tget_size(tid))
        }
    }

    /// Calls `body` with the datatype and the dataspace of the attribute or dataset `id` (opened
    /// by `type` and `space`), closing both after; either failing to open is `readFailed` at `location`.
    private func withTypeAndSpace<R>(
        of id: hid_t, _ location: String, type: (hid_t) -> hid_t, space: (hid_t) -> hid_t,
        _ body: (_ tid: hid_t, _ sid: hid_t) throws -> R
    ) throws -> R {
        let tid = type(id)
        guard tid >= 0 else { throw readFailed(location) }
        defer { H5Tclose(tid) }
        let sid = space(id)
        guard sid >= 0 else { throw readFailed(location) }
        defer { H5Sclose(sid) }
        return try body(tid, sid)
    }

    /// HDF5 failed reading at `location`, with HDF5's most specific message (taken, so cleared).
    private func readFailed(_ location: String) -> HDF5Error {
        .readFailed(file: filePath, path: location, detail: HDF5Library.takeErrorMessage())
    }

    /// Dimensions and element count of a dataspace (a null dataspace has shape [0]).
    private func extent(_ sid: hid_t, _ location: String) throws -> (shape: [Int], count: Int) {
        switch H5Sget_simple_extent_type(sid) {
        case H5S_SCALAR:
            return ([], 1)
        case H5S_NULL:
            return ([0], 0)
        default:
            let rank = H5Sget_simple_extent_ndims(sid)
            guard rank >= 0 else {
                throw readFailed(location)
            }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            if rank > 0 { H5Sget_simple_extent_dims(sid, &dims, nil) }
            // A corrupt dataspace can declare any size: one past Int, or whose product overflows, is refused.
            var count = 1
            var shape: [Int] = []
            for d in dims {
                guard let n = Int(exactly: d), case let (m, false) = count.multipliedReportingOverflow(by: n) else {
                    throw HDF5Error.unsupportedType(file: filePath, path: location, detail: "its dimensions \(dims) overflow")
                }
                shape.append(n)
                count = m
            }
            return (shape, count)
        }
    }

    /// Whether the file's first bytes are the HDF5 signature or a non-empty prefix of it.
    static func startsWithSignature(_ path: String) -> Bool {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: signature.count)) ?? Data())
        return !head.isEmpty && Array(signature.prefix(head.count)) == head
    }

    static func normalise(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return "/" + parts.joined(separator: "/")
    }
}

/// A group of an open `HDF5File`, addressed by its absolute path.
public struct HDF5Group: Sendable {
    public let file: HDF5File
    /// Absolute path, `"/"` for the root.
    public let path: String

    /// The last path component (`"/"` for the root).
    public var name: String { path == "/" ? "/" : String(path.split(separator: "/").last ?? "") }

    /// The absolute path of `relative` inside this group (`relative` may contain `/`).
    public func path(of relative: String) -> String {
        HDF5File.normalise(path == "/" ? "/" + relative : path + "/" + relative)
    }

    /// The names of this group's members.
    public func childNames() throws -> [String] { try file.childNames(of: path) }

    /// The members with their kinds.
    public func children() throws -> [(name: String, kind: HDF5ObjectKind)] {
        try childNames().map { ($0, (try? file.objectKind(at: path(of: $0))) ?? .other) }
    }

    /// The member groups, in name order.
    public func groups() throws -> [HDF5Group] {
        try children().filter { $0.kind == .group }.map { HDF5Group(file: file, path: path(of: $0.name)) }
    }

    /// The subgroup at `relative`.
    public func group(_ relative: String) throws -> HDF5Group { try file.group(at: path(of: relative)) }

    /// Whether an object exists at `relative`.
    public func contains(_ relative: String) -> Bool { file.exists(path(of: relative)) }

    public func attributeNames() throws -> [String] { try file.attributeNames(of: path) }
    public func hasAttribute(_ name: String) -> Bool { file.hasAttribute(name, at: path) }
    public func attribute(_ name: String) throws -> HDF5AttributeValue { try file.attribute(name, at: path) }

    /// A string attribute: a scalar string, or a one-element string array.
    public func stringAttribute(_ name: String) throws -> String {
        let value = try attribute(name)
        switch value {
        case .string(let s): return s
        case .strings(let list) where list.count == 1: return list[0]
        default:
            throw HDF5Error.unsupportedType(
                file: file.filePath, path: "\(path) attribute '\(name)'",
                detail: "expected a string, found \(value)")
        }
    }

    /// A string-array attribute (see `HDF5AttributeValue.stringList`).
    public func stringArrayAttribute(_ name: String) throws -> [String] {
        let value = try attribute(name)
        guard let list = value.stringList else {
            throw HDF5Error.unsupportedType(
                file: file.filePath, path: "\(path) attribute '\(name)'",
                detail: "expected strings, found \(value)")
        }
        return list
    }

    public func datasetInfo(_ relative: String) throws -> HDF5DatasetInfo { try file.datasetInfo(at: path(of: relative)) }
    public func readTensor(_ relative: String) throws -> Tensor { try file.readTensor(at: path(of: relative)) }
}

/// Process-wide libhdf5 settings and the per-thread error stack.
enum HDF5Library {
    /// Turns off HDF5's printing of error stacks for the calling thread (stacks are per thread in
    /// thread-safe builds, so this runs before every operation; it is cheap).
    static func prepareThread() { chdf5_silence_errors() }

    /// HDF5's messages on this thread's error stack, most general first and most specific last,
    /// joined with "; ", and then clears the stack.
    static func takeErrorMessage() -> String {
        final class Messages { var list: [String] = [] }
        let messages = Messages()
        withExtendedLifetime(messages) {
            _ = H5Ewalk2(
                chdf5_e_default(), H5E_WALK_DOWNWARD,
                { _, error, data in
                    guard let error, let data else { return 0 }
                    if let desc = error.pointee.desc {
                        let text = String(cString: desc)
                        if !text.isEmpty {
                            Unmanaged<Messages>.fromOpaque(data).takeUnretainedValue().list.append(text)
                        }
                    }
                    return 0
                }, Unmanaged.passUnretained(messages).toOpaque())
        }
        clearErrors()
        var unique: [String] = []
        for m in messages.list where !unique.contains(m) { unique.append(m) }
        // The innermost messages say what was wrong; keep the last few.
        let tail = unique.suffix(3)
        return tail.isEmpty ? "unknown HDF5 error" : tail.joined(separator: "; ")
    }

    static func clearErrors() { H5Eclear2(chdf5_e_default()) }

    static func string(fromCString buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension HDF5Error: UserFacingError {
    public var errorKind: ErrorKind {
        switch self {
        case .fileNotFound: .notFound
        case .closed: .internal
        default: .unprocessable
        }
    }
    public var errorCode: String { "bad_hdf5" }
}

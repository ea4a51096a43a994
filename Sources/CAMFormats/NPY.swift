import CAMCore
import Foundation
import CAMImaging

/// Element types of a NumPy `.npy` array that CAMKit reads and writes.
public enum NPYDType: String, Sendable, CaseIterable {
    case bool = "b1"
    case uint8 = "u1", int8 = "i1"
    case uint16 = "u2", int16 = "i2"
    case uint32 = "u4", int32 = "i4"
    case uint64 = "u8", int64 = "i8"
    case float16 = "f2", float32 = "f4", float64 = "f8"

    /// Bytes per element.
    public var byteSize: Int { Int(rawValue.dropFirst())! }

    /// NumPy's `descr` for little-endian data ("|u1", "<f4", ...).
    public var descr: String { byteSize == 1 ? "|\(rawValue)" : "<\(rawValue)" }
}

/// Swift element types that map to an `NPYDType`.
public protocol NPYScalar: Sendable {
    static var npyDType: NPYDType { get }
}
extension Bool: NPYScalar { public static var npyDType: NPYDType { .bool } }
extension UInt8: NPYScalar { public static var npyDType: NPYDType { .uint8 } }
extension Int8: NPYScalar { public static var npyDType: NPYDType { .int8 } }
extension UInt16: NPYScalar { public static var npyDType: NPYDType { .uint16 } }
extension Int16: NPYScalar { public static var npyDType: NPYDType { .int16 } }
extension UInt32: NPYScalar { public static var npyDType: NPYDType { .uint32 } }
extension Int32: NPYScalar { public static var npyDType: NPYDType { .int32 } }
extension UInt64: NPYScalar { public static var npyDType: NPYDType { .uint64 } }
extension Int64: NPYScalar { public static var npyDType: NPYDType { .int64 } }
extension Float: NPYScalar { public static var npyDType: NPYDType { .float32 } }
extension Double: NPYScalar { public static var npyDType: NPYDType { .float64 } }

/// An n-dimensional array as stored in a `.npy` file: little-endian elements in C (row-major) order.
public struct NPYArray: Sendable, Equatable {
    public let dtype: NPYDType
    public let shape: [Int]
    /// The elements' bytes, little-endian, C order.
    public let data: Data

    /// Number of elements (1 for a 0-d array).
    public var count: Int { shape.reduce(1, *) }

    /// An array over raw little-endian C-order bytes; throws when the byte count does not match.
    public init(dtype: NPYDType, shape: [Int], data: Data) throws {
        let n = try Self.byteCount(shape: shape, dtype: dtype) / dtype.byteSize
        guard data.count == n * dtype.byteSize else {
            throw CAMError("npy", "shape \(shape) of \(dtype.descr) needs \(n * dtype.byteSize) bytes, got \(data.count)")
        }
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// The bytes an array of `shape` and `dtype` holds; throws on a negative dimension or a size
    /// that does not fit in an `Int` (a crafted header), before anything is allocated.
    static func byteCount(shape: [Int], dtype: NPYDType) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw CAMError("npy", "negative dimension in shape \(shape)", kind: .unprocessable) }
        var n = dtype.byteSize
        for d in shape {
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { throw CAMError("npy", "shape \(shape) overflows", kind: .unprocessable) }
            n = m
        }
        return n
    }

    /// An array of `values` with `shape` (C order).
    public init<T: NPYScalar>(_ values: [T], shape: [Int]) throws {
        let bytes = values.withUnsafeBytes { Data($0) }  // every supported platform is little-endian
        try self.init(dtype: T.npyDType, shape: shape, data: bytes)
    }

    /// The elements as `T`, which must be the array's own type.
    public func scalars<T: NPYScalar>(as type: T.Type) throws -> [T] {
        guard T.npyDType == dtype else {
            throw CAMError("npy", "array holds \(dtype.descr), asked for \(T.npyDType.descr)")
        }
        if T.self == Bool.self { return data.prefix(count).map { $0 != 0 } as! [T] }
        let n = count
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            data.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(n * MemoryLayout<T>.stride)]))
            }
            initialized = n
        }
    }

    /// The elements converted to `Float` from any numeric type (bool as 0/1).
    public func floatValues() -> [Float] {
        data.withUnsafeBytes { raw -> [Float] in
            let n = count
            func load<T>(_ t: T.Type, _ f: (T) -> Float) -> [Float] {
                (0..<n).map { f(raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
            }
            switch dtype {
            case .bool: return load(UInt8.self) { $0 != 0 ? 1 : 0 }
            case .uint8: return load(UInt8.self) { Float($0) }
            case .int8: return load(Int8.self) { Float($0) }
            case .uint16: return load(UInt16.self) { Float($0) }
            case .int16: return load(Int16.self) { Float($0) }
            case .uint32: return load(UInt32.self) { Float($0) }
            case .int32: return load(Int32.self) { Float($0) }
            case .uint64: return load(UInt64.self) { Float($0) }
            case .int64: return load(Int64.self) { Float($0) }
            case .float16: return load(UInt16.self) { NPY.halfToFloat($0) }
            case .float32: return load(Float.self) { $0 }
            case .float64: return load(Double.self) { Float($0) }
            }
        }
    }
}

/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Reads any byte order and Fortran-ordered arrays (returned in C order, little-endian);
/// writes version 1.0 (2.0 when the header needs it) exactly as `numpy.save` does.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Reads the `.npy` file at `url`.
    public static func read(contentsOf url: URL) throws -> NPYArray {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CAMError("npy read", error.localizedDescription, path: url.path, kind: .notFound)
        }
        do {
            return try decode(data)
        } catch let e as CAMError {
            throw CAMError("npy read", e.message, path: url.path, kind: e.kind)
        }
    }

    /// Writes `array` to `url` atomically (a temporary file renamed into place).
    public static func write(_ array: NPYArray, to url: URL) throws {
        do {
            try encode(array).write(to: url, options: .atomic)
        } catch {
            throw CAMError("npy write", error.localizedDescription, path: url.path, kind: .internal)
        }
    }

    /// The bytes of a `.npy` file holding `array`.
    public static func encode(_ array: NPYArray) -> Data {
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(array.dtype.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Like numpy >= 1.22: spare room so the first dimension can grow in place.
        if let first = array.shape.first { header += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        // numpy pads magic + version + length field + header + "\n" to a multiple of 64 bytes,
        // using version 2.0 (4-byte length) only when the header does not fit in 65535 bytes.
        func padded(_ prefix: Int) -> Int { (prefix + header.utf8.count + 1 + 63) / 64 * 64 - prefix }
        var version: UInt8 = 1
        var headerLength = padded(10)
        if headerLength > 65535 {
            version = 2
            headerLength = padded(12)
        }
        header += String(repeating: " ", count: headerLength - header.utf8.count - 1) + "\n"
        var out = Data(magic)
        out.append(contentsOf: [version, 0])
        let len = header.utf8.count
        if version == 1 {
            out.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
        } else {
            out.append(contentsOf: (0..<4).map { UInt8((len >> (8 * $0)) & 0xFF) })
        }
        out.append(contentsOf: Array(header.utf8))
        out.append(array.data)
        return out
    }

    /// Parses the bytes of a `.npy` file.
    public static func decode(_ data: Data) throws -> NPYArray {
        let bytes = [UInt8](data)
        func bad(_ why: String) -> CAMError { CAMError("npy", why, kind: .unprocessable) }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw bad("not a .npy file (bad magic)") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw bad("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw bad("unsupported format version \(major).\(bytes[7])")
        }
        guard bytes.count >= headerStart + headerLength else { throw bad("truncated header") }
        guard let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw bad("unreadable header")
        }
        let fields = try parseHeader(header)
        guard let descr = fields.descr, let fortran = fields.fortranOrder, let shape = fields.shape else {
            throw bad("header lacks descr, fortran_order or shape: \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // descr: byte order character then kind and size, e.g. "<f4", "|u1", ">i8", "?"... ("b1" is bool).
        var code = descr
        var order: Character = "="
        if let first = code.first, "<>|=".contains(first) {
            order = first
            code.removeFirst()
        }
        if code == "?" { code = "b1" }
        guard let dtype = NPYDType(rawValue: code) else { throw bad("unsupported dtype '\(descr)'") }
        let big = order == ">"
        var payload = Array(bytes[(headerStart + headerLength)...])
        let byteCount = try NPYArray.byteCount(shape: shape, dtype: dtype)
        let count = byteCount / dtype.byteSize
        guard payload.count >= byteCount else {
            throw bad("data truncated: shape \(shape) of \(descr) needs \(byteCount) bytes, file has \(payload.count)")
        }
        payload.removeLast(payload.count - byteCount)
        if big && dtype.byteSize > 1 {
            let s = dtype.byteSize
            payload.withUnsafeMutableBufferPointer { p in
                for i in 0..<count { p[(i * s)..<(i * s + s)].reverse() }
            }
        }
        if fortran && shape.count > 1 {
            payload = fortranToC(payload, shape: shape, elementSize: dtype.byteSize)
        }
        return try NPYArray(dtype: dtype, shape: shape, data: Data(payload))
    }

    /// The fields of the header's Python dict literal.
    static func parseHeader(_ text: String) throws -> (descr: String?, fortranOrder: Bool?, shape: [Int]?) {
        func bad(_ why: String) -> CAMError {
            CAMError("npy", "\(why) in header \(text.trimmingCharacters(in: .whitespacesAndNewlines))", kind: .unprocessable)
        }
        func value(after key: String) -> Substring? {
            for quote in ["'", "\""] {
                if let r = text.range(of: "\(quote)\(key)\(quote)") {
                    var rest = text[r.upperBound...].drop { $0 == " " }
                    guard rest.first == ":" else { return nil }
                    rest = rest.dropFirst().drop { $0 == " " }
                    return rest
                }
            }
            return nil
        }
        var descr: String?
        if let v = value(after: "descr"), let q = v.first, q == "'" || q == "\"" {
            let body = v.dropFirst()
            guard let end = body.firstIndex(of: q) else { throw bad("unterminated descr") }
            descr = String(body[..<end])
        }
        var fortran: Bool?
        if let v = value(after: "fortran_order") {
            if v.hasPrefix("True") { fortran = true } else if v.hasPrefix("False") { fortran = false } else { throw bad("bad fortran_order") }
        }
        var shape: [Int]?
        if let v = value(after: "shape") {
            guard v.first == "(", let end = v.firstIndex(of: ")") else { throw bad("bad shape") }
            let inner = v[v.index(after: v.startIndex)..<end]
            var dims: [Int] = []
            for part in inner.split(separator: ",") {
                let t = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
                if t.isEmpty { continue }
                guard let d = Int(t), d >= 0 else { throw bad("bad dimension '\(t)'") }
                dims.append(d)
            }
            shape = dims
        }
        return (descr, fortran, shape)
    }

    /// Reorders column-major elements into row-major order.
    static func fortranToC(_ src: [UInt8], shape: [Int], elementSize s: Int) -> [UInt8] {
        let n = shape.reduce(1, *)
        if n == 0 { return src }
        var dst = [UInt8](repeating: 0, count: src.count)
        let nd = shape.count
        // Fortran strides (in elements).
        var fStride = [Int](repeating: 1, count: nd)
        for k in 1..<nd { fStride[k] = fStride[k - 1] * shape[k - 1] }
        var index = [Int](repeating: 0, count: nd)
        src.withUnsafeBufferPointer { sp in
            dst.withUnsafeMutableBufferPointer { dp in
                for c in 0..<n {  // c walks C order; index is its multi-index
                    var f = 0
                    for k in 0..<nd { f += index[k] * fStride[k] }
                    for b in 0..<s { dp[c * s + b] = sp[f * s + b] }
                    var k = nd - 1
                    while k >= 0 {
                        index[k] += 1
                        if index[k] < shape[k] { break }
                        index[k] = 0
                        k -= 1
                    }
                }
            }
        }
        return dst
    }

    /// IEEE 754 half to single precision.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let frac = UInt32(h & 0x3FF)
        if exp == 0 {
            // zero or subnormal: frac * 2^-24
            let v = Float(frac) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (frac << 13))
    }
}

extension FloatMap {
    /// A map from a 2-D `.npy` array (H x W) of any numeric type.
    public init(npy array: NPYArray) throws {
        guard array.shape.count == 2 else {
            throw CAMError("FloatMap", "expected a 2-D array (H x W), got shape \(array.shape)")
        }
        try self.init(width: array.shape[1], height: array.shape[0], values: array.floatValues())
    }

    /// The map as an H x W float32 array.
    public var npy: NPYArray { try! NPYArray(values, shape: [height, width]) }

    /// Writes the map as an H x W float32 `.npy` file (atomically).
    public func writeNPY(to url: URL) throws { try NPY.write(npy, to: url) }
}

extension Image {
    /// An image from a uint8 `.npy` array: H x W (gray) or H x W x C with C in 1...4.
    public init(npy array: NPYArray) throws {
        guard array.dtype == .uint8 else {
            throw CAMError("Image", "expected a uint8 array, got \(array.dtype.descr)")
        }
        let s = array.shape
        guard s.count == 2 || s.count == 3 else {
            throw CAMError("Image", "expected shape H x W or H x W x C, got \(s)")
        }
        try self.init(width: s[1], height: s[0], channels: s.count == 3 ? s[2] : 1, pixels: [UInt8](array.data))
    }

    /// The image as an H x W x C uint8 array.
    public var npy: NPYArray { try! NPYArray(pixels, shape: [height, width, channels]) }
}

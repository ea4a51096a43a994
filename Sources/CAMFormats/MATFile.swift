import Foundation

/// One MATLAB array read from a MAT v5 file.
public indirect enum MATValue: Sendable, Equatable {
    /// A numeric or logical array (any storage class), values as Double in column-major order.
    case numeric(dims: [Int], values: [Double])
    /// A character array; one string per row.
    case char(dims: [Int], rows: [String])
    /// A cell array, cells in column-major order.
    case cell(dims: [Int], cells: [MATValue])
    /// A struct array: field names in file order, one dictionary per element (column-major).
    case structArray(dims: [Int], fields: [String], elements: [[String: MATValue]])

    /// The dimensions.
    public var dims: [Int] {
        switch self {
        case .numeric(let d, _), .char(let d, _), .cell(let d, _), .structArray(let d, _, _): d
        }
    }

    /// The single number of a 1x1 numeric array.
    public var scalar: Double? {
        if case .numeric(_, let v) = self, v.count == 1 { return v[0] }
        return nil
    }

    /// The text of a char array (rows joined by newlines; a 1xN array is its one string).
    public var string: String? {
        if case .char(_, let rows) = self { return rows.joined(separator: "\n") }
        return nil
    }

    /// A short description of the kind of value, for messages.
    public var kindDescription: String {
        let d = dims.map(String.init).joined(separator: "x")
        switch self {
        case .numeric: return "\(d) numeric array"
        case .char: return "\(d) char array"
        case .cell: return "\(d) cell array"
        case .structArray(_, let f, _): return "\(d) struct array with fields \(f.joined(separator: ", "))"
        }
    }
}

/// A reader for MATLAB's MAT-file version 5 format (what `save` writes by default up to -v7,
/// and what `scipy.io.savemat` writes): the variables' numeric (all integer and float classes,
/// logical), char, cell and struct arrays, with `miCOMPRESSED` (zlib) elements inflated.
/// Sparse, complex and object arrays are reported as unsupported; v7.3 files are HDF5 and
/// are recognised and refused with a message saying so.
public struct MATFile: Sendable {
    /// The variables, by name.
    public let variables: [String: MATValue]
    /// The variable names in file order.
    public let names: [String]

    /// The most bytes one `miCOMPRESSED` element may inflate to (1 GiB): far above any annotation file,
    /// low enough that a decompression bomb is refused before it exhausts memory.
    public static let inflateLimit = 1 << 30

    /// Reads the file at `url`; errors name the file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError(.missingFile, "cannot read MAT file: \(error.localizedDescription)", path: url.path)
        }
        do {
            try self.init(data: data)
        } catch let e as DataError {
            throw DataError(e.kind, e.message, path: url.path)
        }
    }

    /// Parses the bytes of a MAT v5 file.
    public init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 128 else {
            throw DataError(.badFormat, "a MAT v5 file starts with a 128-byte header; this one has \(bytes.count) bytes")
        }
        let hdf5 = [UInt8]([0x89, 0x48, 0x44, 0x46])
        if bytes.starts(with: hdf5) || (bytes.count > 516 && bytes[512...].starts(with: hdf5)) {
            throw DataError(.badFormat, "this is a MAT v7.3 (HDF5) file; save it with -v7 or scipy.io.savemat to read it here")
        }
        let text = String(decoding: bytes[0..<min(116, bytes.count)], as: UTF8.self)
        guard text.hasPrefix("MATLAB 5.0 MAT-file") || text.hasPrefix("MATLAB") else {
            throw DataError(.badFormat, "not a MAT v5 file (the header text does not start with 'MATLAB 5.0 MAT-file')")
        }
        let bigEndian: Bool
        switch (bytes[126], bytes[127]) {
        case (0x49, 0x4D): bigEndian = false  // 'IM': written little-endian
        case (0x4D, 0x49): bigEndian = true
        default: throw DataError(.badFormat, "MAT header has no endian indicator")
        }
        var vars: [String: MATValue] = [:]
        var names: [String] = []
        var p = 128
        while p + 8 <= bytes.count {
            let r = MATReader(bytes: bytes, bigEndian: bigEndian)
            let (type, size, dataStart, next) = try r.tag(at: p, topLevel: true)
            let elementStart = p
            p = next
            var element: [UInt8]
            var elementType = type
            if type == MATReader.miCOMPRESSED {
                do {
                    element = [UInt8](try Zlib.inflate(Data(bytes[dataStart..<(dataStart + size)]), limit: MATFile.inflateLimit))
                } catch let e as DataError {
                    throw DataError(.badFormat, "the compressed element at byte \(elementStart) does not inflate: \(e.message)")
                }
                let inner = MATReader(bytes: element, bigEndian: bigEndian)
                let (t, s, d, _) = try inner.tag(at: 0, topLevel: true)
                elementType = t
                element = Array(element[d..<(d + s)])
            } else {
                element = Array(bytes[dataStart..<(dataStart + size)])
            }
            guard elementType == MATReader.miMATRIX else { continue }  // other top-level data is not a variable
            var mr = MATReader(bytes: element, bigEndian: bigEndian)
            let (name, value) = try mr.matrix()
            if vars[name] == nil { names.append(name) }
            vars[name] = value
        }
        if p < bytes.count {
            throw DataError(.badFormat, "the file ends \(bytes.count - p) bytes into an element tag (truncated?)")
        }
        self.variables = vars
        self.names = names
    }

    /// The variable `name`, or an error listing what the file holds.
    public func variable(_ name: String) throws -> MATValue {
        guard let v = variables[name] else {
            throw DataError(.badFormat, "no variable '\(name)' (the file has: \(names.joined(separator: ", ")))")
        }
        return v
    }
}

/// Walks the data elements of one MAT v5 buffer.
struct MATReader {
    static let miINT8: UInt32 = 1, miUINT8: UInt32 = 2, miINT16: UInt32 = 3, miUINT16: UInt32 = 4
    static let miINT32: UInt32 = 5, miUINT32: UInt32 = 6, miSINGLE: UInt32 = 7, miDOUBLE: UInt32 = 9
    static let miINT64: UInt32 = 12, miUINT64: UInt32 = 13, miMATRIX: UInt32 = 14, miCOMPRESSED: UInt32 = 15
    static let miUTF8: UInt32 = 16, miUTF16: UInt32 = 17, miUTF32: UInt32 = 18

    let bytes: [UInt8]
    let bigEndian: Bool
    /// How deep this array is nested in cells and structs (at most `maxDepth`).
    var depth = 0
    static let maxDepth = 32

    func u16(_ i: Int) -> UInt16 {
        bigEndian ? UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]) : UInt16(bytes[i + 1]) << 8 | UInt16(bytes[i])
    }
    func u32(_ i: Int) -> UInt32 {
        bigEndian ? UInt32(u16(i)) << 16 | UInt32(u16(i + 2)) : UInt32(u16(i + 2)) << 16 | UInt32(u16(i))
    }
    func u64(_ i: Int) -> UInt64 {
        bigEndian ? UInt64(u32(i)) << 32 | UInt64(u32(i + 4)) : UInt64(u32(i + 4)) << 32 | UInt64(u32(i))
    }

    /// The tag at `p`: type, byte count, where the data starts, and where the next element starts
    /// (8-byte aligned inside a matrix; top-level elements are not padded beyond their count).
    func tag(at p: Int, topLevel: Bool = false) throws -> (type: UInt32, size: Int, dataStart: Int, next: Int) {
        guard p + 8 <= bytes.count else { throw DataError(.badFormat, "MAT element tag at byte \(p) is cut short") }
        let first = u32(p)
        if first >> 16 != 0 {
            // Small data element: type and size share the first 4 bytes, data in the next 4.
            let size = Int(first >> 16), type = first & 0xFFFF
            guard size <= 4 else { throw DataError(.badFormat, "small MAT element at byte \(p) claims \(size) bytes") }
            return (type, size, p + 4, p + 8)
        }
        let size = Int(u32(p + 4))
        let start = p + 8
        guard start + size <= bytes.count else {
            throw DataError(.badFormat, "MAT element at byte \(p) claims \(size) bytes; only \(bytes.count - start) remain")
        }
        let padded = topLevel ? size : (size + 7) / 8 * 8
        return (first, size, start, min(bytes.count, start + padded))
    }

    /// Numbers of any numeric storage type.
    func numbers(type: UInt32, start: Int, size: Int) throws -> [Double] {
        let width: Int
        switch type {
        case Self.miINT8, Self.miUINT8, Self.miUTF8: width = 1
        case Self.miINT16, Self.miUINT16, Self.miUTF16: width = 2
        case Self.miINT32, Self.miUINT32, Self.miSINGLE, Self.miUTF32: width = 4
        case Self.miDOUBLE, Self.miINT64, Self.miUINT64: width = 8
        default: throw DataError(.badFormat, "MAT data type \(type) is not numeric")
        }
        let n = size / width
        var out = [Double](repeating: 0, count: n)
        for k in 0..<n {
            let i = start + k * width
            switch type {
            case Self.miINT8: out[k] = Double(Int8(bitPattern: bytes[i]))
            case Self.miUINT8, Self.miUTF8: out[k] = Double(bytes[i])
            case Self.miINT16: out[k] = Double(Int16(bitPattern: u16(i)))
            case Self.miUINT16, Self.miUTF16: out[k] = Double(u16(i))
            case Self.miINT32: out[k] = Double(Int32(bitPattern: u32(i)))
            case Self.miUINT32, Self.miUTF32: out[k] = Double(u32(i))
            case Self.miSINGLE: out[k] = Double(Float(bitPattern: u32(i)))
            case Self.miDOUBLE: out[k] = Double(bitPattern: u64(i))
            case Self.miINT64: out[k] = Double(Int64(bitPattern: u64(i)))
            default: out[k] = Double(u64(i))
            }
        }
        return out
    }

    /// Parses the contents of one miMATRIX element (the whole buffer): name and value.
    mutating func matrix() throws -> (String, MATValue) {
        if bytes.isEmpty { return ("", .numeric(dims: [0, 0], values: [])) }  // MATLAB writes empty cells this way
        var p = 0
        let flags = try tag(at: p)
        guard flags.type == Self.miUINT32, flags.size >= 8 else { throw DataError(.badFormat, "MAT array flags are missing") }
        let flagWord = u32(flags.dataStart)
        let mxClass = Int(flagWord & 0xFF)
        let isComplex = flagWord & 0x800 != 0
        p = flags.next
        let dimsTag = try tag(at: p)
        guard dimsTag.type == Self.miINT32 else { throw DataError(.badFormat, "MAT array dimensions are missing") }
        let dims = (0..<(dimsTag.size / 4)).map { Int(Int32(bitPattern: u32(dimsTag.dataStart + 4 * $0))) }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw DataError(.badFormat, "MAT array has negative dimensions \(dims)") }
        p = dimsTag.next
        let nameTag = try tag(at: p)
        let name = String(decoding: bytes[nameTag.dataStart..<(nameTag.dataStart + nameTag.size)], as: UTF8.self)
        p = nameTag.next
        guard depth <= Self.maxDepth else {
            throw DataError(.badFormat, "array '\(name)' is nested more than \(Self.maxDepth) cells or structs deep")
        }
        var count = 1
        for d in dims {
            let (m, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw DataError(.badFormat, "MAT array '\(name)' has dimensions \(dims) whose product overflows") }
            count = m
        }
        // Every element of a cell or struct array is at least one 8-byte tag: more than the
        // remaining bytes hold is a corrupt header, refused before anything is sized from it.
        func checkElements(_ perElement: Int) throws {
            guard count <= (bytes.count - p) / (8 * max(1, perElement)) else {
                throw DataError(.badFormat, "array '\(name)' of size \(dims) claims more elements than its \(bytes.count - p) bytes hold")
            }
        }

        switch mxClass {
        case 6...15:  // double, single, int8 ... uint64
            if isComplex { throw DataError(.badFormat, "complex array '\(name)' is not supported") }
            let real = try tag(at: p)
            let values = try numbers(type: real.type, start: real.dataStart, size: real.size)
            guard values.count == count else {
                throw DataError(.badFormat, "array '\(name)' of size \(dims) holds \(values.count) values")
            }
            return (name, .numeric(dims: dims, values: values))
        case 4:  // char
            let t = try tag(at: p)
            let units: [UInt32]
            switch t.type {
            case Self.miUTF8:
                let s = String(decoding: bytes[t.dataStart..<(t.dataStart + t.size)], as: UTF8.self)
                units = s.unicodeScalars.map { $0.value }
            case Self.miUTF16, Self.miUINT16:
                var u16s: [UInt16] = []
                for k in 0..<(t.size / 2) { u16s.append(u16(t.dataStart + 2 * k)) }
                units = String(decoding: u16s, as: UTF16.self).unicodeScalars.map { $0.value }
            default:
                units = try numbers(type: t.type, start: t.dataStart, size: t.size).map { UInt32(exactly: $0) ?? 0xFFFD }
            }
            let rowsCount = dims.first ?? 0
            guard rowsCount <= units.count + 1 else {
                throw DataError(.badFormat, "char array '\(name)' of size \(dims) holds only \(units.count) characters")
            }
            let cols = rowsCount == 0 ? 0 : units.count / rowsCount
            var rows: [String] = []
            for r in 0..<rowsCount {
                var s = String.UnicodeScalarView()
                for c in 0..<cols {
                    if let u = Unicode.Scalar(units[c * rowsCount + r]) { s.append(u) }
                }
                rows.append(String(s))
            }
            return (name, .char(dims: dims, rows: rows))
        case 1:  // cell
            try checkElements(1)
            var cells: [MATValue] = []
            for _ in 0..<count {
                let t = try tag(at: p)
                guard t.type == Self.miMATRIX else { throw DataError(.badFormat, "cell of '\(name)' is not an array") }
                var sub = MATReader(bytes: Array(bytes[t.dataStart..<(t.dataStart + t.size)]), bigEndian: bigEndian, depth: depth + 1)
                cells.append(try sub.matrix().1)
                p = t.next
            }
            return (name, .cell(dims: dims, cells: cells))
        case 2:  // struct
            let lenTag = try tag(at: p)
            guard lenTag.type == Self.miINT32, lenTag.size == 4 else { throw DataError(.badFormat, "struct '\(name)' has no field name length") }
            let fieldLength = Int(u32(lenTag.dataStart))
            p = lenTag.next
            let namesTag = try tag(at: p)
            p = namesTag.next
            var fields: [String] = []
            if fieldLength > 0 {
                for k in 0..<(namesTag.size / fieldLength) {
                    let s = namesTag.dataStart + k * fieldLength
                    let raw = bytes[s..<(s + fieldLength)].prefix { $0 != 0 }
                    fields.append(String(decoding: raw, as: UTF8.self))
                }
            }
            try checkElements(fields.count)
            var elements: [[String: MATValue]] = []
            for _ in 0..<count {
                var element: [String: MATValue] = [:]
                for f in fields {
                    let t = try tag(at: p)
                    guard t.type == Self.miMATRIX else { throw DataError(.badFormat, "field '\(f)' of '\(name)' is not an array") }
                    var sub = MATReader(bytes: Array(bytes[t.dataStart..<(t.dataStart + t.size)]), bigEndian: bigEndian, depth: depth + 1)
                    element[f] = try sub.matrix().1
                    p = t.next
                }
                elements.append(element)
            }
            return (name, .structArray(dims: dims, fields: fields, elements: elements))
        case 3: throw DataError(.badFormat, "object array '\(name)' is not supported")
        case 5: throw DataError(.badFormat, "sparse array '\(name)' is not supported")
        default: throw DataError(.badFormat, "array '\(name)' has unknown class \(mxClass)")
        }
    }
}

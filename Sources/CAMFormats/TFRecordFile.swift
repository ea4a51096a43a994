import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Random access to the records of one TFRecord file.
///
/// TFRecord framing, record after record: `uint64 length` (little-endian), `uint32` masked
/// CRC-32C of those 8 bytes, `length` bytes of data, `uint32` masked CRC-32C of the data.
///
/// Opening walks the headers (checking each length CRC and that every record fits in the file)
/// and keeps their offsets; `record(at:)` reads one record with `pread` (safe from any thread)
/// and checks its data CRC. Errors name the file and the record index. With `skipCorrupt`,
/// opening reads every record instead, leaves out those that fail a check, and counts them in
/// `skipped`; a record whose length cannot be trusted ends the readable part of the file, and
/// everything after it is counted once, as one skipped record, since framing is lost there.
public final class TFRecordFile: Sendable {
    /// The file.
    public let url: URL
    /// Records left out because they were corrupt (only with `skipCorrupt`).
    public let skipped: Int
    /// Why each skipped record was left out, e.g. "record 3: data CRC mismatch".
    public let skipReasons: [String]
    private let starts: [Int]
    private let lengths: [Int]
    private let fd: Int32

    /// The most data bytes one record may declare (256 MiB; tfds' image records are a few MB): each
    /// record is read whole into memory, so a larger length is refused as corrupt when the file opens.
    public static let maxRecordLength = 256 << 20

    /// Number of (readable) records.
    public var count: Int { starts.count }

    /// Opens `url` and indexes its records (see the type's documentation for the checks).
    public init(url: URL, skipCorrupt: Bool = false) throws {
        self.url = url
        let path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw DataError(.missingFile, "cannot open TFRecord file: \(reason)", path: path)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw DataError(.missingFile, "cannot stat TFRecord file", path: path)
        }
        let fileSize = Int(st.st_size)
        var starts: [Int] = []
        var lengths: [Int] = []
        var skipped = 0
        var reasons: [String] = []
        var offset = 0
        var index = 0
        var header = [UInt8](repeating: 0, count: 12)
        func fail(_ message: String) throws {
            if skipCorrupt {
                skipped += 1
                reasons.append("record \(index): \(message)")
            } else {
                throw DataError(.corruptRecord, message, path: path, record: index)
            }
        }
        do {
            scan: while offset < fileSize {
                guard fileSize - offset >= 12 else {
                    try fail("truncated: the file ends \(fileSize - offset) bytes into a 12-byte record header")
                    break scan
                }
                try Self.readFully(fd, into: &header, at: offset, path: path, record: index)
                let rawLength = header.withUnsafeBytes { raw in UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) }
                let storedLengthCRC = header.withUnsafeBytes { raw in UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
                let lengthCRC = header.withUnsafeBytes { raw in CRC32C.masked(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<8]))) }
                guard lengthCRC == storedLengthCRC else {
                    try fail(
                        String(
                            format: "length CRC mismatch (stored 0x%08x, computed 0x%08x); the rest of the file cannot be framed", storedLengthCRC,
                            lengthCRC))
                    break scan
                }
                guard rawLength <= UInt64(Self.maxRecordLength) else {
                    try fail("the record declares \(rawLength) data bytes; at most \(Self.maxRecordLength) are read per record")
                    break scan
                }
                let length = Int(rawLength)
                let end = offset.addingReportingOverflow(12 + 4).partialValue.addingReportingOverflow(length)
                guard !end.overflow, end.partialValue <= fileSize else {
                    try fail("truncated: the record needs \(rawLength) data bytes + 4 CRC bytes, the file has \(fileSize - offset - 12) left")
                    break scan
                }
                starts.append(offset)
                lengths.append(length)
                offset = end.partialValue
                index += 1
            }
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        if skipCorrupt {
            // Check every record's data now, so that `count` only holds good ones.
            var goodStarts: [Int] = []
            var goodLengths: [Int] = []
            for i in starts.indices {
                do {
                    _ = try Self.readRecord(fd, start: starts[i], length: lengths[i], path: path, record: i)
                    goodStarts.append(starts[i])
                    goodLengths.append(lengths[i])
                } catch let e as DataError {
                    skipped += 1
                    reasons.append("record \(i): \(e.message)")
                }
            }
            starts = goodStarts
            lengths = goodLengths
        }
        self.starts = starts
        self.lengths = lengths
        self.skipped = skipped
        self.skipReasons = reasons
    }

    deinit { close(fd) }

    /// The data of record `index`, after checking its CRC.
    public func record(at index: Int) throws -> Data {
        guard index >= 0 && index < starts.count else {
            throw DataError(.outOfRange, "record index \(index) outside 0..<\(starts.count)", path: url.path)
        }
        return try Self.readRecord(fd, start: starts[index], length: lengths[index], path: url.path, record: index)
    }

    /// All records in order.
    public func records() throws -> [Data] {
        try (0..<count).map { try record(at: $0) }
    }

    private static func readRecord(_ fd: Int32, start: Int, length: Int, path: String, record: Int) throws -> Data {
        var buffer = [UInt8](repeating: 0, count: length + 4)
        try readFully(fd, into: &buffer, at: start + 12, path: path, record: record)
        let (crc, stored) = buffer.withUnsafeBytes { raw in
            (
                CRC32C.masked(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<length]))),
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: length, as: UInt32.self))
            )
        }
        guard crc == stored else {
            throw DataError(
                .corruptRecord, String(format: "data CRC mismatch (stored 0x%08x, computed 0x%08x)", stored, crc),
                path: path, record: record)
        }
        buffer.removeLast(4)
        return Data(buffer)
    }

    private static func readFully(_ fd: Int32, into buffer: inout [UInt8], at offset: Int, path: String, record: Int) throws {
        let total = buffer.count
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < total {
                let n = pread(fd, raw.baseAddress! + done, total - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(.corruptRecord, "read failed: \(String(cString: strerror(errno)))", path: path, record: record)
                }
                if n == 0 {
                    throw DataError(.corruptRecord, "truncated: the file ended while reading", path: path, record: record)
                }
                done += n
            }
        }
    }
}

/// Writes records in TFRecord framing (for tests, caches and exports).
public enum TFRecordWriter {
    /// The framed bytes of `records`.
    public static func frame(_ records: [Data]) -> Data {
        var out = Data()
        for r in records {
            var length = UInt64(r.count).littleEndian
            let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
            out.append(lengthBytes)
            var lengthCRC = lengthBytes.withUnsafeBytes { CRC32C.masked(CRC32C.checksum($0)) }.littleEndian
            out.append(withUnsafeBytes(of: &lengthCRC) { Data($0) })
            out.append(r)
            var dataCRC = r.withUnsafeBytes { CRC32C.masked(CRC32C.checksum($0)) }.littleEndian
            out.append(withUnsafeBytes(of: &dataCRC) { Data($0) })
        }
        return out
    }

    /// Writes `records` to `url` atomically.
    public static func write(_ records: [Data], to url: URL) throws {
        try frame(records).write(to: url, options: .atomic)
    }
}

import Foundation
import CSystemZlib

/// zlib (RFC 1950) streams inflated by the system zlib, for the compressed elements of MATLAB v5 files.
enum Zlib {
    /// Inflates the zlib stream at the start of `data` (header, DEFLATE data, Adler-32, all checked by zlib).
    /// Bytes after the end of the stream are ignored, as zlib's own `uncompress` and Python's
    /// `zlib.decompress` do.
    ///
    /// The output buffer grows as needed but never past `limit` bytes: a stream that inflates to more
    /// (a decompression bomb, or a file that is not what it claims) is refused without inflating the rest.
    ///
    /// - Throws: `DataError(.badFormat)` saying what is wrong: corrupt data (zlib's reason and the input
    ///   bytes read when it was found), a stream cut short, a preset dictionary, or the limit.
    static func inflate(_ data: Data, limit: Int) throws -> Data {
        precondition(limit >= 0, "the inflate limit must not be negative")
        return try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) throws -> Data in
            var stream = z_stream()
            let started = inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard started == Z_OK else {
                throw DataError(.badFormat, "zlib cannot start inflating: \(message(started, stream))")
            }
            defer { inflateEnd(&stream) }

            // Room for one byte past the limit, so that exceeding it is seen without inflating further.
            let cap = limit == Int.max ? limit : limit + 1
            var output = [UInt8](repeating: 0, count: min(cap, max(4096, input.count * 4)))
            var produced = 0
            var consumed = 0
            while true {
                if stream.avail_in == 0, consumed < input.count, let base = input.baseAddress {
                    let n = min(input.count - consumed, Int(UInt32.max))
                    stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self) + consumed)
                    stream.avail_in = UInt32(n)
                    consumed += n
                }
                if produced == output.count {
                    output += repeatElement(0, count: min(cap - output.count, max(output.count, 4096)))
                }
                let room = min(output.count - produced, Int(UInt32.max))
                let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = UInt32(room)
                    defer { stream.next_out = nil }
                    return CSystemZlib.inflate(&stream, Z_NO_FLUSH)
                }
                produced += room - Int(stream.avail_out)
                if produced > limit {
                    throw DataError(
                        .badFormat,
                        "the zlib stream inflates to more than \(limit) bytes, the limit; "
                            + "refusing it (a decompression bomb or a damaged file?)")
                }
                switch status {
                case Z_STREAM_END:
                    output.removeSubrange(produced...)
                    return Data(output)
                case Z_OK:
                    continue
                case Z_BUF_ERROR:  // no progress with room to write: the input has run out
                    throw DataError(
                        .badFormat,
                        "the zlib stream is truncated: its \(input.count) bytes end before "
                            + "the end of the compressed data and its Adler-32 checksum")
                case Z_NEED_DICT:
                    throw DataError(.badFormat, "the zlib stream needs a preset dictionary, which is not supported")
                case Z_DATA_ERROR:
                    throw DataError(
                        .badFormat,
                        "corrupt zlib data: \(message(status, stream)) "
                            + "(found after reading \(stream.total_in) of its \(input.count) bytes)")
                default:
                    throw DataError(.badFormat, "zlib failed to inflate: \(message(status, stream))")
                }
            }
        }
    }

    /// zlib's message for a failed call, or the status code's meaning.
    private static func message(_ status: Int32, _ stream: z_stream) -> String {
        if let msg = stream.msg { return String(cString: msg) }
        switch status {
        case Z_MEM_ERROR: return "out of memory"
        case Z_VERSION_ERROR: return "the zlib library is incompatible with the header it was built against"
        case Z_STREAM_ERROR: return "inconsistent stream state"
        default: return "status \(status)"
        }
    }
}

import Foundation

/// A DEFLATE (RFC 1951) decoder with the zlib (RFC 1950) wrapper, for the compressed elements
/// of MATLAB v5 files. Pure Swift, so the package needs no zlib module; it favours clarity over
/// speed (annotation files are small).
enum Inflate {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Decodes a zlib stream (2-byte header, DEFLATE data, Adler-32) and checks the checksum.
    static func zlib(_ data: Data) throws -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 6 else { throw Failure(description: "zlib stream of \(bytes.count) bytes is too short") }
        let cmf = bytes[0], flg = bytes[1]
        guard cmf & 0x0F == 8 else { throw Failure(description: "zlib compression method \(cmf & 0x0F) is not deflate") }
        guard (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else { throw Failure(description: "zlib header check bits are wrong") }
        guard flg & 0x20 == 0 else { throw Failure(description: "zlib preset dictionaries are not supported") }
        var reader = BitReader(bytes: bytes, position: 2)
        let out = try deflate(&reader)
        let end = reader.byteAlignedPosition
        guard end + 4 <= bytes.count else { throw Failure(description: "zlib stream ends before its Adler-32 checksum") }
        let stored = UInt32(bytes[end]) << 24 | UInt32(bytes[end + 1]) << 16 | UInt32(bytes[end + 2]) << 8 | UInt32(bytes[end + 3])
        let actual = adler32(out)
        guard stored == actual else {
            throw Failure(description: String(format: "Adler-32 mismatch (stored 0x%08x, computed 0x%08x)", stored, actual))
        }
        return Data(out)
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < bytes.count {
            let end = min(i + 5552, bytes.count)  // largest run before the sums can overflow
            while i < end { a += UInt32(bytes[i]); b += a; i += 1 }
            a %= 65521; b %= 65521
        }
        return b << 16 | a
    }

    struct BitReader {
        let bytes: [UInt8]
        var position: Int
        var bitBuffer: UInt32 = 0
        var bitCount: Int = 0

        init(bytes: [UInt8], position: Int) {
            self.bytes = bytes
            self.position = position
        }

        mutating func bits(_ n: Int) throws -> Int {
            while bitCount < n {
                guard position < bytes.count else { throw Failure(description: "deflate data ends early") }
                bitBuffer |= UInt32(bytes[position]) << UInt32(bitCount)
                position += 1
                bitCount += 8
            }
            let v = Int(bitBuffer & ((1 << UInt32(n)) - 1))
            bitBuffer >>= UInt32(n)
            bitCount -= n
            return v
        }

        /// Drops the bits left in the current byte.
        mutating func alignToByte() {
            bitBuffer = 0
            bitCount = 0
        }

        /// The index of the first byte not (even partly) consumed.
        var byteAlignedPosition: Int { position - bitCount / 8 }
    }

    /// A canonical Huffman code as counts per length and symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        init(lengths: [Int]) throws {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var left = 1
            for len in 1...15 {
                left <<= 1
                left -= counts[len]
                if left < 0 { throw Failure(description: "over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            for (sym, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = sym
                offsets[l] += 1
            }
        }

        func decode(_ r: inout BitReader) throws -> Int {
            var code = 0, first = 0, index = 0
            for len in 1...15 {
                code |= try r.bits(1)
                let count = counts[len]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw Failure(description: "invalid Huffman code")
        }
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                   4097, 6145, 8193, 12289, 16385, 24577]
    private static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private static let fixedCodes: (Huffman, Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        // Both tables are valid by construction.
        return (try! Huffman(lengths: lengths), try! Huffman(lengths: [Int](repeating: 5, count: 30)))
    }()

    /// Decodes raw DEFLATE blocks up to the final one.
    static func deflate(_ r: inout BitReader) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(r.bytes.count * 4)
        var last = 0
        repeat {
            last = try r.bits(1)
            let type = try r.bits(2)
            switch type {
            case 0:
                r.alignToByte()
                let p = r.position
                guard p + 4 <= r.bytes.count else { throw Failure(description: "stored block header cut short") }
                let len = Int(r.bytes[p]) | Int(r.bytes[p + 1]) << 8
                let nlen = Int(r.bytes[p + 2]) | Int(r.bytes[p + 3]) << 8
                guard len == (~nlen & 0xFFFF) else { throw Failure(description: "stored block length check failed") }
                guard p + 4 + len <= r.bytes.count else { throw Failure(description: "stored block cut short") }
                out.append(contentsOf: r.bytes[(p + 4)..<(p + 4 + len)])
                r.position = p + 4 + len
            case 1:
                try inflateBlock(&r, &out, fixedCodes.0, fixedCodes.1)
            case 2:
                let nlen = try r.bits(5) + 257
                let ndist = try r.bits(5) + 1
                let ncode = try r.bits(4) + 4
                guard nlen <= 286, ndist <= 30 else { throw Failure(description: "bad dynamic block counts") }
                var clen = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { clen[codeLengthOrder[i]] = try r.bits(3) }
                let lencode = try Huffman(lengths: clen)
                var lengths: [Int] = []
                while lengths.count < nlen + ndist {
                    let sym = try lencode.decode(&r)
                    switch sym {
                    case 0...15: lengths.append(sym)
                    case 16:
                        guard let prev = lengths.last else { throw Failure(description: "repeat with no previous length") }
                        lengths += [Int](repeating: prev, count: 3 + (try r.bits(2)))
                    case 17: lengths += [Int](repeating: 0, count: 3 + (try r.bits(3)))
                    default: lengths += [Int](repeating: 0, count: 11 + (try r.bits(7)))
                    }
                }
                guard lengths.count == nlen + ndist else { throw Failure(description: "code lengths overrun") }
                guard lengths[256] != 0 else { throw Failure(description: "no end-of-block code") }
                try inflateBlock(&r, &out, try Huffman(lengths: Array(lengths[0..<nlen])),
                                 try Huffman(lengths: Array(lengths[nlen...])))
            default:
                throw Failure(description: "invalid block type 3")
            }
        } while last == 0
        return out
    }

    private static func inflateBlock(_ r: inout BitReader, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman) throws {
        while true {
            let sym = try lit.decode(&r)
            if sym < 256 {
                out.append(UInt8(sym))
            } else if sym == 256 {
                return
            } else {
                let li = sym - 257
                guard li < 29 else { throw Failure(description: "bad length symbol \(sym)") }
                let length = lengthBase[li] + (try r.bits(lengthExtra[li]))
                let di = try dist.decode(&r)
                guard di < 30 else { throw Failure(description: "bad distance symbol \(di)") }
                let distance = distBase[di] + (try r.bits(distExtra[di]))
                guard distance <= out.count else { throw Failure(description: "distance \(distance) reaches before the start") }
                let start = out.count - distance
                for k in 0..<length { out.append(out[start + k]) }
            }
        }
    }
}

/// The small, strict JSON reader and writer behind the safetensors header.
///
/// Foundation's `JSONSerialization` silently keeps one of two equal keys and turns large integers
/// into doubles; a safetensors header needs both detected exactly, so the header gets its own
/// RFC 8259 parser. Objects keep their keys in file order (duplicates included) so the caller can
/// report them.
enum HeaderJSON: Equatable {
    case object([(key: String, value: HeaderJSON)])
    case array([HeaderJSON])
    case string(String)
    /// A number without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number, kept as written (only ever reported as a wrong type).
    case otherNumber(String)
    case bool(Bool)
    case null

    static func == (a: HeaderJSON, b: HeaderJSON) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.otherNumber(x), .otherNumber(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// What a value is, for messages ("expected a string, found an array").
    var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .integer: "an integer"
        case .otherNumber(let text): "the number \(text)"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// Why a header is not JSON: a message and the byte offset inside the header.
struct HeaderJSONError: Error {
    let message: String
    let offset: Int
}

extension HeaderJSON {
    /// Parses one JSON value filling `bytes` (surrounding JSON whitespace allowed).
    /// `bytes` must already be valid UTF-8.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(HeaderJSONError) -> HeaderJSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        if parser.position != bytes.count { throw parser.failure("unexpected data after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        /// Nesting limit: a header holds objects three deep; this only stops stack exhaustion.
        static let maxDepth = 64

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        func failure(_ message: String) -> HeaderJSONError { HeaderJSONError(message: message, offset: position) }

        func unexpected() -> HeaderJSONError {
            guard let c = current else { return failure("unexpected end of header") }
            let shown = (0x21...0x7E).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(hex(c))"
            return failure("unexpected \(shown)")
        }

        mutating func skipWhitespace() {
            while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 }
        }

        mutating func expect(_ c: UInt8) throws(HeaderJSONError) {
            guard current == c else { throw unexpected() }
            position += 1
        }

        mutating func literal(_ word: String, _ value: HeaderJSON) throws(HeaderJSONError) -> HeaderJSON {
            for c in word.utf8 { try expect(c) }
            return value
        }

        mutating func value(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
            if depth > Self.maxDepth { throw failure("nesting deeper than \(Self.maxDepth) levels") }
            guard let c = current else { throw unexpected() }
            switch c {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw unexpected()
            }
        }

        mutating func object(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
            try expect(UInt8(ascii: "{"))
            var members: [(key: String, value: HeaderJSON)] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw unexpected() }
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
            try expect(UInt8(ascii: "["))
            var elements: [HeaderJSON] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "]"))
                return .array(elements)
            }
        }

        mutating func string() throws(HeaderJSONError) -> String {
            try expect(UInt8(ascii: "\""))
            var utf8: [UInt8] = []
            while true {
                guard let c = current else { throw failure("unterminated string") }
                position += 1
                switch c {
                case UInt8(ascii: "\""):
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    try escape(into: &utf8)
                case 0x00..<0x20:
                    position -= 1
                    throw failure("control character 0x\(hex(c)) inside a string")
                default:
                    utf8.append(c)
                }
            }
        }

        mutating func escape(into utf8: inout [UInt8]) throws(HeaderJSONError) {
            guard let c = current else { throw failure("unterminated string") }
            position += 1
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(c)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(try hex4())
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard current == UInt8(ascii: "\\") else { throw failure("unpaired surrogate in \\u escape") }
                    position += 1
                    guard current == UInt8(ascii: "u") else { throw failure("unpaired surrogate in \\u escape") }
                    position += 1
                    let low = UInt32(try hex4())
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let s = Unicode.Scalar(scalar) else { throw failure("unpaired surrogate in \\u escape") }
                utf8.append(contentsOf: String(Character(s)).utf8)
            default:
                position -= 1
                throw failure("invalid escape '\\\(Character(Unicode.Scalar(c)))'")
            }
        }

        mutating func hex4() throws(HeaderJSONError) -> UInt16 {
            var v: UInt16 = 0
            for _ in 0..<4 {
                guard let c = current, let d = hexValue(c) else { throw failure("invalid \\u escape") }
                v = v << 4 | UInt16(d)
                position += 1
            }
            return v
        }

        mutating func number() throws(HeaderJSONError) -> HeaderJSON {
            let start = position
            var integral = true
            if current == UInt8(ascii: "-") { position += 1 }
            // int: 0 | [1-9][0-9]*
            if current == UInt8(ascii: "0") {
                position += 1
            } else if let c = current, isDigit(c) {
                while let c = current, isDigit(c) { position += 1 }
            } else {
                throw unexpected()
            }
            if current == UInt8(ascii: ".") {
                integral = false
                position += 1
                try digits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integral = false
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                try digits()
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            if integral, let v = Int(text) { return .integer(v) }
            return .otherNumber(text)
        }

        mutating func digits() throws(HeaderJSONError) {
            guard let c = current, isDigit(c) else { throw unexpected() }
            while let c = current, isDigit(c) { position += 1 }
        }

        func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }

        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
    }
}

private func hex(_ c: UInt8) -> String {
    let s = String(c, radix: 16, uppercase: true)
    return s.count == 1 ? "0" + s : s
}

// MARK: writing

extension HeaderJSON {
    /// Compact JSON text, escaping strings as serde_json (the Python package's writer) does:
    /// `"` `\` and control characters only, short escapes where JSON has them, `\u00xx` otherwise.
    var compactText: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                out += HeaderJSON.quoted(member.key)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        case .array(let elements):
            out += "["
            for (i, e) in elements.enumerated() {
                if i > 0 { out += "," }
                e.write(to: &out)
            }
            out += "]"
        case .string(let s): out += HeaderJSON.quoted(s)
        case .integer(let v): out += String(v)
        case .otherNumber(let text): out += text
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{00}"..."\u{1F}": out += "\\u00" + hex(UInt8(scalar.value)).lowercased()
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

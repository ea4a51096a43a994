import Foundation

/// A JSON value, as Keras stores `model_config` and `training_config` in `.h5` files.
public indirect enum KerasJSON: Sendable, Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([KerasJSON])
    case object([String: KerasJSON])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if var items = try? decoder.unkeyedContainer() {
            // Elements and members are decoded with `try`, so a failure deep inside keeps its own path and reason.
            var array: [KerasJSON] = []
            while !items.isAtEnd { array.append(try items.decode(KerasJSON.self)) }
            self = .array(array)
        } else if let members = try? decoder.container(keyedBy: MemberKey.self) {
            var object: [String: KerasJSON] = [:]
            for key in members.allKeys { object[key.stringValue] = try members.decode(KerasJSON.self, forKey: key) }
            self = .object(object)
        } else {
            // Nothing matched: decode it as a number once more, so that the error says why.
            self = .number(try container.decode(Double.self))
        }
    }

    /// Writes the value back as JSON (a non-finite number, which JSON cannot hold, as the string
    /// Python writes for it: `NaN`, `Infinity`, `-Infinity`).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n) where n.isFinite: try container.encode(n)
        case .number(let n): try container.encode(n.isNaN ? "NaN" : n > 0 ? "Infinity" : "-Infinity")
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    /// Any object member name.
    private struct MemberKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// Why a text is not the JSON Keras writes: the problem, and where in the document it is when known.
    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public let description: String
    }

    /// Parses JSON text with Foundation's `JSONDecoder`. Python's `json.dumps` (which Keras uses) writes
    /// `NaN`, `Infinity` and `-Infinity` for non-finite floats; they are accepted through the decoder's
    /// JSON5 mode, which also tolerates comments, trailing commas and unquoted keys that Keras never writes.
    ///
    /// - Throws: `ParseError` saying what is wrong.
    public static func parse(_ text: String) throws -> KerasJSON {
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        do {
            return try decoder.decode(KerasJSON.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw ParseError(description: describe(error))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c): context = c
        @unknown default: return "not valid JSON (\(error))"
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        var reason = context.debugDescription
        // Where the parser stopped, when Foundation says (Darwin's underlying error does; Linux's has none).
        if let underlying = context.underlyingError as NSError?,
            let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
        {
            reason += " " + detail
        }
        if reason.hasSuffix(".") { reason.removeLast() }
        return path.isEmpty ? "not valid JSON: \(reason)" : "not valid JSON at \(path): \(reason)"
    }

    /// The member `key` of an object (nil otherwise).
    public subscript(key: String) -> KerasJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element at `index` of an array (nil otherwise or when out of range).
    public subscript(index: Int) -> KerasJSON? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var numberValue: Double? { if case .number(let n) = self { return n }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [KerasJSON]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: KerasJSON]? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { self == .null }

    /// A number that is an exact integer.
    public var intValue: Int? {
        guard let n = numberValue, n.rounded() == n, abs(n) < 9e15 else { return nil }
        return Int(n)
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\"\($0)\": \(o[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }
}

extension KerasJSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(arrayLiteral elements: KerasJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, KerasJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

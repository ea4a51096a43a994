import Foundation

/// A JSON value, as Keras stores `model_config` and `training_config` in `.h5` files.
public indirect enum KerasJSON: Sendable, Equatable, Decodable, CustomStringConvertible {
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
        } else if let a = try? container.decode([KerasJSON].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: KerasJSON].self))
        }
    }

    /// Parses JSON text. Python's `json.dumps` may write `NaN`/`Infinity`, which are accepted.
    public static func parse(_ text: String) throws -> KerasJSON {
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        return try decoder.decode(KerasJSON.self, from: Data(text.utf8))
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

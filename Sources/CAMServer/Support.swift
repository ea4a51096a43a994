import Foundation

/// A small least-recently-used cache, safe to share between requests.
final class LRUCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let capacity: Int
    private let lock = NSLock()
    private var values: [Key: Value] = [:]
    private var order: [Key] = []  // least recently used first

    init(capacity: Int) { self.capacity = max(1, capacity) }

    subscript(key: Key) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        guard let v = values[key] else { return nil }
        touch(key)
        return v
    }

    func insert(_ value: Value, for key: Key) {
        lock.lock()
        defer { lock.unlock() }
        if values.updateValue(value, forKey: key) != nil { touch(key); return }
        order.append(key)
        while order.count > capacity { values[order.removeFirst()] = nil }
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return values.count
    }

    private func touch(_ key: Key) {
        if let i = order.firstIndex(of: key) { order.remove(at: i) }
        order.append(key)
    }
}

/// A counter of requests in progress with a ceiling.
final class Limiter: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var current = 0

    init(limit: Int) { self.limit = max(1, limit) }

    /// Runs `body` if fewer than `limit` bodies are running, else throws 503 `busy`.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        try acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() throws {
        let admitted = lock.withLock {
            guard current < limit else { return false }
            current += 1
            return true
        }
        guard admitted else {
            throw APIError(.serviceUnavailable, "busy", "too many requests in progress; retry in 1 s", retryAfter: 1)
        }
    }

    private func release() { lock.withLock { current -= 1 } }
}

/// Runs CPU work (decoding, resizing, PNG encoding) on a Dispatch thread instead of Swift's
/// cooperative pool, which it would otherwise block.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try body() })
        }
    }
}

func milliseconds(_ seconds: Double) -> Double { (seconds * 10_000).rounded() / 10 }

/// A request's query parameters, percent-decoded, in order (a key may repeat).
struct Query: Sendable {
    var pairs: [(key: String, value: String)]

    init<S: Sequence>(_ parameters: S) where S.Element == (key: Substring, value: Substring) {
        pairs = parameters.map { (String($0.key), String($0.value)) }
    }

    init(_ pairs: [(String, String)]) { self.pairs = pairs.map { (key: $0.0, value: $0.1) } }

    subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }
}

import CAMCore
import Foundation

/// One part of a sharded evaluation (`camkit evaluate --shard I/N`): shard `index` of `count`,
/// 0-based. The samples `0 ..< total` are read in batches of `batch` (the last one shorter), and
/// shard `i` takes the batches `i * b / count ..< (i + 1) * b / count` of the `b = ceil(total /
/// batch)` (integer division): every member of an `N`-shard run computes the same split from `N`,
/// the sample count and the batch size alone, and each batch holds the same images as in an
/// unsharded run, so that the numbers are the same to the last bit (docs/SCALE.md).
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    public static let maxCount = 100_000

    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard (1...Self.maxCount).contains(count) else {
            throw CAMError("shard", "the shard count \(count) is out of range: give 1...\(Self.maxCount)")
        }
        guard (0..<count).contains(index) else {
            throw CAMError("shard", "shard \(index)/\(count) does not exist: shards are numbered 0...\(count - 1)")
        }
        self.index = index
        self.count = count
    }

    /// `I/N`, or `auto` / `auto/N` for the scheduler's own variables: Slurm's job arrays
    /// (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`; `/N`
    /// must then agree) or a Kubernetes indexed Job (`JOB_COMPLETION_INDEX`, with `/N` given).
    public init(parsing text: String, environment: [String: String]) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count) else { throw Self.syntax(text) }
        let given = try parts.count == 2 ? Self.integer(parts[1], text) : nil
        if parts[0] == "auto" {
            if let id = environment["SLURM_ARRAY_TASK_ID"] {
                let task = try Self.integer(id, "SLURM_ARRAY_TASK_ID=\(id)")
                let first = try environment["SLURM_ARRAY_TASK_MIN"].map { try Self.integer($0, "SLURM_ARRAY_TASK_MIN=\($0)") } ?? 0
                guard let total = try environment["SLURM_ARRAY_TASK_COUNT"].map({ try Self.integer($0, "SLURM_ARRAY_TASK_COUNT=\($0)") })
                else { throw CAMError("shard", "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not") }
                if let given, given != total {
                    throw CAMError("shard", "--shard auto/\(given) disagrees with SLURM_ARRAY_TASK_COUNT=\(total)")
                }
                try self.init(index: task - first, count: total)
            } else if let id = environment["JOB_COMPLETION_INDEX"] {
                guard let given else {
                    throw CAMError("shard", "JOB_COMPLETION_INDEX gives the shard but not the count: use --shard auto/N with N the Job's completions")
                }
                try self.init(index: Self.integer(id, "JOB_COMPLETION_INDEX=\(id)"), count: given)
            } else {
                throw CAMError(
                    "shard", "--shard auto needs SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX (a Kubernetes indexed Job)")
            }
        } else {
            guard let given else { throw Self.syntax(text) }
            try self.init(index: Self.integer(parts[0], text), count: given)
        }
    }

    static func syntax(_ text: String) -> CAMError {
        CAMError("shard", "'\(text)' is not a shard: give I/N (0 <= I < N), auto (Slurm) or auto/N (Kubernetes)")
    }

    static func integer(_ text: String, _ context: String) throws -> Int {
        guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else { throw syntax(context) }
        return v
    }

    /// The samples of `0 ..< total` this shard evaluates in batches of `batch`.
    public func range(of total: Int, batch: Int) -> Range<Int> {
        let batches = (total + batch - 1) / batch
        return min(total, index * batches / count * batch)..<min(total, (index + 1) * batches / count * batch)
    }

    public var description: String { "\(index)/\(count)" }
}

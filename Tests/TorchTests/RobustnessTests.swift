import Foundation
import Testing
@testable import Torch

/// Resident set size of this process in bytes, from /proc/self/statm (nil where there is none).
func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite struct MemoryTests {
    /// One create/use/free cycle: a tensor from Swift values and an op on it; every 1000th cycle
    /// an op libtorch rejects (its error path allocates a message and a backtrace, and costs ~1 ms).
    static func cycle(_ i: Int) throws {
        let t = try Tensor([Float(i), 1, 2, 3, 4, 5, 6, 7], shape: [2, 4])
        let u = try t * 2
        if i % 1000 == 0 {
            _ = try? t.matmul(u)  // [2, 4] @ [2, 4]: rejected
        }
        _ = u
    }

    /// 100,000 cycles must leave resident memory flat. A leaked handle (at::Tensor, its storage and
    /// the Swift object) would cost several hundred bytes per cycle, tens of MB in all.
    /// Other suites run in parallel in this process and can only add to RSS, so the test takes
    /// the smallest growth of three rounds.
    @Test(.enabled(if: residentBytes() != nil, "needs /proc/self/statm"))
    func tensorCreateFreeCyclesLeaveResidentMemoryFlat() throws {
        for i in 0..<10_000 { try Self.cycle(i) }  // warm-up: allocator pools, thread-locals
        var growths: [Int] = []
        for _ in 0..<3 {
            let before = residentBytes()!
            for i in 0..<100_000 { try Self.cycle(i) }
            growths.append(residentBytes()! - before)
            if growths.last! < 4 << 20 { break }
        }
        let smallest = growths.min()!
        print("memory: RSS growth over 100,000 cycles: \(growths.map { "\($0 / 1024) KiB" }.joined(separator: ", "))")
        #expect(smallest < 4 << 20, "resident memory grew by \(smallest) bytes over 100,000 cycles")
    }
}

@Suite struct ErrorTests {
    /// libtorch's messages come through without its C++ backtrace.
    static func isLibtorchMessage(_ e: TorchError) -> Bool {
        !e.message.isEmpty && !e.message.contains("Exception raised from") && !e.message.contains("frame #")
    }

    @Test func scalarsOfTheWrongTypeThrows() throws {
        let t = try Tensor([1.5, 2.5] as [Float])
        let e = try #require(throws: TorchError.self) { _ = try t.scalars(as: Int64.self) }
        #expect(e.message == "tensor holds float32, asked for int64")
        #expect(try t.scalars(as: Float.self) == [1.5, 2.5])
    }

    @Test func conv2dWithInt64WeightsCarriesLibtorchsMessage() throws {
        let x = try Tensor.ones([1, 2, 5, 5])
        let w = try Tensor.ones([3, 2, 3, 3], dtype: .int64)
        let e = try #require(throws: TorchError.self) { _ = try Functional.conv2d(x, weight: w) }
        #expect(Self.isLibtorchMessage(e), "\(e)")
        #expect(e.message.contains("Long") || e.message.contains("long"), "\(e.message)")
        #expect(e.operation.contains("conv2d"))
        // The process goes on, and the same call with matching dtypes works.
        let y = try Functional.conv2d(x, weight: w.to(.float32))
        #expect(y.shape == [1, 3, 3, 3])
        #expect(try y.max().item() == 18)
    }

    @Test func libtorchErrorsAreThrownAndTheProcessContinues() throws {
        let a = try Tensor.ones([2, 3])
        let cases: [(String, () throws -> Tensor, String)] = [
            ("matmul shapes", { try a.matmul(a) }, "cannot be multiplied"),
            ("reshape", { try a.reshape([4]) }, "invalid for input of size 6"),
            ("select out of range", { try a.select(dim: 0, index: 5) }, "out of range"),
            (
                "cross entropy with float targets of the wrong shape",
                { try Functional.crossEntropy(a, target: Tensor.zeros([5])) }, ""
            ),
            ("bilinear on a 2-D tensor", { try Functional.interpolate(a, size: (4, 4), mode: .bilinear) }, ""),
            ("reflect pad wider than the input", { try Functional.pad(Tensor.ones([1, 1, 2, 2]), [3, 3, 3, 3], mode: .reflect) }, "")
        ]
        for (label, body, fragment) in cases {
            let e = try #require(throws: TorchError.self, "\(label)") { _ = try body() }
            #expect(Self.isLibtorchMessage(e), "\(label): \(e)")
            if !fragment.isEmpty { #expect(e.message.contains(fragment), "\(label): \(e.message)") }
        }
        #expect(try (a + a).sum().item() == 12)
    }
}

import Testing
@testable import Torch

@Suite struct TensorBasicsTests {
    @Test func roundTripAndShape() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(t.shape == [2, 3])
        #expect(t.dtype == .float32)
        #expect(try t.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
        let p = try t.permute([1, 0]).contiguous()
        #expect(try p.scalars(as: Float.self) == [1, 4, 2, 5, 3, 6])
    }

    @Test func shapeMismatchThrowsWithLibtorchMessage() throws {
        let a = try Tensor.ones([2, 3])
        let b = try Tensor.ones([4, 5])
        #expect {
            _ = try a + b
        } throws: { error in
            let e = error as! TorchError
            return e.message.contains("must match the size")
        }
        // The process continues and libtorch still works.
        #expect(try (a + a).sum().item() == 12)
    }
}

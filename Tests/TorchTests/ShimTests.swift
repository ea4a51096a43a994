import CTorch
import Testing
@testable import Torch

/// The C shim's contracts: multi-output calls are all-or-nothing, `grad` tells "none" from a
/// failure, the typed enums reach libtorch as themselves, and failures surface as `TorchError`.
@Suite struct ShimTests {
    static let matrix: [Float] = [3, 1, 2, 6, 5, 4]

    /// A non-NULL value that no handle has, to see that a failed call overwrites its out-pointers.
    static var stale: OpaquePointer? { OpaquePointer(bitPattern: 0x10) }

    @Test func topkSortAndSVDResults() throws {
        let a = try Tensor(Self.matrix, shape: [2, 3])
        let top = try a.topk(2)
        #expect(try top.values.scalars(as: Float.self) == [3, 2, 6, 5])
        #expect(try top.indices.scalars(as: Int64.self) == [0, 2, 0, 1])
        let bottom = try a.topk(1, dim: 0, largest: false)
        #expect(try bottom.values.scalars(as: Float.self) == [3, 1, 2])
        #expect(try bottom.indices.scalars(as: Int64.self) == [0, 0, 0])

        let up = try a.sort()
        #expect(try up.values.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(try up.indices.scalars(as: Int64.self) == [1, 2, 0, 2, 1, 0])
        let down = try a.sort(dim: 0, descending: true)
        #expect(try down.values.scalars(as: Float.self) == [6, 5, 4, 3, 1, 2])
        #expect(try down.indices.scalars(as: Int64.self) == [1, 1, 1, 0, 0, 0])

        // [[1, 2, 3], [4, 5, 6]]: the singular values are the roots of the eigenvalues of
        // A Aᵀ = [[14, 32], [32, 77]] (trace 91, determinant 54).
        let m = try Tensor([1, 2, 3, 4, 5, 6] as [Double], shape: [2, 3])
        let (u, s, vh) = try m.svd()
        #expect(u.shape == [2, 2] && s.shape == [2] && vh.shape == [2, 3])
        let root = (91.0 * 91 - 4 * 54).squareRoot()
        let expected = [((91 + root) / 2).squareRoot(), ((91 - root) / 2).squareRoot()]
        let singular = try s.scalars(as: Double.self)
        #expect(zip(singular, expected).allSatisfy { abs($0 - $1) < 1e-10 }, "\(singular) vs \(expected)")
        let rebuilt = try (u * s.unsqueeze(0)).matmul(vh)
        #expect(try (rebuilt - m).abs().max().item() < 1e-10)
    }

    @Test func failingMultiOutputCallsThrowAndTheProcessGoesOn() throws {
        let a = try Tensor(Self.matrix, shape: [2, 3])
        let cases: [(String, () throws -> Void, String)] = [
            ("topk with k above the size of the dim", { _ = try a.topk(5) }, "out of range"),
            ("sort on a dim that is not there", { _ = try a.sort(dim: 7) }, "out of range"),
            ("svd of an integer matrix", { _ = try a.to(.int64).svd() }, "floating point"),
            (
                "gradients of an output that does not require grad",
                { _ = try Autograd.gradients(of: a.sum(), wrt: [a]) }, "does not require grad"
            )
        ]
        for (label, body, fragment) in cases {
            let e = try #require(throws: TorchError.self, "\(label)") { try body() }
            #expect(ErrorTests.isLibtorchMessage(e), "\(label): \(e)")
            #expect(e.message.contains(fragment), "\(label): \(e.message)")
        }
        #expect(try a.topk(3).values.scalars(as: Float.self) == [3, 2, 1, 6, 5, 4])
    }

    @Test func failedMultiOutputCallsLeaveEveryOutPointerNull() throws {
        let a = try Tensor(Self.matrix, shape: [2, 3])
        let ints = try a.to(.int64)
        let x = try Tensor.ones([3]).requiringGrad()
        withExtendedLifetime((a, ints, x)) {
            var v = Self.stale, i = Self.stale
            #expect(ct_topk(a.handle, 5, -1, true, true, &v, &i) == -1)
            #expect(v == nil && i == nil)

            v = Self.stale
            i = Self.stale
            #expect(ct_sort(a.handle, 7, false, &v, &i) == -1)
            #expect(v == nil && i == nil)

            var u = Self.stale, s = Self.stale, vh = Self.stale
            #expect(ct_svd(ints.handle, &u, &s, &vh) == -1)
            #expect(u == nil && s == nil && vh == nil)

            // `a` does not require grad, so no gradient at all comes back, not even x's.
            let outputs: [OpaquePointer?] = [a.handle]
            let inputs: [OpaquePointer?] = [x.handle, a.handle]
            var grads: [OpaquePointer?] = [Self.stale, Self.stale]
            #expect(ct_autograd_grad(outputs, 1, nil, inputs, 2, false, false, &grads) == -1)
            #expect(grads == [nil, nil])

            // A missing out-pointer is a reported failure, not a crash.
            i = Self.stale
            #expect(ct_topk(a.handle, 1, -1, true, true, nil, &i) == -1)
            #expect(i == nil)
            #expect(String(cString: ct_last_error()).contains("NULL"))
        }
    }

    @Test func gradIsNilWithoutAGradientAndTheGradientAfterBackward() throws {
        let plain = try Tensor([1, 2, 3] as [Float])
        #expect(try plain.grad == nil)
        let x = try Tensor([1, 2, 3] as [Float]).requiringGrad()
        #expect(try x.grad == nil, "no backward yet")
        try (x * x).sum().backward()
        let g = try #require(try x.grad)
        #expect(try g.scalars(as: Float.self) == [2, 4, 6])
        try x.zeroGrad()
        #expect(try x.grad == nil)

        // At the C level "none" is success with NULL; a failure is -1.
        withExtendedLifetime(plain) {
            var h = Self.stale
            #expect(ct_grad(plain.handle, &h) == 0)
            #expect(h == nil)
            #expect(ct_grad(plain.handle, nil) == -1)
        }
    }

    @Test func unusedInputsGetZeroGradients() throws {
        let x = try Tensor([1, 2, 3] as [Float]).requiringGrad()
        let unused = try Tensor.ones([2]).requiringGrad()
        let grads = try Autograd.gradients(of: (x * x).sum(), wrt: [x, unused])
        #expect(try grads[0].scalars(as: Float.self) == [2, 4, 6])
        #expect(try grads[1].scalars(as: Float.self) == [0, 0])
    }

    @Test func enumsReachLibtorchAsThemselves() throws {
        for d in DType.allCases {
            #expect(try Tensor.zeros([2], dtype: d).dtype == d)
            #expect(DType(d.ct) == d)
            #expect(ct_dtype_size(d.ct) == Int32(d.byteSize))
        }
        let x = try Tensor.ones([1, 3, 4, 4])
        #expect(x.isContiguous && !x.isChannelsLast)
        #expect(try x.channelsLast().isChannelsLast)
        #expect(try Tensor.full([2], value: 7).scalars(as: Float.self) == [7, 7])

        // A value outside an enum is still rejected by the shim.
        let shape: [Int64] = [2]
        #expect(ct_factory(ct_factory_kind(rawValue: 9), CT_FLOAT32, shape, 1) == nil)
        #expect(String(cString: ct_last_error()) == "unknown factory kind 9")
    }

    @Test func threadCountComesThroughTheGuard() throws {
        #expect(try Runtime.threadCount >= 1)
    }
}

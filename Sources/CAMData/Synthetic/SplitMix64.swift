import Foundation

/// SplitMix64: a small, fast, seedable generator with the same output on every platform, used
/// wherever CAMKit's data pipeline must be reproducible (synthetic images, shuffling, augmentation).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one item of a stream: the seed mixed with each key in turn, so that
    /// `(seed, a, b)` and `(seed, b, a)` or `(seed, a)` give unrelated sequences.
    public init(seed: UInt64, keys: UInt64...) {
        var s = Self.mix(seed ^ 0x6A09_E667_F3BC_C909)
        for k in keys { s = Self.mix(s ^ Self.mix(k &+ 0x9E37_79B9_7F4A_7C15)) }
        state = s
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 finaliser.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double uniform in `[0, 1)` (53 random bits).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal sample (Box–Muller on two uniforms; the sine half is not kept).
    public mutating func gaussian() -> Double {
        let u1 = 1 - unit()  // (0, 1]: the logarithm stays finite
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// A double uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// An integer uniform in `0 ..< n` (Lemire's unbiased method).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let t = (0 &- bound) % bound
            while m.low < t { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// A uniformly random permutation of `0 ..< n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, below(i + 1)) }
        }
        return p
    }
}

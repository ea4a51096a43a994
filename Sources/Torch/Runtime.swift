import CTorch
#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide libtorch settings: seeds, threads, generator state.
public enum Runtime {
    /// Seeds libtorch's global CPU generator.
    public static func manualSeed(_ seed: UInt64) throws { try Tensor.status("manualSeed", ct_manual_seed(seed)) }

    /// The machine's online cores.
    public static var coreCount: Int {
        #if canImport(Glibc)
            return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
            return 1
        #endif
    }

    /// libtorch's intra-op thread count.
    public static var threadCount: Int {
        get throws {
            let n = ct_get_num_threads()
            try Tensor.status("threadCount", n)
            return Int(n)
        }
    }

    /// Sets libtorch's intra-op thread count (nil: the machine's cores).
    public static func setThreads(_ n: Int? = nil) throws {
        try Tensor.status("setThreads", ct_set_num_threads(Int32(n ?? coreCount)))
    }

    /// Keeps freed memory for reuse instead of handing large blocks back to the kernel after
    /// every forward (glibc's default), which would page-fault them in afresh each time: about
    /// a third of a batch-16 ResNet50 forward on a 2-core machine. Memory stays at its peak.
    public static func retainFreedMemory() throws {
        try Tensor.status("retainFreedMemory", ct_retain_freed_memory())
    }

    /// The global generator's state (to save with a checkpoint).
    public static func rngState() throws -> [UInt8] {
        let n = ct_rng_state(nil, 0)
        if n < 0 { throw TorchError.last("rngState") }
        var bytes = [UInt8](repeating: 0, count: Int(n))
        _ = bytes.withUnsafeMutableBufferPointer { ct_rng_state($0.baseAddress, n) }
        return bytes
    }

    /// Restores a state from `rngState()`.
    public static func setRNGState(_ state: [UInt8]) throws {
        try Tensor.status("setRNGState", state.withUnsafeBufferPointer { ct_set_rng_state($0.baseAddress, Int64($0.count)) })
    }
}

import CTextRNNKernels

/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), so any tool can check a weights file:
/// Python's `zlib.crc32`, `gzip`, `cksum -a crc32b`. One implementation, in C
/// (load_checks.c): slicing-by-8 tables, and PCLMULQDQ folding (~10x faster) where the CPU has
/// it, which keeps a full check inside the load-time budget.
public enum CRC32 {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return previous }
        return trk_crc32(previous, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}

/// The index of the first NaN or infinity in `values[0..<count]`, nil when every value is
/// finite: the check of loaded float32 tensors and of the trainer's weights after each epoch.
@_spi(TextRNNInternal) public func firstNonFinite(_ values: UnsafePointer<Float>, count: Int) -> Int? {
    let index = trk_first_nonfinite(values, count)
    return index < 0 ? nil : index
}

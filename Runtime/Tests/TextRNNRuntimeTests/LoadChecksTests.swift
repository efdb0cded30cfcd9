import Testing

@_spi(TextRNNInternal) @testable import TextRNNRuntime

/// CRC-32 and the non-finite scan (load_checks.c), against definitions written out here.
@Suite struct LoadChecksTests {
    /// Bit by bit, from the definition (reflected polynomial 0xEDB88320, inverted in and out).
    private func bitwiseCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc = ~UInt32(0)
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test func crc32MatchesTheDefinition() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926, "the standard check value")
        #expect(CRC32.checksum([UInt8]()) == 0)
        var state: UInt32 = 12345
        let bytes = (0..<5000).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        // Lengths around the folding path's 64-byte minimum and 16-byte steps.
        for count in [1, 7, 8, 63, 64, 65, 79, 80, 127, 128, 1000, 4999, 5000] {
            #expect(CRC32.checksum(Array(bytes[..<count])) == bitwiseCRC32(Array(bytes[..<count])), "\(count) bytes")
        }
        let split = bytes.withUnsafeBytes { all in
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[1234...]), continuing: CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[..<1234])))
        }
        #expect(split == bitwiseCRC32(bytes), "continuing a checksum")
    }

    @Test func firstNonFiniteFindsTheFirst() {
        var values = [Float](repeating: 1.5, count: 10_000)
        #expect(firstNonFinite(values, count: values.count) == nil)
        values[9_999] = .infinity
        values[5_000] = -.infinity
        #expect(firstNonFinite(values, count: values.count) == 5_000)
        values[4_097] = .nan
        #expect(firstNonFinite(values, count: values.count) == 4_097)
        #expect(firstNonFinite(values, count: 4_097) == nil)
        #expect(firstNonFinite(values, count: 0) == nil)
        values[0] = .greatestFiniteMagnitude
        #expect(firstNonFinite(values, count: 4_097) == nil)
    }
}

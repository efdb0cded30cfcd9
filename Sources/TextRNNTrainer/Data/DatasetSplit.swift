extension LabelledDataset {
    /// A seeded, stratified train/validation split, deterministic for a given seed.
    ///
    /// Rows are grouped by label set (single-label data: by class). The validation part gets
    /// `round(fraction * count)` rows, shared among the groups in proportion to their sizes
    /// (largest remainder; ties go to the earlier group), and each group's rows are chosen by a
    /// Fisher-Yates shuffle driven by `SeededGenerator(seed:)`. Both parts keep file order.
    public func stratifiedSplit(validationFraction fraction: Double, seed: UInt64) -> (train: LabelledDataset, validation: LabelledDataset) {
        precondition(fraction >= 0 && fraction < 1, "validation fraction must be in [0, 1)")
        // Groups in order of first appearance of their key, sorted by key for independence from row order.
        var groupOf: [[Int]: Int] = [:]
        var groups: [[Int]] = []
        var keys: [[Int]] = []
        for (row, set) in labelSets.enumerated() {
            if let group = groupOf[set] {
                groups[group].append(row)
            } else {
                groupOf[set] = groups.count
                groups.append([row])
                keys.append(set)
            }
        }
        let order = keys.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
        groups = order.map { groups[$0] }

        let total = Int((fraction * Double(count)).rounded())
        var quotas = groups.map { Int((fraction * Double($0.count)).rounded(.down)) }
        var remaining = total - quotas.reduce(0, +)
        let byRemainder = groups.indices.sorted { lhs, rhs in
            let left = fraction * Double(groups[lhs].count) - Double(quotas[lhs])
            let right = fraction * Double(groups[rhs].count) - Double(quotas[rhs])
            return left != right ? left > right : lhs < rhs
        }
        for group in byRemainder where remaining > 0 && quotas[group] < groups[group].count {
            quotas[group] += 1
            remaining -= 1
        }

        var generator = SeededGenerator(seed: seed)
        var isValidation = [Bool](repeating: false, count: count)
        for (group, rows) in groups.enumerated() {
            var shuffled = rows
            Self.shuffle(&shuffled, using: &generator)
            for row in shuffled.prefix(quotas[group]) { isValidation[row] = true }
        }
        let train = indices(where: isValidation, equal: false)
        let validation = indices(where: isValidation, equal: true)
        return (subset(train), subset(validation))
    }

    private func indices(where flags: [Bool], equal value: Bool) -> [Int] {
        flags.indices.filter { flags[$0] == value }
    }

    /// Fisher-Yates with an unbiased bounded draw (Lemire), so the result depends on the seed
    /// only, not on the standard library's shuffle algorithm.
    static func shuffle<T>(_ array: inout [T], using generator: inout SeededGenerator) {
        guard array.count > 1 else { return }
        for index in stride(from: array.count - 1, to: 0, by: -1) {
            let other = Int(uniform(UInt64(index + 1), using: &generator))
            array.swapAt(index, other)
        }
    }

    /// A uniform integer in 0 ..< bound.
    static func uniform(_ bound: UInt64, using generator: inout SeededGenerator) -> UInt64 {
        var product = generator.next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = generator.next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }
}

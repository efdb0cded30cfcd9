extension Model {
    /// The label order of top-k, `textrnn predict` and explanations: most probable first, ties
    /// (and NaN, ranked last) by lower index, a strict total order.
    package static func ranks<Probabilities: RandomAccessCollection<Float>>(
        _ a: Int, before b: Int, in probabilities: Probabilities
    ) -> Bool where Probabilities.Index == Int {
        let pa = probabilities[a].isNaN ? -Float.infinity : probabilities[a]
        let pb = probabilities[b].isNaN ? -Float.infinity : probabilities[b]
        return pa != pb ? pa > pb : a < b
    }

    /// The index of the label ranked first.
    static func mostProbable(_ probabilities: [Float]) -> Int {
        var best = 0
        for index in probabilities.indices.dropFirst() where ranks(index, before: best, in: probabilities) { best = index }
        return best
    }
}

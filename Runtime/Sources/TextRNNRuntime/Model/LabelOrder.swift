/// How labels are picked from probabilities: the one rule of textrnn_top_k, `textrnn predict`,
/// `textrnn evaluate`, explanations, the trainer's metrics and the Python bindings.
///
/// Probabilities are one row as `Model.predict` writes them (`labelCount` values; a binary
/// sigmoid model's row is [1 - p, p]). Label indices are positions in the row (0-based, whatever
/// the collection's start index).
public enum LabelOrder {
    /// A multi-label model predicts every label whose probability reaches this.
    public static let multiLabelThreshold: Float = 0.5

    /// Label `a` ranks before label `b`: more probable first; ties by lower index; NaN ranks below
    /// every number. A strict total order, so sorting by it is deterministic.
    @inline(__always)
    public static func ranks<Row: RandomAccessCollection<Float>>(_ a: Int, before b: Int, in row: Row) -> Bool
    where Row.Index == Int {
        let pa = row[row.startIndex + a], pb = row[row.startIndex + b]
        let va = pa.isNaN ? -Float.infinity : pa
        let vb = pb.isNaN ? -Float.infinity : pb
        return va != vb ? va > vb : a < b
    }

    /// The label ranked first (0 for an empty row).
    public static func top<Row: RandomAccessCollection<Float>>(_ row: Row) -> Int where Row.Index == Int {
        var best = 0
        for index in 1..<max(row.count, 1) where ranks(index, before: best, in: row) { best = index }
        return best
    }

    /// Every label, ranked first to last.
    public static func ranked<Row: RandomAccessCollection<Float>>(_ row: Row) -> [Int] where Row.Index == Int {
        Array(0..<row.count).sorted { ranks($0, before: $1, in: row) }
    }

    /// A multi-label model's prediction: the labels at or above `threshold` (by default
    /// `multiLabelThreshold`), in index order (NaN is never chosen).
    public static func chosen<Row: RandomAccessCollection<Float>>(_ row: Row, threshold: Float = multiLabelThreshold) -> [Int]
    where Row.Index == Int {
        (0..<row.count).filter { row[row.startIndex + $0] >= threshold }
    }

    /// The top label of one row of a network's output, which for a binary sigmoid model is the
    /// single probability of label 1 (the trainer's batches; the runtime expands it to [1 - p, p]).
    public static func top<Row: RandomAccessCollection<Float>>(networkOutput row: Row, _ output: Manifest.OutputKind) -> Int
    where Row.Index == Int {
        guard output == .binarySigmoid else { return top(row) }
        let p = row[row.startIndex]
        return top([1 - p, p])
    }
}

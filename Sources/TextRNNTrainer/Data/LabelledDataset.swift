/// Labelled texts, one row per example, in file order.
///
/// Every row has a set of class indices (`labelSets`, sorted, without repeats). A single-label
/// dataset has exactly one per row and `labels` holds it; in a multi-label dataset a row may
/// have several or none, and `labels` holds the first (smallest) index or -1.
public struct LabelledDataset: Sendable {
    public var texts: [String]
    /// The first class index of each row (the only one in single-label data), -1 if none.
    public var labels: [Int]
    /// The sorted class indices of each row.
    public var labelSets: [[Int]]
    /// The label map: `labelNames[i]` is class i.
    public var labelMap: LabelMap
    /// The file each row came from (the data file, or a document's path under a folder root).
    public var files: [String]
    /// The 1-based line on which each row starts in its file.
    public var lines: [Int]
    /// True when labels were given as lists (JSON arrays, several fastText labels, a CSV
    /// `labelSeparator`): use multi-label losses and metrics.
    public var isMultiLabel: Bool
    /// Rows dropped because of `DatasetOptions.skipBadRows`, and why (the first 1,000 reasons).
    public var skippedRows: Int
    public var skipped: [DataError]

    public var labelNames: [String] { labelMap.names }
    public var count: Int { texts.count }
    public var classCount: Int { labelMap.count }

    public init(
        texts: [String], labelSets: [[Int]], labelMap: LabelMap, files: [String], lines: [Int],
        isMultiLabel: Bool = false, skippedRows: Int = 0, skipped: [DataError] = []
    ) {
        precondition(texts.count == labelSets.count && texts.count == files.count && texts.count == lines.count)
        self.texts = texts
        self.labelSets = labelSets
        self.labels = labelSets.map { $0.first ?? -1 }
        self.labelMap = labelMap
        self.files = files
        self.lines = lines
        self.isMultiLabel = isMultiLabel
        self.skippedRows = skippedRows
        self.skipped = skipped
    }

    /// "file:line" of a row, for messages.
    public func location(of row: Int) -> String { "\(files[row]):\(lines[row])" }

    /// The rows at `indices`, in that order (same label map; skip counts are not carried).
    public func subset(_ indices: [Int]) -> LabelledDataset {
        LabelledDataset(
            texts: indices.map { texts[$0] }, labelSets: indices.map { labelSets[$0] }, labelMap: labelMap,
            files: indices.map { files[$0] }, lines: indices.map { lines[$0] }, isMultiLabel: isMultiLabel)
    }

    /// Rows per class (a multi-label row counts once for each of its classes).
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for set in labelSets { for label in set { counts[label] += 1 } }
        return counts
    }
}

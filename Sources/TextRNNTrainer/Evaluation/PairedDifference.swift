/// Two models compared row by row on the same validation data: the mean of the per-row
/// differences (in correctness or in loss) and its standard error, √(variance / n) with the
/// population variance. Both of the trainer's choices that guard against picking noise use it:
/// a recipe search's incumbent rule (`RecipeSearch.replaces`) and the bag mix's
/// one-standard-error rule (`FittedBag`).
struct PairedDifference {
    let mean: Double
    let standardError: Double

    init(_ differences: some Collection<Double>) {
        let n = Double(max(differences.count, 1))
        mean = differences.reduce(0, +) / n
        let variance = max(0, differences.reduce(0) { $0 + $1 * $1 } / n - mean * mean)
        standardError = (variance / n).squareRoot()
    }
}

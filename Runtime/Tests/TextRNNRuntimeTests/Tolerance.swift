/// |actual - expected| <= absolute + relative * |expected|
func close(_ actual: Double, _ expected: Double, absolute: Double = 1e-5, relative: Double = 0) -> Bool {
    abs(actual - expected) <= absolute + relative * abs(expected)
}

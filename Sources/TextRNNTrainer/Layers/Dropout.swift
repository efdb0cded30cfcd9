/// Inverted dropout masks (Keras `backend.random.dropout` on a ones tensor): each entry is kept
/// with probability 1 − rate and then scaled by 1/(1 − rate), so inference needs no rescaling.
/// Masks are drawn once per forward call and reused by the backward pass, which is also what
/// makes a dropout network differentiable by finite differences with a fixed seed.
enum DropoutMask {
    /// Fills `mask[0..<count]`; with rate 0 every entry is 1.
    static func fill(_ mask: UnsafeMutablePointer<Float>, count: Int, rate: Float, rng: inout SeededGenerator) {
        guard rate > 0 else {
            mask.update(repeating: 1, count: count)
            return
        }
        let scale = rate < 1 ? 1 / (1 - rate) : 0
        for i in 0..<count { mask[i] = rng.nextUnitFloat() >= rate ? scale : 0 }
    }
}

import CTextRNNKernels

/// Per-thread working memory for prediction. A `Model` is shared and immutable; everything a
/// prediction writes lives here, so give each thread its own scratch (or let the model make a
/// temporary one). Buffers only grow, so steady-state prediction allocates nothing.
public final class PredictionScratch {
    var tokenizer = TokenizerScratch()
    var ids: [Int32] = []  // the model input
    var tokens: [Int32] = []  // every token of the text, for a whole-text bag branch
    var characters: [UInt32] = []  // the text's character n-gram buckets, for a bag that reads them
    var characterScratch = CharacterScratch()
    var mask = GrowableBuffer<UInt8>()  // [steps] 1 = real token
    var current = GrowableBuffer<Float>()  // [steps, features] the layer input
    var next = GrowableBuffer<Float>()  // [steps, features] the layer output
    var backward = GrowableBuffer<Float>()  // [steps, units] a Bidirectional layer's backward output
    var recurrent = GrowableBuffer<Float>()  // RecurrentLayer.scratchCount floats
    var bag = BagScratch()  // the bag branch's features of one text
    var helperRecurrent = GrowableBuffer<Float>()  // the helper thread's RecurrentLayer scratch
    let directionTask = DirectionTask()  // a Bidirectional layer's backward direction, for a helper
    var laneIDs = GrowableBuffer<Int32>()  // `ids` while a lockstep group runs
    var laneTokens = GrowableBuffer<Int32>()  // `tokens` while a lockstep group runs
    var laneCharacters = GrowableBuffer<UInt32>()  // `characters` while a lockstep group runs
    /// A lockstep group's other texts' scratches (this one is the first text's).
    lazy var otherLanes: [PredictionScratch] = (1..<Int(TRK_LANES)).map { _ in PredictionScratch() }

    public init() {}
}

/// A heap buffer that grows on demand and never shrinks.
final class GrowableBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init() {
        capacity = 64
        pointer = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
    }

    /// A pointer to at least `count` elements (contents are not preserved on growth).
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity * 2)
            pointer = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}

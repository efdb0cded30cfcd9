import TextRNNRuntime

/// Where one named tensor lives in the flat buffers.
public struct TensorView: Sendable, Equatable {
    /// LayerSpec tensor name: "<layer>/<role>" or "<layer>/<direction>/<role>".
    public let name: String
    public let offset: Int
    /// Keras layout, row-major (see LayerSpec.swift).
    public let shape: [Int]
    /// Gradient arrives as per-lookup slices (the Embedding): the store then also keeps the sum of
    /// the slices' squares, which is what Keras's optimizers square on the TF backend.
    public let sparse: Bool
    public var count: Int { shape.reduce(1, *) }
}

/// Collects tensor declarations while layers are built; offsets are assigned in declaration order,
/// which is layer order and, inside a layer, Keras's weight order (kernel, recurrent_kernel, bias).
struct ParameterLayout {
    private(set) var views: [TensorView] = []
    private(set) var count = 0

    mutating func add(_ name: String, _ shape: [Int], sparse: Bool = false) -> TensorView {
        let view = TensorView(name: name, offset: count, shape: shape, sparse: sparse)
        views.append(view)
        count += view.count
        return view
    }
}

public enum ParameterStoreError: Error, CustomStringConvertible {
    case unknownTensor(String)
    case sizeMismatch(name: String, expected: Int, got: Int)

    public var description: String {
        switch self {
        case .unknownTensor(let name): "no tensor named \(name)"
        case .sizeMismatch(let name, let expected, let got): "tensor \(name) has \(expected) values, got \(got)"
        }
    }
}

/// All trainable parameters in one flat Float buffer, gradients in a second buffer with the same
/// offsets. One contiguous block lets the optimizer, clipping and checkpointing treat the model as
/// a single vector, while named views keep Keras names and layouts for import and export.
public final class ParameterStore {
    /// Every tensor in a stable order (declaration order).
    public let tensors: [TensorView]
    private let index: [String: Int]
    /// Total number of Floats.
    public let count: Int
    public let parameters: UnsafeMutablePointer<Float>  // [count]
    public let gradients: UnsafeMutablePointer<Float>   // [count], mirrors `parameters`
    /// Σ over lookups of (slice gradient)², elementwise, for sparse tensors; 0 elsewhere. On TF,
    /// Keras squares an embedding's IndexedSlices gradient slice by slice, so a token seen twice
    /// contributes g₁² + g₂² (not (g₁ + g₂)²) to Adam's v, RMSprop's velocity and the global norm.
    public let sparseGradientSquares: UnsafeMutablePointer<Float>  // [count]
    /// The tensors with `sparse` set.
    public let sparseTensors: [TensorView]

    init(layout: ParameterLayout) {
        tensors = layout.views
        count = layout.count
        var index: [String: Int] = [:]
        for (i, view) in layout.views.enumerated() { index[view.name] = i }
        self.index = index
        parameters = .allocate(capacity: max(count, 1))
        parameters.initialize(repeating: 0, count: max(count, 1))
        gradients = .allocate(capacity: max(count, 1))
        gradients.initialize(repeating: 0, count: max(count, 1))
        sparseGradientSquares = .allocate(capacity: max(count, 1))
        sparseGradientSquares.initialize(repeating: 0, count: max(count, 1))
        sparseTensors = layout.views.filter(\.sparse)
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
        sparseGradientSquares.deallocate()
    }

    public var tensorNames: [String] { tensors.map(\.name) }

    public func view(named name: String) throws -> TensorView {
        guard let i = index[name] else { throw ParameterStoreError.unknownTensor(name) }
        return tensors[i]
    }

    public func tensor(named name: String) throws -> [Float] {
        let v = try view(named: name)
        return Array(UnsafeBufferPointer(start: parameters + v.offset, count: v.count))
    }

    public func setTensor(named name: String, to values: [Float]) throws {
        let v = try view(named: name)
        guard values.count == v.count else {
            throw ParameterStoreError.sizeMismatch(name: name, expected: v.count, got: values.count)
        }
        values.withUnsafeBufferPointer { (parameters + v.offset).update(from: $0.baseAddress!, count: v.count) }
    }

    /// The accumulated gradient of a tensor; the embedding's sparse gradient reads back dense.
    public func gradient(named name: String) throws -> [Float] {
        let v = try view(named: name)
        return Array(UnsafeBufferPointer(start: gradients + v.offset, count: v.count))
    }

    public func zeroGradients() {
        nonisolated(unsafe) let g = gradients, squares = sparseGradientSquares
        let sparse = sparseTensors
        forEachHalf(count) { range in
            (g + range.lowerBound).update(repeating: 0, count: range.count)
            for v in sparse {
                let part = range.clamped(to: v.offset..<v.offset + v.count)
                (squares + part.lowerBound).update(repeating: 0, count: part.count)
            }
        }
    }

    /// g² as Keras's optimizers see it: the elementwise square for dense tensors, the per-slice
    /// sum of squares for sparse ones. Writes [count] values into `out`.
    public func squaredGradients(into out: UnsafeMutablePointer<Float>) {
        squaredGradients(into: out, range: 0..<count)
    }

    /// The same for the elements in `range` only (optimizers work on halves in parallel).
    func squaredGradients(into out: UnsafeMutablePointer<Float>, range: Range<Int>) {
        let g = gradients
        for i in range { out[i] = g[i] * g[i] }
        for v in sparseTensors {
            let part = range.clamped(to: v.offset..<v.offset + v.count)
            (out + part.lowerBound).update(from: sparseGradientSquares + part.lowerBound, count: part.count)
        }
    }

    /// The whole parameter vector (for checkpoints and tests).
    public var allParameters: [Float] {
        get { Array(UnsafeBufferPointer(start: parameters, count: count)) }
        set {
            precondition(newValue.count == count, "parameter vector size mismatch")
            newValue.withUnsafeBufferPointer { parameters.update(from: $0.baseAddress!, count: count) }
        }
    }

    public var allGradients: [Float] { Array(UnsafeBufferPointer(start: gradients, count: count)) }
}

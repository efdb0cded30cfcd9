import TextRNNRuntime

/// One Keras recurrent layer (SimpleRNN, LSTM, GRU) over a batch of sequences [B, T, D] with an
/// optional mask [B, T]. It owns the parameters' views, the dropout masks and the caller-facing
/// output and input gradient; the time loop runs in RecurrentLane.
///
/// Two lanes. With two threads available and a batch large enough, the batch is split into two
/// lanes that run the whole time loop (forward and backward) on the two cores at once, each with
/// single-threaded GEMMs: a unidirectional layer then uses both cores without a synchronisation
/// per step. Samples are dealt to the lanes alternately in order of their unmasked length, so
/// both lanes get about the same work. The split depends only on the batch and the mask, and the
/// second lane's weight gradients are added after the first's, so a run is reproducible for a
/// given thread count. Inside a Bidirectional layer the two directions already own the two
/// cores, so its directions keep one lane.
public final class RecurrentLayer {
    public let spec: RecurrentSpec
    /// Keras `zero_output_for_mask`: masked steps output 0 (inside Bidirectional) instead of
    /// the carried state (a plain layer).
    public let zeroOutputForMask: Bool
    public let inputDim: Int
    let units: Int
    let gateWidth: Int  // G = gateCount·units
    let kernel: TensorView           // [D, G]
    let recurrentKernel: TensorView  // [U, G]
    let bias: TensorView?            // [G], or [2, G] for GRU reset_after
    /// Keras `dropout`: one mask per sample over input features, fixed across time steps.
    public var dropout: Float = 0
    /// Keras `recurrent_dropout`: one mask per sample over h, applied to h_{t−1} where it enters
    /// the recurrent matmul (the carried state itself is not dropped).
    public var recurrentDropout: Float = 0
    /// At most this many lanes split the batch; 1 keeps the whole batch on one thread. A session
    /// with two or more threads raises it to 2 (Network.useThreads); a Bidirectional layer's
    /// directions stay at 1. The split depends on this, never on the threads that happen to run.
    public var maximumLanes = 1
    /// The lanes the last forward used.
    public private(set) var laneCount = 1
    /// A lane needs at least this many rows to be worth its own thread.
    static let minimumLaneRows = 8

    var batch = 0, time = 0
    var useInputMask = false, useRecurrentMask = false
    let inputMask = FloatBuffer()      // [B, D] input dropout mask, sample order
    let recurrentMask = FloatBuffer()  // [B, U] recurrent dropout mask, sample order
    public let output = FloatBuffer()  // [B, T, U] with return_sequences, else [B, U]
    public let inputGradient = FloatBuffer() // [B, T, D]

    private var lanes: [RecurrentLane] = []
    /// The lanes of the last forward (tests read their buffers).
    var activeLanes: ArraySlice<RecurrentLane> { lanes.prefix(laneCount) }
    /// The kernel, recurrent kernel and bias are consecutive in the parameter store: this span.
    private let parameterSpan: Range<Int>
    private let laneGradients = FloatBuffer() // [span] the second lane's weight gradients

    init(spec: RecurrentSpec, inputDim: Int, prefix: String, layout: inout ParameterLayout, zeroOutputForMask: Bool = false) {
        self.spec = spec
        self.zeroOutputForMask = zeroOutputForMask
        self.inputDim = inputDim
        units = spec.units
        gateWidth = spec.cell.gateCount * spec.units
        var k: TensorView?, r: TensorView?, b: TensorView?
        for (role, shape) in spec.weightShapes(inputDim: inputDim) {
            let v = layout.add(prefix + role, shape)
            switch role {
            case "kernel": k = v
            case "recurrent_kernel": r = v
            default: b = v
            }
        }
        kernel = k!
        recurrentKernel = r!
        bias = b
        let views = [kernel, recurrentKernel] + (bias.map { [$0] } ?? [])
        parameterSpan = views.map(\.offset).min()!..<views.map { $0.offset + $0.count }.max()!
    }

    public var outputDim: Int { units }

    /// Runs the layer on x [B, T, D] with an optional mask [B, T] (1 = keep); returns `output`.
    @discardableResult
    public func forward(
        input x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch B: Int, time T: Int,
        training: Bool, rng: inout SeededGenerator, parameters p: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        prepareForward(batch: B, training: training, rng: &rng)
        return forward(input: x, mask: mask, batch: B, time: T, parameters: p)
    }

    /// The random part of a forward pass: draws the dropout masks (input, then recurrent), so a
    /// Bidirectional layer can draw both directions' masks in order and then run them in parallel.
    func prepareForward(batch B: Int, training: Bool, rng: inout SeededGenerator) {
        let D = inputDim, U = units
        useInputMask = training && dropout > 0
        useRecurrentMask = training && recurrentDropout > 0
        let imP = inputMask.resize(B * D)
        DropoutMask.fill(imP, count: B * D, rate: useInputMask ? dropout : 0, rng: &rng)
        let rmP = recurrentMask.resize(B * U)
        DropoutMask.fill(rmP, count: B * U, rate: useRecurrentMask ? recurrentDropout : 0, rng: &rng)
    }

    /// The deterministic part of a forward pass, after `prepareForward`.
    @discardableResult
    func forward(
        input x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch B: Int, time T: Int,
        parameters p: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        batch = B
        time = T
        let outP = output.resize(spec.returnSequences ? B * T * units : B * units)

        // Longest-running samples first (ties by index): each lane's rows then keep that order.
        var steps = [Int](repeating: T, count: B)
        if let mask {
            for b in 0..<B {
                var n = 0
                for t in 0..<T where mask[b * T + t] != 0 { n += 1 }
                steps[b] = n
            }
        }
        let order = (0..<B).sorted { steps[$0] != steps[$1] ? steps[$0] > steps[$1] : $0 < $1 }
        laneCount = maximumLanes >= 2 && B >= 2 * Self.minimumLaneRows ? 2 : 1
        while lanes.count < laneCount { lanes.append(RecurrentLane(self)) }

        nonisolated(unsafe) let xs = x, ms = mask, ps = p, out = outP
        nonisolated(unsafe) let im = useInputMask ? UnsafePointer(inputMask.pointer) : nil
        nonisolated(unsafe) let rm = useRecurrentMask ? UnsafePointer(recurrentMask.pointer) : nil
        if laneCount == 1 {
            lanes[0].forward(input: xs, mask: ms, time: T, rows: order, inputMask: im, recurrentMask: rm, output: out, parameters: ps)
        } else {
            let first = lanes[0], second = lanes[1]
            let rows0 = stride(from: 0, to: B, by: 2).map { order[$0] }
            let rows1 = stride(from: 1, to: B, by: 2).map { order[$0] }
            runPair({ first.forward(input: xs, mask: ms, time: T, rows: rows0, inputMask: im, recurrentMask: rm, output: out, parameters: ps) },
                    { second.forward(input: xs, mask: ms, time: T, rows: rows1, inputMask: im, recurrentMask: rm, output: out, parameters: ps) })
        }
        return outP
    }

    /// Backpropagates `dY` (shaped like `output`). Weight gradients are *added* into `g`; returns
    /// the input gradient [B, T, D].
    @discardableResult
    public func backward(
        outputGradient dY: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>,
        gradients g: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        let dxP = inputGradient.resize(batch * time * inputDim)
        nonisolated(unsafe) let dYs = dY, ps = p, gs = g, dx = dxP
        nonisolated(unsafe) let im = useInputMask ? UnsafePointer(inputMask.pointer) : nil
        if laneCount == 1 {
            lanes[0].backward(outputGradient: dYs, parameters: ps, gradients: gs, gradientOrigin: 0, inputGradient: dx, inputMask: im)
        } else {
            let span = parameterSpan
            nonisolated(unsafe) let private1 = laneGradients.resize(span.count, zero: true)
            let first = lanes[0], second = lanes[1]
            runPair({ first.backward(outputGradient: dYs, parameters: ps, gradients: gs, gradientOrigin: 0, inputGradient: dx, inputMask: im) },
                    { second.backward(outputGradient: dYs, parameters: ps, gradients: private1, gradientOrigin: span.lowerBound, inputGradient: dx, inputMask: im) })
            let target = g + span.lowerBound
            for i in 0..<span.count { target[i] += private1[i] }
        }
        return dxP
    }
}

#!/usr/bin/env python3
"""The coarse tanh of int8 models' gates (Runtime/Sources/CTextRNNKernels/kernels.c): fits
tanh(x) ≈ x·P(x²)/Q(x²), P and Q of degree 2 in x² (Q's constant 1), x clamped to ±c, by
iteratively reweighted least squares towards the smallest largest error over [0, c], for c on a
grid, keeping the c whose largest error over [0, 30] (clamp included) is smallest; prints it, the
coefficients (lowest degree first) and the max error in float32 over [-30, 30].

    python3 bench/probes/coarse_tanh_fit.py
"""
import numpy as np


def fit(c, terms=3, iterations=120):
    x = np.linspace(1e-4, c, 20000)
    z, t = x * x, np.tanh(x)
    weights, best = np.ones_like(x), None
    for _ in range(iterations):
        # Linearized: x·P(z) − t·(Q(z) − 1) = t, unknowns P's and Q's non-constant coefficients.
        a = np.hstack([x[:, None] * z[:, None] ** np.arange(terms), -(t[:, None] * z[:, None] ** np.arange(1, terms))])
        coefficients, *_ = np.linalg.lstsq(a * weights[:, None], t * weights, rcond=None)
        p, q = coefficients[:terms], np.concatenate([[1.0], coefficients[terms:]])
        error = x * np.polyval(p[::-1], z) / np.polyval(q[::-1], z) - t
        largest = np.abs(error).max()
        if best is None or largest < best[0]:
            best = (largest, p, q)
        weights = weights * (np.abs(error) / largest + 0.3)
        weights /= weights.mean()
    _, p, q = best
    wide = np.linspace(0, 30, 300_001)
    clamped = np.minimum(wide, c)
    overall = np.abs(clamped * np.polyval(p[::-1], clamped**2) / np.polyval(q[::-1], clamped**2) - np.tanh(wide)).max()
    return overall, p, q


def main():
    results = [(fit(c), c) for c in np.arange(4.8, 5.6, 0.05)]
    (largest, p, q), c = min(results, key=lambda r: r[0][0])
    xs = np.linspace(-30, 30, 2_000_001).astype(np.float32)
    clamped = np.clip(xs, -np.float32(c), np.float32(c))
    z = clamped * clamped
    numerator = ((np.float32(p[2]) * z + np.float32(p[1])) * z + np.float32(p[0])) * clamped
    denominator = (np.float32(q[2]) * z + np.float32(q[1])) * z + np.float32(1)
    error32 = np.abs(numerator / denominator - np.tanh(xs.astype(np.float64))).max()
    print(f"clamp {c:.2f}; P {p.tolist()}; Q {q.tolist()}; error over [0, 30] {largest:.2e}, float32 max error {error32:.2e}")


if __name__ == "__main__":
    main()

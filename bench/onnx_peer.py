"""ONNX Runtime peer for bench/inference.py (runs in bench/.venv-onnx: torch CPU, onnxruntime).

Rebuilds the bundle's model (Embedding -> Bidirectional LSTM -> Dense(1, sigmoid)) in PyTorch with
the bundle's float32 weights, exports it to ONNX, quantizes it dynamically to int8
(onnxruntime.quantization.quantize_dynamic) and times both on the same token ids as TextRNN
(written by bench/latency --dump-ids): batch-1 latency on each text's real tokens (no padding,
equivalent to TextRNN's masking) and batch throughput on padded batches. Tokenization is not
timed for ONNX Runtime (token ids in), which favours it. Prints one JSON object.
"""
import argparse
import json
import os
import struct
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic


def load_bundle(path):
    with open(os.path.join(path, "manifest.json")) as f:
        manifest = json.load(f)
    raw = open(os.path.join(path, manifest["weights"]["file"]), "rb").read()
    tensors = {}
    for t in manifest["tensors"]:
        if t["dtype"] == "float32":
            tensors[t["name"]] = np.frombuffer(raw, np.float32, count=t["length"] // 4, offset=t["offset"]).reshape(t["shape"])
    for t in manifest["tensors"]:
        if t["dtype"] == "int8":
            q = np.frombuffer(raw, np.int8, count=t["length"], offset=t["offset"]).reshape(t["shape"]).astype(np.float32)
            s = tensors[t["scales"]]
            tensors[t["name"]] = q * (s[:, None] if t["scale_axis"] == 0 else s[None, :])
    return manifest, tensors


class Model(torch.nn.Module):
    def __init__(self, manifest, tensors):
        super().__init__()
        layers = manifest["layers"]
        emb, bi, dense = layers[0], layers[1], layers[-1]
        assert emb["class"] == "Embedding" and bi["class"] == "Bidirectional" and bi["forward"]["class"] == "LSTM"
        assert len(layers) == 3 and dense["class"] == "Dense" and dense["units"] == 1, "bench peer supports the P1 architecture"
        units = bi["forward"]["units"]
        self.embedding = torch.nn.Embedding(emb["input_dim"], emb["output_dim"])
        self.lstm = torch.nn.LSTM(emb["output_dim"], units, batch_first=True, bidirectional=True)
        self.dense = torch.nn.Linear(2 * units, 1)
        w = lambda name: torch.from_numpy(np.ascontiguousarray(tensors[name]))
        with torch.no_grad():
            self.embedding.weight.copy_(w(emb["weights"]["embeddings"]))
            for direction, suffix in (("forward", ""), ("backward", "_reverse")):
                names = bi[direction]["weights"]
                # Keras gate order i, f, c, o is PyTorch's i, f, g, o; kernels are transposed.
                getattr(self.lstm, "weight_ih_l0" + suffix).copy_(w(names["kernel"]).T)
                getattr(self.lstm, "weight_hh_l0" + suffix).copy_(w(names["recurrent_kernel"]).T)
                getattr(self.lstm, "bias_ih_l0" + suffix).copy_(w(names["bias"]))
                getattr(self.lstm, "bias_hh_l0" + suffix).zero_()
            self.dense.weight.copy_(w(dense["weights"]["kernel"]).T)
            self.dense.bias.copy_(w(dense["weights"]["bias"]))

    def forward(self, ids):
        _, (h, _) = self.lstm(self.embedding(ids))
        return torch.sigmoid(self.dense(torch.cat([h[0], h[1]], dim=1)))


def read_ids(path):
    data = open(path, "rb").read()
    out, offset = [], 0
    while offset < len(data):
        (count,) = struct.unpack_from("<i", data, offset)
        offset += 4
        out.append(np.frombuffer(data, np.int32, count=count, offset=offset).astype(np.int64))
        offset += 4 * count
    return out


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * (len(values) - 1) + 0.5))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-texts", type=int, default=0, help="throughput on at most this many texts (0: all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    manifest, tensors = load_bundle(args.bundle)
    model = Model(manifest, tensors).eval()
    sequences = read_ids(args.ids)
    if args.max_texts:
        sequences = sequences[: args.max_texts]
    real = [s[s != 0] if (s != 0).any() else s[:1] for s in sequences]
    length = max(len(s) for s in sequences)

    work = tempfile.mkdtemp(prefix="textrnn-onnx-")
    float_path, int8_path = os.path.join(work, "p1.onnx"), os.path.join(work, "p1.int8.onnx")
    dummy = torch.zeros(2, length, dtype=torch.int64)
    export_args = dict(input_names=["ids"], output_names=["p"], dynamic_axes={"ids": {0: "batch", 1: "steps"}, "p": {0: "batch"}},
                       opset_version=17)
    try:
        torch.onnx.export(model, (dummy,), float_path, dynamo=False, **export_args)
    except TypeError:
        torch.onnx.export(model, (dummy,), float_path, **export_args)
    quantize_dynamic(float_path, int8_path, weight_type=QuantType.QInt8)

    results = {"onnxruntime": ort.__version__, "torch": torch.__version__, "threads": args.threads, "batch": args.batch}
    for name, path in (("float", float_path), ("int8", int8_path)):
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        n = min(args.n, len(real))
        for s in real[:50]:
            session.run(None, {"ids": s[None, :]})
        latencies, probabilities = [], []
        for s in real[:n]:
            t0 = time.perf_counter()
            p = session.run(None, {"ids": s[None, :]})[0]
            latencies.append(time.perf_counter() - t0)
            probabilities.append(float(p[0, 0]))
        padded = np.zeros((len(sequences), length), np.int64)
        for i, s in enumerate(sequences):
            padded[i, : len(s)] = s
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            for start in range(0, len(padded), args.batch):
                session.run(None, {"ids": padded[start : start + args.batch]})
            best = min(best, time.perf_counter() - t0)
        results[name] = {
            "latency_ids_p50_ms": 1e3 * percentile(latencies, 0.5),
            "latency_ids_p99_ms": 1e3 * percentile(latencies, 0.99),
            "latency_ids_mean_ms": 1e3 * sum(latencies) / len(latencies),
            "throughput_docs_per_s": len(padded) / best,
            "texts": len(padded),
            "probabilities_first": probabilities[:n],
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()

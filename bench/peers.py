#!/usr/bin/env python3
"""Training speed of TextRNN against Keras (TensorFlow, mask_zero=True) and PyTorch (packed
sequences, and plain padded) on identical IMDB token ids. See bench/README.md.

    python3 bench/peers.py                       # all workloads, prints the table
    python3 bench/peers.py --workloads P1 --batches 20

Creates bench/.venv on first use (pip: tensorflow-cpu, torch, numpy). Every framework trains the
same batches (exported by `textrnn bench export-ids`) for the same number of steps, warm-up
excluded, with the same thread count; each figure is the best of --repeats timed passes.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VPY = os.path.join(VENV, "bin", "python")


def ensure_venv():
    """Re-exec inside bench/.venv, creating it (and installing the peers) when missing."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VPY):
        print("bench: creating bench/.venv (tensorflow-cpu, torch, numpy from PyPI)", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    try:
        subprocess.check_call([VPY, "-c", "import numpy, tensorflow, torch"], stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        subprocess.check_call([VPY, "-m", "pip", "install", "--quiet", "numpy", "tensorflow-cpu", "torch"])
    os.execv(VPY, [VPY] + sys.argv)


def load_batches(directory):
    import numpy as np
    meta = json.load(open(os.path.join(directory, "meta.json")))
    n, b, length = meta["batches"], meta["batch_size"], meta["length"]
    ids = np.fromfile(os.path.join(directory, "ids.i32"), dtype="<i4").reshape(n, b, length)
    lengths = np.fromfile(os.path.join(directory, "lengths.i32"), dtype="<i4").reshape(n, b)
    labels = np.fromfile(os.path.join(directory, "labels.f32"), dtype="<f4").reshape(n, b)
    return meta, ids, lengths, labels


def timed(step, meta, repeats):
    """Warm-up batches once, then the timed batches `repeats` times; samples/s per pass."""
    warmup, n = meta["warmup"], meta["batches"]
    for i in range(warmup):
        step(i)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(warmup, n):
            step(i)
        rates.append((n - warmup) * meta["batch_size"] / (time.perf_counter() - start))
    return rates


def run_keras(directory, threads, repeats):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras
    from keras import layers
    meta, ids, lengths, labels = load_batches(directory)
    keras.utils.set_random_seed(42)
    cells = {"lstm": layers.LSTM, "gru": layers.GRU, "simple-rnn": layers.SimpleRNN}
    cell = cells[meta["cell"]]
    model = keras.Sequential([keras.Input((meta["length"],), dtype="int32"),
                              layers.Embedding(meta["vocabulary"], meta["embedding_dim"], mask_zero=True)])
    units = meta["units"]
    for i, u in enumerate(units):
        rnn = cell(u, return_sequences=i < len(units) - 1)
        model.add(layers.Bidirectional(rnn) if meta["bidirectional"] else rnn)
    for u in meta["dense_units"]:
        model.add(layers.Dense(u, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    ids_t = [tf.constant(ids[i]) for i in range(len(ids))]
    y_t = [tf.constant(labels[i]) for i in range(len(ids))]
    return timed(lambda i: model.train_on_batch(ids_t[i], y_t[i]), meta, repeats)


def run_torch(directory, threads, repeats, packed):
    import numpy as np
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    meta, ids, lengths, labels = load_batches(directory)
    cells = {"lstm": nn.LSTM, "gru": nn.GRU, "simple-rnn": nn.RNN}
    cell, bi = cells[meta["cell"]], meta["bidirectional"]

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(meta["vocabulary"], meta["embedding_dim"])
            dims, rnns = meta["embedding_dim"], []
            for u in meta["units"]:
                rnns.append(cell(dims, u, batch_first=True, bidirectional=bi))
                dims = u * (2 if bi else 1)
            self.rnns = nn.ModuleList(rnns)
            dense = []
            for u in meta["dense_units"]:
                dense += [nn.Linear(dims, u), nn.ReLU()]
                dims = u
            self.head = nn.Sequential(*dense, nn.Linear(dims, 1))

        def forward(self, x, lens):
            h = self.embedding(x)
            if packed:
                h = nn.utils.rnn.pack_padded_sequence(h, lens, batch_first=True, enforce_sorted=False)
            for rnn in self.rnns:
                h, state = rnn(h)
            last = state[0] if isinstance(state, tuple) else state  # [layers·dirs, B, U]
            last = torch.cat([last[-2], last[-1]], dim=1) if bi else last[-1]
            return self.head(last).squeeze(1)

    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    data = []
    for i in range(len(ids)):
        width = int(lengths[i].max())  # both variants drop all-padding columns, as TextRNN does
        data.append((torch.from_numpy(ids[i][:, :width].astype(np.int64)),
                     torch.from_numpy(np.maximum(lengths[i], 1).astype(np.int64)), torch.from_numpy(labels[i])))

    def step(i):
        x, lens, y = data[i]
        optimizer.zero_grad()
        loss = loss_fn(model(x, lens), y)
        loss.backward()
        optimizer.step()
    return timed(step, meta, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="P1,P2,P3,P4")
    parser.add_argument("--batches", type=int, default=20, help="timed batches per pass")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--order", default="random", help="random or bucketed (see textrnn bench train --help)")
    parser.add_argument("--textrnn", default=os.environ.get("TEXTRNN_CLI", os.path.join(ROOT, "bin", "textrnn")))
    parser.add_argument("--peers", default="keras,torch-packed,torch-padded")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--worker", nargs=3, metavar=("FRAMEWORK", "DIR", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:  # one framework in a fresh process, so thread pools do not interfere
        framework, directory, threads = args.worker[0], args.worker[1], int(args.worker[2])
        rates = (run_keras(directory, threads, args.repeats) if framework == "keras"
                 else run_torch(directory, threads, args.repeats, packed=framework == "torch-packed"))
        print("RESULT " + json.dumps({"rates": rates}))
        return

    ensure_venv()
    peers = [p for p in args.peers.split(",") if p]
    results = []
    for workload in args.workloads.split(","):
        directory = os.path.join(VENV, "ids", f"{workload}-{args.order}")
        common = ["--workload", workload, "--batches", str(args.batches), "--warmup", str(args.warmup),
                  "--threads", str(args.threads), "--order", args.order]
        subprocess.check_call([args.textrnn, "bench", "export-ids", *common, "--output", directory], stderr=subprocess.DEVNULL)
        meta = json.load(open(os.path.join(directory, "meta.json")))
        ours = json.loads(subprocess.check_output([args.textrnn, "bench", "train", *common, "--repeats", str(args.repeats), "--json"]))
        row = {"workload": workload, "description": meta["description"], "mflop_per_sample": meta["mflop_per_sample"],
               "textrnn": ours["samples_per_s"], "textrnn_runs": ours["runs"], "textrnn_rss_mb": ours["peak_rss_mb"],
               "textrnn_gflops": ours["nominal_gflop_per_s"]}
        for peer in peers:
            try:
                out = subprocess.run([sys.executable, __file__, "--repeats", str(args.repeats), "--worker", peer, directory, str(args.threads)],
                                     capture_output=True, text=True, check=True).stdout
                rates = json.loads(out.split("RESULT ", 1)[1])["rates"]
                row[peer] = max(rates)
                row[peer + "_runs"] = rates
            except subprocess.CalledProcessError as error:
                print(f"bench: {peer} failed on {workload}:\n{error.stderr[-2000:]}", file=sys.stderr)
                row[peer] = None
        results.append(row)
        print(f"bench: {workload} done: " + ", ".join(f"{k} {row[k]:.1f}" for k in ["textrnn", *peers] if row.get(k)), file=sys.stderr)

    names = {"keras": "Keras (mask)", "torch-packed": "PyTorch packed", "torch-padded": "PyTorch padded"}
    print(f"\nsamples/s, {args.threads} threads, {args.batches} timed batches x best of {args.repeats}, order {args.order}\n")
    header = "| workload | TextRNN | " + " | ".join(names[p] for p in peers) + " | " + " | ".join(f"× {names[p]}" for p in peers) + " | TextRNN GFLOP/s | peak RSS |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in results:
        cells = [f"{r[p]:.0f}" if r.get(p) else "n/a" for p in peers]
        ratios = [f"{r['textrnn'] / r[p]:.2f}" if r.get(p) else "n/a" for p in peers]
        print(f"| {r['workload']} | {r['textrnn']:.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios)
              + f" | {r['textrnn_gflops']:.1f} | {r['textrnn_rss_mb']:.0f} MB |")
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()

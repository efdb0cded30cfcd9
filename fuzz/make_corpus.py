#!/usr/bin/env python3
"""Makes the fuzzing bundles and seed corpora (see fuzz/README.md).

    make_corpus.py CLI OUT_DIR [--data DATA_DIR] [--fixtures FIXTURES_DIR] [--fixture-tool TOOL]

Writes OUT_DIR/bundles/*.textrnn (Keras fixtures imported with the `textrnn-fixture` developer tool,
an int8 version made with `textrnn quantize`, a tiny `textrnn train` run on ag_news_mini, and
variants of one fixture's text pipeline: ngrams 2, HTML breaks, no sequence_length, each
standardization, pre padding/truncation), then seeds:
  OUT_DIR/seeds/load/*     [flags][manifest length LE32][manifest.json][weights.bin] per bundle
  OUT_DIR/seeds/predict/*  [selector][text] for a spread of texts (empty, NUL, invalid UTF-8...)
and prints the bundle list for TEXTRNN_FUZZ_BUNDLES on stdout (colon-separated).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path


def run(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")


def variant(source: Path, target: Path, **text: object) -> Path:
    """A copy of `source` with text-pipeline fields changed (the CRC covers weights.bin only)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["text"].update(text)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cli")
    parser.add_argument("out", type=Path)
    repo = Path(__file__).resolve().parents[1]
    parser.add_argument("--fixture-tool", default=str(repo / ".build" / "release" / "textrnn-fixture"))
    parser.add_argument("--data", type=Path, default=repo.parent / "shared" / "data")
    parser.add_argument("--fixtures", type=Path, default=repo.parent / "shared" / "fixtures" / "keras")
    options = parser.parse_args()
    bundles_dir = options.out / "bundles"
    bundles_dir.mkdir(parents=True, exist_ok=True)

    bundles: list[Path] = []
    fixtures = ["bilstm_lstm_softmax_post", "bigru_bigru_sigmoid_pre", "gru_softmax_post", "lstm_sigmoid_pre",
                "simple_rnn_x3_softmax_post", "simple_rnn_sigmoid_pre"]
    for name in fixtures:
        target = bundles_dir / f"{name}.textrnn"
        if not target.exists():
            run(options.fixture_tool, str(options.fixtures / "models" / f"{name}.json"), "--output", str(target))
        bundles.append(target)
    int8 = bundles_dir / "bigru_int8.textrnn"
    if not int8.exists():
        run(options.cli, "quantize", str(bundles_dir / "bigru_bigru_sigmoid_pre.textrnn"), "--output", str(int8))
    bundles.append(int8)
    int8_lstm = bundles_dir / "bilstm_int8.textrnn"
    if not int8_lstm.exists():
        run(options.cli, "quantize", str(bundles_dir / "bilstm_lstm_softmax_post.textrnn"), "--output", str(int8_lstm))
    bundles.append(int8_lstm)

    trained = bundles_dir / "ag_tiny.textrnn"
    if not trained.exists():
        rows = options.out / "ag_tiny.csv"
        counts: dict[str, int] = {}
        with open(options.data / "ag_news_mini" / "train.csv", newline="", encoding="utf-8") as inp, \
                open(rows, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["label", "text"])
            for row in csv.DictReader(inp):
                if counts.get(row["label"], 0) < 40:
                    counts[row["label"]] = counts.get(row["label"], 0) + 1
                    writer.writerow([row["label"], row["text"]])
        run(options.cli, "train", "--train", str(rows), "--output", str(trained), "--cell", "lstm", "--units", "8",
            "--embedding-dim", "8", "--max-tokens", "400", "--sequence-length", "24", "--epochs", "1",
            "--bigrams", "true", "--pooling", "max", "--dense-units", "8", "--quiet", "--seed", "3")
    bundles.append(trained)

    base = bundles_dir / "bilstm_lstm_softmax_post.textrnn"
    bundles.append(variant(base, bundles_dir / "v_ngrams_html_free.textrnn", ngrams=2, replace_html_breaks=True,
                           sequence_length=None))
    bundles.append(variant(bundles_dir / "bigru_int8.textrnn", bundles_dir / "v_int8_free_lower.textrnn",
                           standardize="lower", sequence_length=None))
    bundles.append(variant(base, bundles_dir / "v_strip_pre.textrnn", standardize="strip_punctuation",
                           padding="pre", truncating="pre", sequence_length=3))
    bundles.append(variant(base, bundles_dir / "v_none.textrnn", standardize="none", ngrams=2, sequence_length=64))

    load_seeds = options.out / "seeds" / "load"
    load_seeds.mkdir(parents=True, exist_ok=True)
    for bundle in bundles:
        manifest = (bundle / "manifest.json").read_bytes()
        weights = (bundle / "weights.bin").read_bytes()
        for flags in (0, 1, 3):
            seed = bytes([flags]) + struct.pack("<I", len(manifest)) + manifest + weights
            (load_seeds / f"{bundle.stem}-{flags}").write_bytes(seed)

    predict_seeds = options.out / "seeds" / "predict"
    predict_seeds.mkdir(parents=True, exist_ok=True)
    texts = [b"", b"\x00", b"\x00\x00 \x00", b"\xff\xfe\xfd", b"\xc3\x28 \xe2\x82 \xf0\x9f\x98", "café “quoted” É".encode(),
             b"<br />A<BR>b<br/>c", b"Don't e-mail!", b" \t\n\v\f\r ", b"a " * 300, b"[UNK]", b"the the the",
             b"\xa5\x5aword ", "日本語のテキスト".encode()]
    with open(options.data / "ag_news_mini" / "test.csv", newline="", encoding="utf-8") as inp:
        for index, row in enumerate(csv.DictReader(inp)):
            if index >= 40:
                break
            texts.append(row["text"].encode())
    for index, text in enumerate(texts):
        for selector in (index % 256, (index * 7 + 3) % 256):
            seed = bytes([selector]) + text
            name = hashlib.sha1(seed).hexdigest()[:16]
            (predict_seeds / name).write_bytes(seed)
    print(":".join(str(b) for b in bundles))


if __name__ == "__main__":
    main()

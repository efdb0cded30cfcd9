"""int8 bundles: `textrnn quantize` on the shared IMDB bundle (conftest.imdb_bundle), checked on real
test texts (agreement with the float model, accuracy, size, manifest), through the CLI, the C
ABI (Python binding) and every kernel level (TEXTRNN_KERNELS=portable|avx2|avx512)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import IMDB_TEST_ROWS as TEST_ROWS, run_cli
import textrnn


@pytest.fixture(scope="module")
def bundles(cli, imdb_bundle, imdb_test, tmp_path_factory):
    float_bundle, test = imdb_bundle, imdb_test
    int8_bundle = tmp_path_factory.mktemp("int8") / "small.int8.textrnn"
    result = run_cli(cli, "quantize", str(float_bundle), "--output", str(int8_bundle), "--validation", str(test), "--json")
    return float_bundle, int8_bundle, test, json.loads(result.stdout)


def test_size_and_agreement(bundles):
    float_bundle, int8_bundle, _, report = bundles
    float_size = (float_bundle / "weights.bin").stat().st_size
    int8_size = (int8_bundle / "weights.bin").stat().st_size
    assert report["float_weights_bytes"] == float_size and report["int8_weights_bytes"] == int8_size
    # The bag branch's bigram table (exact ids) and idf stay float32; everything else is int8.
    manifest = json.loads((int8_bundle / "manifest.json").read_text())
    exact = sum(t["length"] for t in manifest["tensors"] if t["name"] in ("bag/idf", "bag/bigrams"))
    assert "bag" in manifest and exact > 0
    assert int8_size <= 0.30 * (float_size - exact) + exact
    assert report["rows"] == TEST_ROWS
    assert report["label_agreement"] >= 0.99, report
    assert abs(report["int8_accuracy"] - report["float_accuracy"]) <= 0.005, report
    assert report["max_probability_difference"] < 0.05, report


def test_manifest_records_scheme_and_validation(bundles):
    float_bundle, int8_bundle, test, report = bundles
    manifest = json.loads((int8_bundle / "manifest.json").read_text())
    tensors = {t["name"]: t for t in manifest["tensors"]}
    int8 = [t for t in manifest["tensors"] if t["dtype"] == "int8"]
    # embedding, 2 x (kernel, recurrent kernel), dense kernel, the bag branch's kernel
    assert len(int8) == 7
    for t in int8:
        scales = tensors[t["scales"]]
        assert scales["dtype"] == "float32" and scales["shape"] == [t["shape"][t["scale_axis"]]]
        assert t["scale_axis"] == (0 if t["name"].endswith("embeddings") else 1)
    assert all(tensors[name]["dtype"] == "float32" for name in tensors if name.endswith("bias"))
    quantization = manifest["training"]["quantization"]
    assert quantization["scheme"] == "int8-symmetric-per-output-unit"
    validation = quantization["validation"]
    assert validation["rows"] == TEST_ROWS and validation["label_agreement"] == pytest.approx(report["label_agreement"])
    for key in ("float_accuracy", "int8_accuracy", "max_probability_difference"):
        assert key in validation
    # Everything else is kept.
    original = json.loads((float_bundle / "manifest.json").read_text())
    assert manifest["layers"] == original["layers"] and manifest["text"] == original["text"]
    assert manifest["labels"] == original["labels"]


def test_python_binding_runs_int8(bundles, lib):
    float_bundle, int8_bundle, test, _ = bundles
    with open(test, newline="", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)][:300]
    p_float = np.asarray(textrnn.load(float_bundle).predict_proba(texts))
    p_int8 = np.asarray(textrnn.load(int8_bundle).predict_proba(texts))
    assert p_int8.shape == p_float.shape
    assert np.abs(p_int8 - p_float).max() < 0.05
    assert (p_int8.argmax(1) == p_float.argmax(1)).mean() >= 0.98


@pytest.mark.parametrize("level", ["portable", "avx2", "avx512"])
def test_kernel_levels_agree(bundles, cli, level, tmp_path):
    """Every kernel level gives the same predictions (up to float rounding) as the best one."""
    float_bundle, int8_bundle, test, _ = bundles
    with open(test, newline="", encoding="utf-8") as f:
        texts = [" ".join(row["text"].split()) for row in csv.DictReader(f)][:200]
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")

    def probabilities(bundle: Path, kernels: str | None) -> np.ndarray:
        env = dict(os.environ)
        env.pop("TEXTRNN_KERNELS", None)
        if kernels:
            env["TEXTRNN_KERNELS"] = kernels
        out = subprocess.run([str(cli), "predict", str(bundle), str(path)], capture_output=True, env=env, check=True, timeout=300)
        rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
        return np.array([[row["probabilities"][label] for label in sorted(row["probabilities"])] for row in rows])

    for bundle, tolerance in ((float_bundle, 1e-5), (int8_bundle, 1e-4)):
        best, other = probabilities(bundle, None), probabilities(bundle, level)
        assert best.shape == (200, 2)
        assert np.abs(best - other).max() <= tolerance, (bundle.name, level)

"""The Python API over libtextrnn."""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import textrnn


def test_version(lib):
    # The version is written once, in the header; the library and the package must say the same.
    header = (Path(__file__).resolve().parents[3] / "include" / "textrnn.h").read_text()
    parts = [re.search(rf"#define TEXTRNN_VERSION_{part} (\d+)", header)[1] for part in ("MAJOR", "MINOR", "PATCH")]
    string = re.search(r'#define TEXTRNN_VERSION_STRING "([^"]+)"', header)[1]
    assert string == ".".join(parts)
    assert textrnn.library_version() == string
    assert textrnn.__version__ == string


def test_top_label_rule_is_the_runtimes(model):
    # textrnn_top_labels: most probable first, ties to the lower index, NaN below every number.
    nan = float("nan")
    rows = np.array([[0.2, 0.5, 0.3], [0.4, 0.2, 0.4], [nan, 0.1, 0.0], [nan, nan, nan], [0.0, nan, 0.0]],
                    dtype=np.float32)
    pointer = rows.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
    assert model._top_labels(pointer, len(rows)) == [1, 0, 1, 0, 0]
    texts = ["t2 t3 t4", "t5", "", "t9 t9 t2"]
    probabilities = model.predict_proba(texts)
    assert list(model.predict(texts)) == [model.labels[i] for i in model._top_labels(
        probabilities.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(texts))]
    assert [model.predict(text)[0] for text in texts] == list(model.predict(texts))
    assert [model.top_k(text, 1)[0][0] for text in texts] == list(model.predict(texts))


@pytest.mark.parametrize("requested, expected", [("portable", "portable"), ("avx2", "avx2-fma")])
def test_kernels_names_the_level_in_use(library_path, requested, expected):
    # Each in a fresh process: the level is chosen once. TEXTRNN_KERNELS can only lower it.
    def level(requested):
        env = {k: v for k, v in os.environ.items() if k != "TEXTRNN_KERNELS"}
        env.update(TEXTRNN_LIBRARY=str(library_path), PYTHONPATH=str(Path(textrnn.__file__).parent.parent))
        if requested:
            env["TEXTRNN_KERNELS"] = requested
        script = "import textrnn; print(textrnn.kernels())"
        return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True).stdout.strip()

    best, got = level(None), level(requested)
    assert best in ("portable", "avx2-fma", "avx512", "avx512-vnni")
    assert got == (best if best == "portable" else expected)


def test_model_information(model):
    assert model.labels == ["0", "1", "2"]
    assert model.label_count == 3
    assert model.output == "softmax"
    assert model.vocabulary_size == 30
    assert model.sequence_length == 7
    assert "bilstm_lstm_softmax_post" in repr(model)


def test_sigmoid_model_information(bundles):
    with textrnn.load(bundles["gru_sigmoid_pre"]) as model:
        assert model.labels == ["0", "1"]
        assert model.output == "binary_sigmoid"
        p = model.predict_one("t2 t3 t4")
        assert p[0] == np.float32(1) - np.float32(p[1])


def test_load_accepts_manifest_path_and_pathlike(softmax_bundle):
    with textrnn.load(softmax_bundle / "manifest.json") as model:
        assert model.label_count == 3
    with textrnn.load(str(softmax_bundle)) as model:
        assert model.label_count == 3


def test_load_from_memory(softmax_bundle, model):
    manifest = (softmax_bundle / "manifest.json").read_bytes()
    weights = (softmax_bundle / "weights.bin").read_bytes()
    with textrnn.load_from_memory(manifest, weights) as copy:
        assert copy.labels == model.labels
        assert copy.predict_one("t5 t6 t7") == model.predict_one("t5 t6 t7")


def test_predict(model):
    label, probability = model.predict("t2 t3 t5 t8")
    probabilities = model.predict_one("t2 t3 t5 t8")
    assert label in model.labels
    assert probability == max(probabilities)
    assert model.labels[probabilities.index(probability)] == label
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-6)


def test_predict_proba_matches_single_predictions(model):
    texts = ["t2 t3", "t4 t5 t6 t7 t8 t9 t10 t11", "", "unknown words only", b"t12 \xff\xfe t13", "t14\x00t15"]
    batch = model.predict_proba(texts)
    assert isinstance(batch, np.ndarray)
    assert batch.dtype == np.float32 and batch.shape == (len(texts), 3)
    for row, text in zip(batch, texts):
        assert list(row) == [np.float32(p) for p in model.predict_one(text)]


def test_predict_proba_independent_of_threads(model):
    texts = [" ".join(f"t{(i * 7 + j) % 28 + 2}" for j in range(i % 9)) for i in range(100)]
    one = model.predict_proba(texts, threads=1)
    for threads in (0, 2, 3, 8, 1000):
        assert np.array_equal(model.predict_proba(texts, threads=threads), one)


def test_predict_proba_empty(model):
    assert model.predict_proba([]).shape == (0, 3)


def test_predict_proba_rejects_single_string(model):
    with pytest.raises(TypeError):
        model.predict_proba("t2 t3")


def test_top_k(model):
    probabilities = model.predict_one("t2 t9 t20")
    ranked = sorted(range(3), key=lambda i: (-probabilities[i], i))
    top = model.top_k("t2 t9 t20", 2)
    assert top == [(model.labels[i], probabilities[i]) for i in ranked[:2]]
    assert len(model.top_k("t2 t9 t20", 10)) == 3
    assert model.top_k("t2 t9 t20", 1)[0] == model.predict("t2 t9 t20")


def test_top_k_below_one_is_a_value_error_whatever_the_value(model):
    # One rule (the module docstring): a bad argument is a ValueError, 0 and -1 alike.
    for k in (0, -1):
        with pytest.raises(ValueError, match="k must be >= 1"):
            model.top_k("t2", k)


def test_tokenize(model):
    assert model.tokenize("T2, t3! nothing t29") == [2, 3, 1, 29, 0, 0, 0]
    assert model.tokenize("") == [0] * 7
    assert model.tokenize(" ".join(f"t{i}" for i in range(2, 12))) == [2, 3, 4, 5, 6, 7, 8]


def test_predict_ids_equals_predict(model):
    for text in ["t2 t3 t4", "", "t9 t9 t9 t9 t9 t9 t9 t9"]:
        assert model.predict_ids(model.tokenize(text)) == model.predict_one(text)


def test_predict_ids_any_length(model):
    assert len(model.predict_ids([])) == 3
    assert len(model.predict_ids([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) == 3


def test_invalid_utf8_and_nul_bytes(model):
    for text in [b"\xff\xfe\xfd", b"t2\x00t3", b"\xc3", "caf\u00e9 t4", "\ud800".encode("utf-8", "surrogatepass")]:
        assert len(model.predict_one(text)) == 3


def test_text_type_checked(model):
    with pytest.raises(TypeError):
        model.predict(42)  # type: ignore[arg-type]


def test_close_and_context_manager(softmax_bundle):
    model = textrnn.load(softmax_bundle)
    with model:
        assert not model.closed
    assert model.closed
    model.close()  # idempotent
    with pytest.raises(ValueError):
        model.predict("t2")


def test_threads_share_a_model(model):
    texts = [f"t{i % 28 + 2} t{(i * 3) % 28 + 2}" for i in range(64)]
    expected = [model.predict_one(text) for text in texts]
    failures = []

    def worker():
        for _ in range(20):
            for text, want in zip(texts, expected):
                if model.predict_one(text) != want:
                    failures.append(text)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_long_text_within_limit(model):
    text = ("t2 t3 t4 " * 200_000).encode()
    assert len(model.predict_one(text)) == 3


def test_predict_proba_without_numpy(model, monkeypatch):
    texts = ["t2 t3", "t4", ""]
    expected = model.predict_proba(texts)
    monkeypatch.setattr(textrnn, "_np", None)
    rows = model.predict_proba(texts)
    assert isinstance(rows, list) and all(isinstance(row, list) for row in rows)
    assert [[np.float32(p) for p in row] for row in rows] == [list(row) for row in expected]
    assert model.predict_proba([]) == []


def test_one_error_rule_for_arguments_and_library_failures(model, tmp_path):
    # Issue 14 item 13, as the module docstring states it: TypeError for a wrong type,
    # ValueError for a wrong value (the library's own refusals included), TextRNNError for what
    # goes wrong in the library.
    assert "TypeError" in textrnn.__doc__ and "ValueError" in textrnn.__doc__
    for bad in (None, 5, 3.5):
        with pytest.raises(TypeError, match="texts must be a str, bytes or an iterable"):
            model.predict(bad)
        with pytest.raises(TypeError):
            model.predict_proba(bad)
    with pytest.raises(TypeError, match="text must be str or bytes"):
        model.predict([None])
    for k in ("2", 1.5, None):
        with pytest.raises(TypeError, match="k must be an int"):
            model.top_k("t2", k)
    with pytest.raises(ValueError, match="threads must be >= 0"):
        model.predict_proba(["t2"], threads=-1)
    with pytest.raises(TypeError):
        model.predict_proba(["t2"], threads="2")
    with pytest.raises(TypeError, match="path must be a str"):
        textrnn.load(None)
    with pytest.raises(TypeError, match="manifest_json must be bytes"):
        textrnn.load_from_memory(5, b"")
    # A value only the library can judge: a ValueError and a TextRNNError with its status.
    with pytest.raises(ValueError) as info:
        model.predict_ids([10 ** 6])
    assert isinstance(info.value, textrnn.TextRNNArgumentError) and info.value.status == textrnn.ERROR_INVALID_ARGUMENT
    # Library failures are TextRNNError, not argument errors.
    with pytest.raises(textrnn.TextRNNError) as failure:
        textrnn.load(tmp_path / "missing.textrnn")
    assert not isinstance(failure.value, ValueError)


def _imdb_texts(imdb_test, count):
    import csv

    with open(imdb_test, newline="", encoding="utf-8") as f:
        return [row["text"] for _, row in zip(range(count), csv.DictReader(f))]


def test_batches_are_bit_identical_to_single_texts_on_real_text(imdb_bilstm64_bundle, imdb_test):
    # A batch takes four texts at a time through the BiLSTM-64 in lockstep (shared weight loads).
    texts = _imdb_texts(imdb_test, 300)
    with textrnn.load(imdb_bilstm64_bundle) as model:
        single = np.array([model.predict_one(text) for text in texts], dtype=np.float32)
        for threads in (1, 2):
            assert np.array_equal(model.predict_proba(texts, threads=threads), single)


def test_one_text_on_two_threads_is_bit_identical_on_real_text(imdb_bundle, imdb_test):
    # One text with two threads runs the BiLSTM's backward direction on a helper thread.
    texts = _imdb_texts(imdb_test, 200)
    with textrnn.load(imdb_bundle) as model:
        for text in texts:
            assert model.predict_proba([text], threads=2)[0].tolist() == model.predict_one(text)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_its_own_helpers(imdb_bundle, imdb_test):
    # The parent's helper thread does not exist in a forked child: the child must not wait for it.
    import select

    texts = _imdb_texts(imdb_test, 20)
    with textrnn.load(imdb_bundle) as model:
        model.predict_proba(texts[:1], threads=2)  # the parent's helpers are running from here on
        expected = np.stack([model.predict_proba([text], threads=1)[0] for text in texts])
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: predict each text on two threads, report, exit without cleanup
            try:
                rows = np.stack([model.predict_proba([text], threads=2)[0] for text in texts])
                os.write(write, b"same" if np.array_equal(rows, expected) else b"different")
            finally:
                os._exit(0)
        os.close(write)
        ready, _, _ = select.select([read], [], [], 60)
        if not ready:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child did not finish in 60 s (waiting for a helper thread it does not have?)")
        answer = os.read(read, 64)
        os.close(read)
        os.waitpid(pid, 0)
        assert answer == b"same"

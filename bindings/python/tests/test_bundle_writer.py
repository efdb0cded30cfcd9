"""textrnn.bundle_writer: the pure-Python bundle writer. A hand-made bundle loads in libtextrnn
and predicts what numpy computes; the layout follows docs/bundle-format.md; writes are atomic
and never clobber something that is not a bundle. No TensorFlow needed."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

import textrnn
from textrnn.bundle_writer import TENSOR_ALIGNMENT, BundleContents, Tensor, encode_bundle, write_bundle

VOCABULARY = ["", "[UNK]", "good", "bad", "film"]


def _contents(seed: int = 0, bias: float = 0.0) -> BundleContents:
    """Embedding(6, 3, mask_zero) -> GlobalAveragePooling1D -> Dense(2, softmax)."""
    random = np.random.RandomState(seed)
    layers = [
        {"class": "Embedding", "input_dim": 6, "output_dim": 3, "mask_zero": True, "weights": {"embeddings": "0/embeddings"}},
        {"class": "GlobalAveragePooling1D"},
        {"class": "Dense", "units": 2, "activation": "softmax", "weights": {"kernel": "2/kernel", "bias": "2/bias"}},
    ]
    tensors = [
        Tensor("0/embeddings", random.uniform(-1, 1, (6, 3))),
        Tensor("2/kernel", random.uniform(-1, 1, (3, 2))),
        Tensor("2/bias", np.full(2, bias)),
    ]
    text = {"standardize": "lower_and_strip_punctuation", "replace_html_breaks": False, "split": "whitespace",
            "ngrams": 1, "sequence_length": 4, "padding": "post", "truncating": "post"}
    return BundleContents(text=text, vocabulary=VOCABULARY, labels=["neg", "pos"], output="softmax",
                          layers=layers, tensors=tensors, producer="test")


def _expected(contents: BundleContents, ids: list) -> np.ndarray:
    embeddings, kernel, bias = (np.asarray(t.values, dtype=np.float32) for t in contents.tensors)
    steps = [embeddings[i] for i in ids if i != 0]
    logits = np.mean(steps, axis=0) @ kernel + bias
    return np.exp(logits) / np.sum(np.exp(logits))


def test_written_bundle_loads_and_predicts_like_numpy(tmp_path: Path, library_path) -> None:
    contents = _contents()
    bundle = write_bundle(tmp_path / "tiny.textrnn", contents)
    with textrnn.load(bundle) as model:
        assert model.tokenize("Good FILM, bad!") == [2, 4, 3, 0]
        assert model.labels == ["neg", "pos"]
        np.testing.assert_allclose(model.predict_one("Good FILM, bad!"), _expected(contents, [2, 4, 3, 0]), atol=1e-6)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tiny.textrnn"]


def test_layout_alignment_and_checksum() -> None:
    manifest_bytes, weights = encode_bundle(_contents())
    manifest = json.loads(manifest_bytes)
    assert manifest["weights"] == {"file": "weights.bin", "length": len(weights), "crc32": f"{zlib.crc32(weights):08x}"}
    for entry in manifest["tensors"]:
        assert entry["offset"] % TENSOR_ALIGNMENT == 0 and entry["dtype"] == "float32"
        assert entry["length"] == 4 * int(np.prod(entry["shape"]))
    embeddings = manifest["tensors"][0]
    stored = np.frombuffer(weights, dtype="<f4", count=18, offset=embeddings["offset"]).reshape(6, 3)
    np.testing.assert_array_equal(stored, np.asarray(_contents().tensors[0].values, dtype=np.float32))
    assert list(manifest)[:4] == ["format", "format_version", "producer", "labels"]
    assert manifest["text"]["vocabulary"] == VOCABULARY


def test_rewrite_replaces_an_existing_bundle(tmp_path: Path, library_path) -> None:
    target = tmp_path / "model.textrnn"
    write_bundle(target, _contents(bias=0.0))
    write_bundle(target, _contents(bias=5.0))
    with textrnn.load(target) as model:
        np.testing.assert_allclose(model.predict_one("good"), _expected(_contents(bias=5.0), [2]), atol=1e-6)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.textrnn"]


@pytest.mark.parametrize("problem, message", [
    ("nan", "'2/bias': contains NaN"),
    ("duplicate_label", "labels: 'neg' appears more than once"),
    ("duplicate_token", "vocabulary[4]: 'good' appears more than once"),
    ("no_specials", 'vocabulary must start with ""'),
    ("output", "output 'logits' is not one of"),
])
def test_invalid_contents_are_refused_before_writing(problem: str, message: str, tmp_path: Path) -> None:
    contents = _contents()
    if problem == "nan":
        contents.tensors[2] = Tensor("2/bias", [0.0, float("nan")])
    elif problem == "duplicate_label":
        contents.labels = ["neg", "neg"]
    elif problem == "duplicate_token":
        contents.vocabulary = VOCABULARY[:4] + ["good"]
    elif problem == "no_specials":
        contents.vocabulary = VOCABULARY[2:]
    else:
        contents.output = "logits"
    with pytest.raises(ValueError, match=re.escape(message)):
        write_bundle(tmp_path / "bad.textrnn", contents)
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_the_way_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "model.textrnn"
    target.write_text("not a bundle")
    with pytest.raises(FileExistsError, match="not a bundle directory"):
        write_bundle(target, _contents())
    assert target.read_text() == "not a bundle"


def test_the_users_files_beside_the_target_are_never_touched(tmp_path: Path) -> None:
    # Issue 14 item 3: the old writer emptied PATH.tmp-PID before using it.
    import os

    target = tmp_path / "model.textrnn"
    for suffix in ("tmp", "old"):
        neighbour = tmp_path / f"model.textrnn.{suffix}-{os.getpid()}"
        neighbour.mkdir()
        (neighbour / "manifest.json").write_text("keep")
    write_bundle(target, _contents())
    write_bundle(target, _contents(bias=1.0))
    for suffix in ("tmp", "old"):
        assert (tmp_path / f"model.textrnn.{suffix}-{os.getpid()}" / "manifest.json").read_text() == "keep"
    assert len(list(tmp_path.iterdir())) == 3
    assert target.stat().st_mode & 0o777 == 0o755


def test_the_target_is_checked_before_any_work(tmp_path: Path) -> None:
    from textrnn.bundle_writer import check_bundle_target

    with pytest.raises(FileNotFoundError, match="no such directory"):
        check_bundle_target(tmp_path / "missing" / "m.textrnn")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        check_bundle_target(tmp_path / "file" / "m.textrnn")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError):
        check_bundle_target(folder)
    assert check_bundle_target(tmp_path / "new.textrnn/") == tmp_path / "new.textrnn"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "mine"]


def test_keras_export_checks_the_target_before_converting(tmp_path: Path) -> None:
    # No model is even looked at (nor TensorFlow imported) when the path is refused.
    import textrnn.keras

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="not a bundle"):
        textrnn.keras.export(object(), folder)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        textrnn.keras.export(object(), tmp_path / "missing" / "m.textrnn")
    assert (folder / "notes.txt").read_text() == "keep"

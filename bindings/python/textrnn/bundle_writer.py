"""Writes a TextRNN bundle (docs/bundle-format.md) from Python: manifest.json plus weights.bin.

This is the pure-Python counterpart of the Swift ``BundleWriter``; :mod:`textrnn.keras` uses it.
It lays the tensors out 64-byte aligned, little-endian float32, computes the CRC-32 and writes the
directory atomically (a temporary directory beside the target, then a rename), so a reader never
sees a half-written bundle. Structural checks (graph rules, weight shapes) are the loader's job;
this module checks what would otherwise produce a bundle the loader refuses for reasons the caller
could not see: non-finite weights, duplicate or missing vocabulary entries, duplicate labels.

    >>> tensors = [Tensor("0/embeddings", embeddings), Tensor("1/kernel", kernel), ...]
    >>> write_bundle("model.textrnn", BundleContents(text=..., labels=[...], output="softmax",
    ...                                               layers=[...], tensors=tensors))
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["Tensor", "BundleContents", "encode_bundle", "write_bundle", "TENSOR_ALIGNMENT"]

FORMAT_NAME = "textrnn-bundle"
FORMAT_VERSION = 1
# Version 3: the bag branch (docs/bundle-format.md); bundles without one stay version 1.
BAG_FORMAT_VERSION = 3
MANIFEST_FILE = "manifest.json"
WEIGHTS_FILE = "weights.bin"
TENSOR_ALIGNMENT = 64
OUTPUT_KINDS = ("softmax", "binary_sigmoid", "multi_label_sigmoid")


@dataclass
class Tensor:
    """One float32 weight tensor, in Keras layout, named as the manifest's layers refer to it."""

    name: str
    values: Any  # anything numpy turns into a float array

    def as_float32(self) -> np.ndarray:
        """The values as a C-contiguous little-endian float32 array; refuses NaN and infinity
        because the loader would."""
        array = np.ascontiguousarray(np.asarray(self.values, dtype="<f4"))
        if array.ndim < 1 or array.ndim > 4 or 0 in array.shape:
            raise ValueError(f"tensor {self.name!r}: shape {array.shape} must have 1 to 4 non-zero dimensions")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"tensor {self.name!r}: contains NaN or infinite values")
        return array


@dataclass
class BundleContents:
    """Everything a bundle holds. ``text`` is the manifest's text object without ``vocabulary``;
    ``layers`` are the manifest's layer objects (with their ``weights`` maps)."""

    text: Dict[str, Any]
    vocabulary: Sequence[str]
    labels: Sequence[str]
    output: str
    layers: List[Dict[str, Any]]
    tensors: List[Tensor]
    producer: str = "textrnn (Python)"
    training: Optional[Any] = None
    # The manifest's ``bag`` object; its tensors (bag/idf, bag/bigrams, bag/kernel) are in ``tensors``.
    bag: Optional[Dict[str, Any]] = None


def _check_contents(contents: BundleContents) -> None:
    if contents.output not in OUTPUT_KINDS:
        raise ValueError(f"output {contents.output!r} is not one of {', '.join(OUTPUT_KINDS)}")
    labels = list(contents.labels)
    if not labels or not all(isinstance(label, str) for label in labels):
        raise ValueError("labels must be a non-empty list of strings")
    if len(set(labels)) != len(labels):
        duplicate = next(label for label in labels if labels.count(label) > 1)
        raise ValueError(f"labels: {duplicate!r} appears more than once")
    vocabulary = list(contents.vocabulary)
    if vocabulary[:2] != ["", "[UNK]"]:
        raise ValueError('vocabulary must start with "" (id 0, padding) and "[UNK]" (id 1)')
    seen = set()
    for index, token in enumerate(vocabulary):
        if not isinstance(token, str):
            raise ValueError(f"vocabulary[{index}]: {token!r} is not a string")
        if index > 0 and not token:
            raise ValueError(f"vocabulary[{index}]: only id 0 may be the empty string")
        if token in seen:
            raise ValueError(f"vocabulary[{index}]: {token!r} appears more than once")
        seen.add(token)


def encode_bundle(contents: BundleContents) -> Tuple[bytes, bytes]:
    """The bytes of manifest.json and weights.bin for `contents`."""
    _check_contents(contents)
    weights = bytearray()
    table = []
    names = set()
    for tensor in contents.tensors:
        if tensor.name in names:
            raise ValueError(f"tensor {tensor.name!r} appears twice")
        names.add(tensor.name)
        array = tensor.as_float32()
        weights.extend(b"\0" * (-len(weights) % TENSOR_ALIGNMENT))
        raw = array.tobytes()
        table.append({
            "name": tensor.name, "dtype": "float32", "shape": list(array.shape),
            "offset": len(weights), "length": len(raw),
        })
        weights.extend(raw)
    text = dict(contents.text)
    text["vocabulary"] = list(contents.vocabulary)
    manifest: Dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION if contents.bag is None else BAG_FORMAT_VERSION,
        "producer": contents.producer,
        "labels": list(contents.labels),
        "output": contents.output,
        "layers": contents.layers,
        "tensors": table,
        "weights": {"file": WEIGHTS_FILE, "length": len(weights), "crc32": f"{zlib.crc32(weights) & 0xFFFFFFFF:08x}"},
        "text": text,
    }
    if contents.bag is not None:
        manifest["bag"] = contents.bag
    if contents.training is not None:
        manifest["training"] = contents.training
    encoded = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return encoded.encode("utf-8"), bytes(weights)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _is_replaceable_bundle(path: Path) -> bool:
    """True for a directory holding nothing but a bundle's files, which is safe to replace."""
    if not path.is_dir() or path.is_symlink():
        return False
    return all(entry.name in (MANIFEST_FILE, WEIGHTS_FILE) and entry.is_file() for entry in path.iterdir())


def _remove_bundle(path: Path) -> None:
    for name in (MANIFEST_FILE, WEIGHTS_FILE):
        (path / name).unlink(missing_ok=True)
    path.rmdir()


def write_bundle(path: Union[str, os.PathLike], contents: BundleContents) -> Path:
    """Writes the bundle directory at `path` (conventionally NAME.textrnn) and returns it.

    The files go into ``PATH.tmp-PID`` first and are renamed into place; an existing bundle at
    `path` is replaced, but any other file or directory there is refused (never deleted)."""
    manifest, weights = encode_bundle(contents)
    target = Path(os.fspath(path).rstrip("/") or "/")
    if target.exists() and not _is_replaceable_bundle(target):
        raise FileExistsError(f"{target}: exists and is not a bundle directory; refusing to replace it")
    temporary = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    if temporary.exists():
        _remove_bundle(temporary)
    temporary.mkdir()
    try:
        _write_file(temporary / WEIGHTS_FILE, weights)
        _write_file(temporary / MANIFEST_FILE, manifest)
        previous = target.with_name(f"{target.name}.old-{os.getpid()}")
        replacing = target.exists()
        if replacing:
            os.rename(target, previous)
        try:
            os.rename(temporary, target)
        except OSError:
            if replacing:
                os.rename(previous, target)
            raise
        if replacing:
            _remove_bundle(previous)
    except BaseException:
        if temporary.exists():
            _remove_bundle(temporary)
        raise
    return target

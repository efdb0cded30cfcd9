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
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["Tensor", "BundleContents", "encode_bundle", "write_bundle", "check_bundle_target", "TENSOR_ALIGNMENT"]

FORMAT_NAME = "textrnn-bundle"
FORMAT_VERSION = 1
# Version 3 added the bag branch (docs/bundle-format.md), text.start_token and text.oov_token,
# which version 1 and 2 readers would ignore; bundles without them stay version 1.
VERSION_3 = 3
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
    oov = contents.text.get("oov_token")
    if vocabulary[:1] != [""] or (oov is None and vocabulary[1:2] != ["[UNK]"]):
        raise ValueError('vocabulary must start with "" (id 0, padding) and "[UNK]" (id 1) unless text.oov_token names another entry')
    start = contents.text.get("start_token")
    for key, token in (("oov_token", oov), ("start_token", start)):
        if token is not None and (token not in vocabulary or token == ""):
            raise ValueError(f"text.{key}: {token!r} is not a vocabulary entry")
    if start is not None and start == (oov or "[UNK]"):
        raise ValueError("text.start_token: must differ from the out-of-vocabulary token")
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
        "format_version": VERSION_3 if contents.bag is not None or {"start_token", "oov_token"} & set(text) else FORMAT_VERSION,
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
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_directory(path: Path) -> None:
    """Makes renames inside `path` durable (best effort: some file systems refuse it)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _is_replaceable_bundle(path: Path) -> bool:
    """True for a directory holding nothing but a bundle's files, which is safe to replace."""
    if not path.is_dir() or path.is_symlink():
        return False
    return all(entry.name in (MANIFEST_FILE, WEIGHTS_FILE) and entry.is_file() for entry in path.iterdir())


def _remove_bundle(path: Path) -> None:
    """Removes a bundle directory this writer made or replaced: its two files, then the
    directory if that left it empty (anything added since stays)."""
    for name in (MANIFEST_FILE, WEIGHTS_FILE):
        (path / name).unlink(missing_ok=True)
    try:
        path.rmdir()
    except OSError:
        pass


def check_bundle_target(path: Union[str, os.PathLike]) -> Path:
    """Checks, before any work, that a bundle can be written at `path` (as ``textrnn train``
    does, docs/cli.md): it is absent, an empty directory or a bundle, and its directory exists
    and is writable. Returns the normalized path; raises FileExistsError, FileNotFoundError,
    NotADirectoryError or PermissionError naming it otherwise."""
    target = Path(os.fspath(path).rstrip("/") or "/")
    if (target.exists() or target.is_symlink()) and not _is_replaceable_bundle(target):
        raise FileExistsError(f"{target}: exists and is not a bundle directory; refusing to replace it")
    parent = target.parent
    if not parent.exists():
        raise FileNotFoundError(f"{target}: cannot write in {parent}: no such directory")
    if not parent.is_dir():
        raise NotADirectoryError(f"{target}: cannot write in {parent}: not a directory")
    try:
        probe = tempfile.NamedTemporaryFile(dir=parent, prefix=".textrnn-write-test-")
    except OSError as error:
        raise PermissionError(f"{target}: cannot write in {parent}: {error.strerror}") from None
    probe.close()
    return target


def write_bundle(path: Union[str, os.PathLike], contents: BundleContents) -> Path:
    """Writes the bundle directory at `path` (conventionally NAME.textrnn) and returns it.

    The target is checked first (:func:`check_bundle_target`): an existing bundle at `path` is
    replaced, any other file or directory there is refused (never deleted). The files go into a
    new temporary directory beside it, fsynced, and are renamed into place."""
    target = check_bundle_target(path)
    manifest, weights = encode_bundle(contents)
    temporary = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    os.chmod(temporary, 0o755)  # mkdtemp makes it private; a bundle is as readable as a file
    try:
        _write_file(temporary / WEIGHTS_FILE, weights)
        _write_file(temporary / MANIFEST_FILE, manifest)
        _sync_directory(temporary)
        previous = None
        if target.exists():
            # rename(2) replaces the empty directory made for the purpose: a unique name.
            previous = Path(tempfile.mkdtemp(prefix=f"{target.name}.old-", dir=target.parent))
            os.rename(target, previous)
        try:
            os.rename(temporary, target)
        except OSError:
            if previous is not None:
                os.rename(previous, target)
            raise
        _sync_directory(target.parent)
        if previous is not None:
            _remove_bundle(previous)
    except BaseException:
        if temporary.exists():
            _remove_bundle(temporary)
        raise
    return target

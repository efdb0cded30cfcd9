"""Python bindings for TextRNN (pure ctypes over libtextrnn.so, the C ABI of include/textrnn.h).

    >>> import textrnn
    >>> with textrnn.load("imdb.textrnn") as model:
    ...     label, probability = model.predict("A wonderful, moving film.")
    ...     labels = model.predict(["great", "awful"])                # one label per text
    ...     probabilities = model.predict_proba(["great", "awful"])   # [2, labels] float32
    ...     model.classes_                                            # column order

Keras 3 models export to bundles with ``textrnn.keras.export`` (a submodule, imported on its
own: ``import textrnn`` never loads TensorFlow).

Texts are ``str`` (encoded as UTF-8) or ``bytes`` (passed as is; invalid UTF-8 is tolerated).
Errors follow one rule: a bad argument raises ``TypeError`` (wrong type) or ``ValueError`` (wrong
value), whether Python or the library notices it (the library's own refusals of an argument are
:class:`TextRNNArgumentError`, both a ``TextRNNError`` and a ``ValueError``); every other
library failure (a missing or damaged bundle, I/O, limits, memory) raises :class:`TextRNNError`
carrying the C status and the library's message.

The library is looked up in this order: the environment variable ``TEXTRNN_LIBRARY`` (a file
path), the ``libtextrnn.so`` next to this package (where an installed wheel has it),
``<repo>/.build/release`` and ``<repo>/.build/debug`` of the source tree this package sits in
(a checkout used through PYTHONPATH), then the system loader.
``python -m textrnn predict`` mirrors ``textrnn predict`` (see :mod:`textrnn.cli`).

A :class:`Model` may be shared by threads (the C library releases no GIL-protected state and
ctypes releases the GIL during calls); :meth:`Model.close` must not race with other calls.
"""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union, overload

__all__ = [
    "Model",
    "TextRNNError",
    "TextRNNArgumentError",
    "load",
    "load_from_memory",
    "library_version",
    "kernels",
    "OUTPUT_SOFTMAX",
    "OUTPUT_BINARY_SIGMOID",
    "OUTPUT_MULTI_LABEL_SIGMOID",
    "MAX_TEXT_BYTES",
    "WordContribution",
]

# The package version is the library's, written in include/textrnn.h (tests/test_api.py checks
# it; pyproject.toml reads this line).
__version__ = "0.1.0"

Text = Union[str, bytes, bytearray, memoryview]

# textrnn_status
OK = 0
ERROR_INVALID_ARGUMENT = 1
ERROR_IO = 2
ERROR_INVALID_BUNDLE = 3
ERROR_UNSUPPORTED = 4
ERROR_LIMIT = 5
ERROR_OUT_OF_MEMORY = 6
ERROR_INTERNAL = 7

# textrnn_output_kind
OUTPUT_SOFTMAX = 0
OUTPUT_BINARY_SIGMOID = 1
OUTPUT_MULTI_LABEL_SIGMOID = 2
_OUTPUT_NAMES = {
    OUTPUT_SOFTMAX: "softmax",
    OUTPUT_BINARY_SIGMOID: "binary_sigmoid",
    OUTPUT_MULTI_LABEL_SIGMOID: "multi_label_sigmoid",
}

MAX_TEXT_BYTES = 64 << 20
"""Longest text accepted, in bytes (TEXTRNN_MAX_TEXT_BYTES)."""


class TextRNNError(Exception):
    """A failed libtextrnn call: ``status`` is the textrnn_status value, ``message`` the text of
    textrnn_last_error() (it names the file, field or argument at fault)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def status_name(self) -> str:
        """The library's short description of the status ("invalid bundle", ...)."""
        lib = _library()
        return lib.textrnn_status_string(self.status).decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"TextRNNError(status={self.status}, message={self.message!r})"


class TextRNNArgumentError(TextRNNError, ValueError):
    """The library refused an argument (status ERROR_INVALID_ARGUMENT): a ``ValueError`` too,
    like every bad argument."""


# ---- Library loading --------------------------------------------------------------------------

_LIBRARY_NAME = "libtextrnn.so"
_lib: Optional[ctypes.CDLL] = None
_lib_lock = threading.Lock()


def _candidate_paths(name: str = _LIBRARY_NAME, variable: str = "TEXTRNN_LIBRARY") -> List[str]:
    candidates: List[str] = []
    env = os.environ.get(variable)
    if env:
        candidates.append(env)
    here = Path(__file__).resolve().parent
    candidates.append(str(here / name))
    # bindings/python/textrnn/__init__.py -> the repository root is three levels up.
    for parent in list(here.parents)[:4]:
        if (parent / "Package.swift").is_file():
            candidates.append(str(parent / ".build" / "release" / name))
            candidates.append(str(parent / ".build" / "debug" / name))
            break
    return candidates


def _open_library(name: str, variable: str) -> ctypes.CDLL:
    """The first of `variable` (a file path), `name` next to this package, the source tree's
    .build and the system loader that loads."""
    env = os.environ.get(variable)
    errors: List[str] = []
    for path in _candidate_paths(name, variable):
        if os.path.isfile(path):
            try:
                return ctypes.CDLL(path)
            except OSError as error:
                errors.append(f"{path}: {error}")
                if env and path == env:
                    break
        elif env and path == env:
            raise OSError(f"{variable}={env}: no such file")
    if not env:
        try:
            return ctypes.CDLL(name)
        except OSError as error:
            errors.append(f"{name}: {error}")
    raise OSError(
        f"cannot load {name}: " + "; ".join(errors or ["not found"]) + " (install the textrnn wheel,"
        f" build it from source with `swift build -c release`, or set {variable})"
    )


def _find_library() -> ctypes.CDLL:
    return _open_library(_LIBRARY_NAME, "TEXTRNN_LIBRARY")


_size_t = ctypes.c_size_t
_size_p = ctypes.POINTER(ctypes.c_size_t)
_float_p = ctypes.POINTER(ctypes.c_float)
_int32_p = ctypes.POINTER(ctypes.c_int32)
_model_p = ctypes.c_void_p


class _WordContribution(ctypes.Structure):
    """textrnn_word_contribution."""

    _fields_ = [
        ("offset", ctypes.c_size_t),
        ("length", ctypes.c_size_t),
        ("contribution", ctypes.c_float),
        ("seen", ctypes.c_int),
    ]


_PREDICTED_LABEL = ctypes.c_size_t(-1).value
_OCCLUSIONS = {"oov": 0, "padding": 1}


@dataclass(frozen=True)
class WordContribution:
    """One word of :meth:`Model.explain`: its text, its byte offset and length in the UTF-8
    text, p(label | text) - p(label | text with the word occluded), and whether the model saw
    it (False: cut off by truncation; the contribution is then 0)."""

    word: str
    offset: int
    length: int
    contribution: float
    seen: bool


def _declare(lib: ctypes.CDLL) -> None:
    signatures = {
        "textrnn_version": (ctypes.c_char_p, []),
        "textrnn_kernels": (ctypes.c_char_p, []),
        "textrnn_status_string": (ctypes.c_char_p, [ctypes.c_int]),
        "textrnn_last_error": (ctypes.c_char_p, []),
        "textrnn_load": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_model_p)]),
        "textrnn_load_from_memory": (
            ctypes.c_int,
            [ctypes.c_void_p, _size_t, ctypes.c_void_p, _size_t, ctypes.POINTER(_model_p)],
        ),
        "textrnn_free": (None, [_model_p]),
        "textrnn_label_count": (_size_t, [_model_p]),
        "textrnn_label": (ctypes.c_char_p, [_model_p, _size_t]),
        "textrnn_output": (ctypes.c_int, [_model_p]),
        "textrnn_vocabulary_size": (_size_t, [_model_p]),
        "textrnn_sequence_length": (_size_t, [_model_p]),
        "textrnn_predict": (ctypes.c_int, [_model_p, ctypes.c_char_p, _size_t, _float_p, _size_t]),
        "textrnn_predict_batch": (
            ctypes.c_int,
            [_model_p, ctypes.POINTER(ctypes.c_char_p), _size_p, _size_t, _float_p, _size_t, _size_t],
        ),
        "textrnn_predict_ids": (ctypes.c_int, [_model_p, _int32_p, _size_t, _float_p, _size_t]),
        "textrnn_top_k": (
            ctypes.c_int,
            [_model_p, ctypes.c_char_p, _size_t, _size_t, _size_p, _float_p, _size_p],
        ),
        "textrnn_top_labels": (ctypes.c_int, [_model_p, _float_p, _size_t, _size_p]),
        "textrnn_tokenize": (
            ctypes.c_int,
            [_model_p, ctypes.c_char_p, _size_t, _int32_p, _size_t, _size_p],
        ),
        "textrnn_explain": (
            ctypes.c_int,
            [_model_p, ctypes.c_char_p, _size_t, _size_t, ctypes.c_int, _size_t,
             ctypes.POINTER(_WordContribution), _size_t, _size_p, _size_p, _float_p],
        ),
    }
    _set_signatures(lib, signatures)


def _set_signatures(lib: ctypes.CDLL, signatures: dict) -> None:
    """Declares each function's result and argument types: {name: (restype, argtypes)}."""
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        with _lib_lock:
            if _lib is None:
                lib = _find_library()
                _declare(lib)
                _lib = lib
    return _lib


def library() -> ctypes.CDLL:
    """The loaded libtextrnn (a ctypes.CDLL with argument types declared), for direct C calls."""
    return _library()


def library_version() -> str:
    """libtextrnn's version, "MAJOR.MINOR.PATCH"."""
    return _library().textrnn_version().decode()


def kernels() -> str:
    """The SIMD kernel level predictions run at ("portable", "avx2-fma", "avx512", "avx512-vnni");
    TEXTRNN_KERNELS=portable|avx2|avx512, set before the first prediction, asks for a lower one."""
    return _library().textrnn_kernels().decode()


def _check(status: int) -> None:
    if status != OK:
        message = _library().textrnn_last_error()
        kind = TextRNNArgumentError if status == ERROR_INVALID_ARGUMENT else TextRNNError
        raise kind(status, message.decode("utf-8", "replace") if message else "")


def _count(value: Any, name: str, minimum: int) -> int:
    """An int argument (not a bool) of at least `minimum`: TypeError or ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {value}")
    return value


def _texts(texts: Any) -> List[bytes]:
    """The encoded texts of an iterable of texts: TypeError for anything else."""
    if isinstance(texts, (str, bytes, bytearray, memoryview)):
        raise TypeError("expected a sequence of texts; use predict_one for one text")
    try:
        items = iter(texts)
    except TypeError:
        raise TypeError(f"texts must be a str, bytes or an iterable of them, not {type(texts).__name__}") from None
    return [_as_bytes(text) for text in items]


def _as_bytes(text: Text) -> bytes:
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"text must be str or bytes, not {type(text).__name__}")


try:  # numpy is optional
    import numpy as _np
except ImportError:  # pragma: no cover - exercised only without numpy
    _np = None


# ---- Model ------------------------------------------------------------------------------------


class Model:
    """A loaded bundle. Use :func:`load`; release with :meth:`close` or a ``with`` block."""

    def __init__(self, handle: int, source: str = "") -> None:
        # Private: made by load() / load_from_memory(). A path here would reach the C library
        # as a handle and crash the process, so anything but a handle is refused.
        if not isinstance(handle, int) or isinstance(handle, bool) or not handle:
            raise TypeError(f"Model() takes a library handle; load a bundle with textrnn.load(path), not Model({handle!r})")
        self._lib = _library()
        self._handle: Optional[int] = handle
        self.source = source
        count = self._lib.textrnn_label_count(handle)
        self.labels: List[str] = [
            self._lib.textrnn_label(handle, i).decode("utf-8", "replace") for i in range(count)
        ]
        """Label names, index order (the order of every probability vector)."""
        self.output: str = _OUTPUT_NAMES.get(self._lib.textrnn_output(handle), "unknown")
        """How to read probabilities: softmax, binary_sigmoid or multi_label_sigmoid."""
        self.vocabulary_size: int = self._lib.textrnn_vocabulary_size(handle)
        """Vocabulary entries (id 0 = padding, id 1 = out-of-vocabulary unless the bundle names another)."""
        self.sequence_length: Optional[int] = self._lib.textrnn_sequence_length(handle) or None
        """Token ids per text, or None when texts keep their own length."""

    # -- lifecycle

    @property
    def _model(self) -> int:
        if self._handle is None:
            raise ValueError("the model is closed")
        return self._handle

    @property
    def closed(self) -> bool:
        return self._handle is None

    def close(self) -> None:
        """Releases the model (idempotent). The model cannot be used afterwards."""
        handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.textrnn_free(handle)

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self.labels)} labels, {self.output}"
        return f"<textrnn.Model {self.source!r} ({state})>"

    @property
    def label_count(self) -> int:
        return len(self.labels)

    @property
    def classes_(self) -> Any:
        """The labels in probability-column order, as scikit-learn names them: a numpy array of
        str when numpy is importable, else a list."""
        return _np.array(self.labels) if _np is not None else list(self.labels)

    # -- prediction

    def _probabilities(self, text: Text) -> "ctypes.Array[ctypes.c_float]":
        data = _as_bytes(text)
        output = (ctypes.c_float * len(self.labels))()
        _check(self._lib.textrnn_predict(self._model, data, len(data), output, len(self.labels)))
        return output

    @overload
    def predict(self, texts: Text, threads: int = 0) -> Tuple[str, float]: ...

    @overload
    def predict(self, texts: Iterable[Text], threads: int = 0) -> Any: ...

    def _top_labels(self, rows: Any, count: int) -> List[int]:
        """The label the runtime ranks first (textrnn_top_labels: ties to the lower index, NaN
        last) in each of `count` rows of probabilities at the float pointer `rows`."""
        labels = (_size_t * max(count, 1))()
        _check(self._lib.textrnn_top_labels(self._model, rows, count, labels))
        return labels[:count]

    def predict(self, texts: Union[Text, Iterable[Text]], threads: int = 0) -> Any:
        """The most probable label of each text (ties: the first label; NaN ranks last, as in
        :meth:`top_k`), scikit-learn style.

        A sequence (or any iterable) of texts gives one label per text: a numpy array of str
        when numpy is importable, else a list; it is ``classes_[predict_proba(texts).argmax(1)]``
        for finite probabilities. One text (a ``str`` or ``bytes``) gives the pair
        ``(label, probability)`` for it. `threads`: as in :meth:`predict_proba` (used for
        sequences only).
        """
        if isinstance(texts, (str, bytes, bytearray, memoryview)):
            probabilities = self._probabilities(texts)
            best = self._top_labels(ctypes.cast(probabilities, _float_p), 1)[0]
            return self.labels[best], probabilities[best]
        rows = self.predict_proba(texts, threads=threads)
        if _np is not None:
            pointer = rows.ctypes.data_as(_float_p) if len(rows) else None
            return self.classes_[_np.array(self._top_labels(pointer, len(rows)), dtype=_np.intp)]
        flat = (ctypes.c_float * max(len(rows) * len(self.labels), 1))(*[p for row in rows for p in row])
        return [self.labels[best] for best in self._top_labels(ctypes.cast(flat, _float_p), len(rows))]

    def predict_labels(self, texts: Union[Text, Iterable[Text]], threshold: float = 0.5, threads: int = 0) -> Any:
        """The predicted label set of each text: for a multi-label model every label whose
        probability is at least `threshold` (most probable first; possibly none), otherwise
        the one most probable label. One text gives one list; a sequence, a list of lists."""
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"threshold must be a number, not {type(threshold).__name__}")
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be in 0...1, not {threshold}")
        from .result_lines import ranked_labels

        def labels(row: Sequence[float]) -> List[str]:
            ranked = ranked_labels(row)
            if self.output != "multi_label_sigmoid":
                return [self.labels[ranked[0]]]
            return [self.labels[i] for i in ranked if row[i] >= threshold]

        if isinstance(texts, (str, bytes, bytearray, memoryview)):
            return labels(list(self._probabilities(texts)))
        return [labels(list(row)) for row in self.predict_proba(texts, threads=threads)]

    def predict_one(self, text: Text) -> List[float]:
        """All label probabilities of one text (float32 values as Python floats)."""
        return list(self._probabilities(text))

    def predict_proba(self, texts: Iterable[Text], threads: int = 0) -> Any:
        """Probabilities for many texts through textrnn_predict_batch: a numpy float32 array of
        shape [len(texts), labels] when numpy is importable, else a list of lists.
        `threads`: worker threads (0 = one per CPU); the result does not depend on it. With two
        or more threads per text (``predict_proba([text], threads=2)``), a Bidirectional model
        runs its two directions side by side on a helper thread: the lowest latency for one text
        (see docs/c-api.md, "Many texts")."""
        data = _texts(texts)
        count = len(data)
        labels = len(self.labels)
        _count(threads, "threads", 0)
        pointers = (ctypes.c_char_p * max(count, 1))(*data)
        sizes = (ctypes.c_size_t * max(count, 1))(*[len(d) for d in data])
        if _np is not None:
            result = _np.zeros((count, labels), dtype=_np.float32)
            output = result.ctypes.data_as(_float_p) if count else None
        else:
            result = (ctypes.c_float * max(count * labels, 1))()
            output = ctypes.cast(result, _float_p)
        _check(
            self._lib.textrnn_predict_batch(
                self._model, pointers, sizes, count, output, count * labels, threads
            )
        )
        if _np is not None:
            return result
        flat = list(result)
        return [flat[i * labels : (i + 1) * labels] for i in range(count)]

    def predict_ids(self, ids: Sequence[int]) -> List[float]:
        """Probabilities for a sequence of token ids, used exactly as given (no padding or
        truncation). Every id must be in [0, embedding rows)."""
        values = list(ids)
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"token ids must be ints, not {type(value).__name__}")
            if not -(1 << 31) <= value < (1 << 31):
                raise TextRNNArgumentError(ERROR_INVALID_ARGUMENT, f"token id {value} is not an int32")
        array = (ctypes.c_int32 * max(len(values), 1))(*values)
        output = (ctypes.c_float * len(self.labels))()
        _check(
            self._lib.textrnn_predict_ids(self._model, array, len(values), output, len(self.labels))
        )
        return list(output)

    def top_k(self, text: Text, k: int = 1) -> List[Tuple[str, float]]:
        """The `k` most probable labels of a text, most probable first (ties: lower index
        first), as (label, probability) pairs; fewer when the model has fewer labels."""
        _count(k, "k", 1)
        data = _as_bytes(text)
        slots = max(k, 1)
        indices = (ctypes.c_size_t * slots)()
        probabilities = (ctypes.c_float * slots)()
        count = ctypes.c_size_t(0)
        _check(
            self._lib.textrnn_top_k(
                self._model, data, len(data), k, indices, probabilities, ctypes.byref(count)
            )
        )
        return [(self.labels[indices[i]], probabilities[i]) for i in range(count.value)]

    def tokenize(self, text: Text) -> List[int]:
        """The token ids the model sees for `text` (after standardization, splitting, lookup,
        padding and truncation)."""
        data = _as_bytes(text)
        count = ctypes.c_size_t(0)
        _check(self._lib.textrnn_tokenize(self._model, data, len(data), None, 0, ctypes.byref(count)))
        needed = count.value
        ids = (ctypes.c_int32 * max(needed, 1))()
        _check(
            self._lib.textrnn_tokenize(
                self._model, data, len(data), ids, needed, ctypes.byref(count)
            )
        )
        return list(ids)[: count.value]

    def explain(
        self,
        text: Text,
        label: Union[str, int, None] = None,
        occlusion: str = "oov",
        threads: int = 0,
    ) -> List[WordContribution]:
        """Each word's contribution to the probability of `label` (a name or index; None = the
        most probable label), by occlusion through textrnn_explain: "oov" replaces the word's
        token ids (and its n-grams') by the out-of-vocabulary id, "padding" by padding.
        `threads`: worker threads (0 = one per CPU); the result does not depend on it."""
        data = _as_bytes(text)
        if label is None:
            index = _PREDICTED_LABEL
        elif isinstance(label, str):
            if label not in self.labels:
                raise ValueError(f"label {label!r} is not one of {self.labels}")
            index = self.labels.index(label)
        else:
            index = int(label)
            if not 0 <= index < len(self.labels):
                raise ValueError(f"label {index} is outside 0..{len(self.labels) - 1}")
        if occlusion not in _OCCLUSIONS:
            raise ValueError(f"occlusion must be one of {sorted(_OCCLUSIONS)}, not {occlusion!r}")
        _count(threads, "threads", 0)
        count = ctypes.c_size_t(0)
        args = (self._model, data, len(data), index, _OCCLUSIONS[occlusion], threads)
        _check(self._lib.textrnn_explain(*args, None, 0, ctypes.byref(count), None, None))
        words = (_WordContribution * max(count.value, 1))()
        _check(self._lib.textrnn_explain(*args, words, count.value, ctypes.byref(count), None, None))
        return [
            WordContribution(
                word=data[w.offset : w.offset + w.length].decode("utf-8", "replace"),
                offset=w.offset,
                length=w.length,
                contribution=w.contribution,
                seen=bool(w.seen),
            )
            for w in words[: count.value]
        ]


def load(path: Union[str, os.PathLike]) -> Model:
    """Loads the bundle directory at `path` (NAME.textrnn, or its manifest.json)."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
    lib = _library()
    raw = os.fsencode(path)
    handle = _model_p()
    _check(lib.textrnn_load(raw, ctypes.byref(handle)))
    return Model(handle.value, os.fsdecode(raw))


def load_from_memory(manifest_json: bytes, weights: bytes) -> Model:
    """Loads a bundle from the bytes of its manifest.json and weights file."""
    for name, value in (("manifest_json", manifest_json), ("weights", weights)):
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
    lib = _library()
    manifest = bytes(manifest_json)
    weight_bytes = bytes(weights)
    handle = _model_p()
    _check(
        lib.textrnn_load_from_memory(
            manifest, len(manifest), weight_bytes, len(weight_bytes), ctypes.byref(handle)
        )
    )
    return Model(handle.value, "<memory>")


# ---- Training (textrnn.trainer, textrnn.sklearn) ------------------------------------------------
# Loaded on first use: `import textrnn` loads neither the trainer library nor scikit-learn.
_LAZY = {
    "train": "trainer",
    "hyperparameters": "trainer",
    "ProgressEvent": "trainer",
    "TrainingError": "trainer",
    "TextRNNClassifier": "sklearn",
}
__all__ += list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

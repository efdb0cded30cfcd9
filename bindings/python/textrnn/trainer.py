"""Training in process: :func:`train` through libtextrnn-trainer.so, the trainer's C ABI
(include/textrnn_trainer.h).

    >>> import textrnn
    >>> model = textrnn.train(texts, labels, epochs=3, units=(32,), output="imdb.textrnn")
    >>> model.predict(["a wonderful film"])

The rows go to the trainer from memory (no temporary file); the model comes back as the bytes of
its bundle and is loaded through libtextrnn (:func:`textrnn.load_from_memory`). Training is the
same as ``textrnn train`` with the same rows and hyperparameters: same label order, validation
split, data-aware recipe and seed, so the same model.

Hyperparameters are the keys of ``textrnn train --config`` (snake_case, the flags' names);
:func:`hyperparameters` lists them with their defaults, as the trainer library reports them (no
list of them lives in Python). A hyperparameter left out, or given as None, is not set: the
trainer's default applies, or the data-aware recipe's choice, as for a flag not given.

Progress goes to the ``textrnn.trainer`` logger (epochs and messages at INFO, batches at DEBUG)
and, when given, to ``progress(event)`` with a :class:`ProgressEvent`. Ctrl-C (or any exception
raised by ``progress``) stops training at the next batch and is re-raised from :func:`train`.

The library is looked up like libtextrnn (see :mod:`textrnn`), under the variable
``TEXTRNN_TRAINER_LIBRARY`` and the name ``libtextrnn-trainer.so``.
"""

from __future__ import annotations

import ctypes
import json
import logging
import math
import os
import signal
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Tuple, Union

from . import Model, Text, _as_bytes, _open_library, _set_signatures, load_from_memory

__all__ = ["train", "hyperparameters", "ProgressEvent", "TrainingError", "trainer_library"]

_LIBRARY_NAME = "libtextrnn-trainer.so"
_LIBRARY_VARIABLE = "TEXTRNN_TRAINER_LIBRARY"
_ERROR_CAPACITY = 4096
_log = logging.getLogger(__name__)

# textrnn_trainer_status
_STATUS_NAMES = {
    1: "invalid argument",
    2: "invalid config",
    3: "invalid data",
    4: "cancelled",
    5: "diverged",
    6: "I/O error",
    7: "internal error",
}
_EVENT_KINDS = {0: "message", 1: "batch", 2: "epoch"}


class TrainingError(ValueError):
    """A failed training call: ``status`` is the textrnn_trainer_status value, ``message`` the
    library's text (it names the argument, row or config key at fault)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def status_name(self) -> str:
        return _STATUS_NAMES.get(self.status, f"status {self.status}")


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report: ``kind`` is "message", "batch" or "epoch"; ``message`` the line
    ``textrnn train`` prints for it. Numbers that do not apply are 0 or None."""

    kind: str
    message: str
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    loss: Optional[float] = None
    accuracy: Optional[float] = None
    validation_loss: Optional[float] = None
    validation_accuracy: Optional[float] = None


class _Data(ctypes.Structure):
    """textrnn_trainer_data."""

    _fields_ = [
        ("texts", ctypes.POINTER(ctypes.c_char_p)),
        ("text_sizes", ctypes.POINTER(ctypes.c_size_t)),
        ("labels", ctypes.POINTER(ctypes.c_char_p)),
        ("label_sizes", ctypes.POINTER(ctypes.c_size_t)),
        ("count", ctypes.c_size_t),
    ]


class _Event(ctypes.Structure):
    """textrnn_trainer_event."""

    _fields_ = [
        ("kind", ctypes.c_int),
        ("epoch", ctypes.c_size_t),
        ("epochs", ctypes.c_size_t),
        ("batch", ctypes.c_size_t),
        ("batches", ctypes.c_size_t),
        ("loss", ctypes.c_double),
        ("accuracy", ctypes.c_double),
        ("validation_loss", ctypes.c_double),
        ("validation_accuracy", ctypes.c_double),
        ("message", ctypes.c_char_p),
    ]


_Progress = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_Event), ctypes.c_void_p)
_bytes_p = ctypes.POINTER(ctypes.c_uint8)

_lib: Optional[ctypes.CDLL] = None
_lib_lock = threading.Lock()


def _declare(lib: ctypes.CDLL) -> None:
    error = [ctypes.c_char_p, ctypes.c_size_t]
    signatures = {
        "textrnn_trainer_version": (ctypes.c_char_p, []),
        "textrnn_trainer_hyperparameters": (ctypes.c_char_p, []),
        "textrnn_trainer_train": (
            ctypes.c_int,
            [ctypes.POINTER(_Data), ctypes.POINTER(_Data), ctypes.c_char_p, ctypes.c_size_t, _Progress,
             ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), *error],
        ),
        "textrnn_trainer_bundle_manifest": (_bytes_p, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]),
        "textrnn_trainer_bundle_weights": (_bytes_p, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]),
        "textrnn_trainer_bundle_write": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, *error]),
        "textrnn_trainer_bundle_free": (None, [ctypes.c_void_p]),
    }
    _set_signatures(lib, signatures)


def trainer_library() -> ctypes.CDLL:
    """The loaded libtextrnn-trainer (a ctypes.CDLL with argument types declared)."""
    global _lib
    if _lib is None:
        with _lib_lock:
            if _lib is None:
                lib = _open_library(_LIBRARY_NAME, _LIBRARY_VARIABLE)
                _declare(lib)
                _lib = lib
    return _lib


def _tuples(value: Any) -> Any:
    """JSON arrays as tuples: immutable defaults, as scikit-learn wants them."""
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


def hyperparameters() -> Dict[str, Any]:
    """Every hyperparameter :func:`train` accepts, name -> default (None: unset), in the
    trainer library's order. Arrays are tuples."""
    entries = json.loads(trainer_library().textrnn_trainer_hyperparameters().decode("utf-8"))
    return {entry["name"]: _tuples(entry["default"]) for entry in entries}


def _config_json(params: Dict[str, Any]) -> bytes:
    known = hyperparameters()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise TypeError(f"unknown hyperparameter(s) {', '.join(unknown)}; known: {', '.join(known)}")

    def plain(value: Any) -> Any:
        if isinstance(value, (tuple, list)):
            return [plain(item) for item in value]
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            return value.item()  # numpy scalars, as GridSearchCV may pass them
        return value

    given = {name: plain(value) for name, value in params.items() if value is not None}
    return json.dumps(given).encode("utf-8")


class _Rows:
    """A textrnn_trainer_data over Python texts and labels (keeps the bytes alive)."""

    def __init__(self, texts: Iterable[Text], labels: Iterable[Any], what: str) -> None:
        text_bytes = [_as_bytes(text) for text in texts]
        label_bytes = [str(label).encode("utf-8") for label in labels]
        if len(text_bytes) != len(label_bytes):
            raise ValueError(f"{what}: {len(text_bytes)} texts but {len(label_bytes)} labels")
        count = len(text_bytes)
        self._keep = (text_bytes, label_bytes)
        slots = max(count, 1)
        self.data = _Data(
            (ctypes.c_char_p * slots)(*text_bytes),
            (ctypes.c_size_t * slots)(*[len(text) for text in text_bytes]),
            (ctypes.c_char_p * slots)(*label_bytes),
            (ctypes.c_size_t * slots)(*[len(label) for label in label_bytes]),
            count,
        )


def _number(value: float) -> Optional[float]:
    return None if math.isnan(value) else value


def _event(raw: _Event) -> ProgressEvent:
    return ProgressEvent(
        kind=_EVENT_KINDS.get(raw.kind, "message"),
        message=(raw.message or b"").decode("utf-8", "replace"),
        epoch=raw.epoch,
        epochs=raw.epochs,
        batch=raw.batch,
        batches=raw.batches,
        loss=_number(raw.loss),
        accuracy=_number(raw.accuracy),
        validation_loss=_number(raw.validation_loss),
        validation_accuracy=_number(raw.validation_accuracy),
    )


def _copy(function: Callable, bundle: ctypes.c_void_p) -> bytes:
    size = ctypes.c_size_t(0)
    pointer = function(bundle, ctypes.byref(size))
    return ctypes.string_at(pointer, size.value) if size.value else b""


def train(
    texts: Sequence[Text],
    labels: Sequence[Any],
    *,
    validation: Optional[Tuple[Sequence[Text], Sequence[Any]]] = None,
    progress: Optional[Callable[[ProgressEvent], None]] = None,
    output: Union[str, os.PathLike, None] = None,
    **params: Any,
) -> Model:
    """Trains a classifier on `texts` (str or bytes) and their `labels` (each turned into its
    ``str``) and returns it loaded (:class:`textrnn.Model`); ``model.bundle_bytes`` holds its
    manifest.json and weights bytes. `validation`: (texts, labels) to validate on instead of a
    held-out ``validation_split`` of the rows. `output`: also write the bundle directory there.
    `params`: hyperparameters (see :func:`hyperparameters`). Raises :class:`TrainingError` on
    bad data or config, and re-raises KeyboardInterrupt (Ctrl-C) or whatever `progress` raised
    after stopping training."""
    lib = trainer_library()
    config = _config_json(params)
    train_rows = _Rows(texts, labels, "train")
    validation_rows = _Rows(validation[0], validation[1], "validation") if validation is not None else None
    raised: list = []
    interrupted = threading.Event()

    def forward(raw, _user_data) -> int:
        try:
            if interrupted.is_set():
                return 1
            event = _event(raw.contents)
            _log.log(logging.DEBUG if event.kind == "batch" else logging.INFO, "%s", event.message)
            if progress is not None:
                progress(event)
            return 0
        except BaseException as error:  # noqa: B902 - KeyboardInterrupt stops training too
            raised.append(error)
            return 1

    callback = _Progress(forward)
    bundle = ctypes.c_void_p()
    error = ctypes.create_string_buffer(_ERROR_CAPACITY)
    # Ctrl-C during training only sets a flag (a KeyboardInterrupt raised inside the C call's
    # callback could be lost): the callback then stops training, and train() raises it.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        status = lib.textrnn_trainer_train(
            ctypes.byref(train_rows.data),
            ctypes.byref(validation_rows.data) if validation_rows is not None else None,
            config, len(config), callback, None, ctypes.byref(bundle), error, _ERROR_CAPACITY,
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        raised.insert(0, KeyboardInterrupt())
    if raised:
        if status == 0:
            lib.textrnn_trainer_bundle_free(bundle)
        raise raised[0]
    if status != 0:
        raise TrainingError(status, error.value.decode("utf-8", "replace"))
    try:
        manifest = _copy(lib.textrnn_trainer_bundle_manifest, bundle)
        weights = _copy(lib.textrnn_trainer_bundle_weights, bundle)
        if output is not None:
            written = lib.textrnn_trainer_bundle_write(bundle, os.fsencode(output), error, _ERROR_CAPACITY)
            if written != 0:
                raise TrainingError(written, error.value.decode("utf-8", "replace"))
    finally:
        lib.textrnn_trainer_bundle_free(bundle)
    model = load_from_memory(manifest, weights)
    model.bundle_bytes = (manifest, weights)
    return model

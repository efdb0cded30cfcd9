"""The exception :mod:`textrnn.keras` raises for anything a bundle cannot represent."""

from __future__ import annotations

from typing import Any, Optional


class KerasExportError(ValueError):
    """A Keras model, layer or vectorizer that a TextRNN bundle cannot reproduce exactly.

    ``layer`` names the Keras layer or model at fault (``"'lstm_1' (LSTM)"``), or is None when the problem
    is the model's text pipeline or labels; ``reason`` says what is unsupported and, where there is one, how to
    change the model so it exports."""

    def __init__(self, reason: str, layer: Optional[Any] = None) -> None:
        self.layer: Optional[str] = describe(layer) if layer is not None else None
        self.reason = reason
        # Keras models (which have fit()) are named as such; everything else is a layer.
        kind = "model" if hasattr(layer, "fit") else "layer"
        super().__init__(f"cannot export {kind} {self.layer}: {reason}" if self.layer else f"cannot export: {reason}")


def describe(layer: Any) -> str:
    """``name (ClassName)`` of a Keras layer or model, as error messages name it."""
    if isinstance(layer, str):
        return layer
    name = getattr(layer, "name", None)
    return f"{name!r} ({type(layer).__name__})" if name else type(layer).__name__

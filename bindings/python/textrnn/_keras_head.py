"""The activation a bundle adds to a model that ends in logits (a last Dense without activation).

Keras tutorials often train on logits: ``Dense(1)`` with ``BinaryCrossentropy(from_logits=True)``
or ``Dense(n)`` with ``SparseCategoricalCrossentropy(from_logits=True)``; ``model.predict`` then
returns logits and the loss applied the sigmoid or softmax during training. A bundle reports
probabilities, so it applies that activation itself. Which one is read from the compiled loss
when it says (a cross-entropy with ``from_logits=True``), else it must be given as ``head=``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ._keras_errors import KerasExportError

HEADS = ("sigmoid", "softmax")
# Keras loss classes -> the activation they apply to logits.
LOSS_HEADS = {
    "BinaryCrossentropy": "sigmoid", "BinaryFocalCrossentropy": "sigmoid",
    "CategoricalCrossentropy": "softmax", "SparseCategoricalCrossentropy": "softmax",
    "CategoricalFocalCrossentropy": "softmax",
}


def _compiled_logits_loss(model: Any) -> Optional[Dict[str, str]]:
    """{"loss": description, "head": activation} when the compiled loss is a cross-entropy on
    logits; None when there is no loss, or it takes probabilities, or it is not one we know."""
    loss = getattr(model, "loss", None)
    name = type(loss).__name__
    if name not in LOSS_HEADS or getattr(loss, "from_logits", False) is not True:
        return None
    return {"loss": f"{name}(from_logits=True)", "head": LOSS_HEADS[name]}


def logits_head(model: Any, last_layer: Any, head: Optional[str]) -> Dict[str, str]:
    """For a model whose last Dense is linear: the activation the bundle must apply and where it
    came from (recorded in the manifest's ``training.head``). Refuses when neither the compiled
    loss nor `head` says, or when they disagree."""
    compiled = _compiled_logits_loss(model)
    if compiled is not None:
        if head is not None and head != compiled["head"]:
            raise KerasExportError(
                f"head={head!r}, but the model was compiled with {compiled['loss']}, which applies {compiled['head']}", last_layer)
        return {"trained_on": "logits", "activation_applied_by_bundle": compiled["head"], "from": f"compiled loss {compiled['loss']}"}
    if head is None:
        raise KerasExportError(
            "the last layer must be a Dense with softmax or sigmoid activation (the bundle reports "
            "probabilities), or output logits with the compiled loss saying from_logits=True; this "
            "Dense has no activation and the model's loss does not say, so pass head=\"sigmoid\" or "
            "head=\"softmax\" (the activation the loss applied to the logits in training)", last_layer)
    return {"trained_on": "logits", "activation_applied_by_bundle": head, "from": "head= argument"}


def check_head_argument(head: Optional[str]) -> None:
    if head is not None and head not in HEADS:
        raise KerasExportError(f"head={head!r} must be \"sigmoid\" or \"softmax\" (or None: read from the compiled loss)")

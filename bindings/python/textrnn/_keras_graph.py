"""A Keras 3 model -> the ordered list of layers it applies, which must form a single chain.

A bundle's layer graph is a straight line (Embedding, recurrent layers, pooling, Dense), so only
models that are one are exported: Sequential models, and functional models in which every layer
reads exactly the output of the layer before it. Nested Sequential/functional models are
flattened. Branches, merges, several inputs or outputs, layers called with extra tensors and
subclassed models (whose ``call`` cannot be inspected) are refused.
"""

from __future__ import annotations

from typing import Any, List

from ._keras_errors import KerasExportError


def _is_functional(model: Any, keras: Any) -> bool:
    try:
        from keras.src.models.functional import Functional
    except ImportError:  # pragma: no cover - Keras moved the class: fall back to duck typing
        return isinstance(model, keras.Model) and hasattr(model, "_nodes") and hasattr(model, "outputs")
    return isinstance(model, Functional)


def _tensors(value: Any, keras: Any) -> List[Any]:
    """The Keras symbolic tensors inside a (possibly nested) call argument."""
    if isinstance(value, keras.KerasTensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [tensor for item in value for tensor in _tensors(item, keras)]
    if isinstance(value, dict):
        return [tensor for item in value.values() for tensor in _tensors(item, keras)]
    return []


def _functional_chain(model: Any, keras: Any) -> List[Any]:
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise KerasExportError(
            f"the model has {len(model.inputs)} inputs and {len(model.outputs)} outputs; a bundle runs one text to one output", model)
    start = model.inputs[0]
    tensor = model.outputs[0]
    reversed_chain: List[Any] = []
    while tensor is not start:
        operation, node_index, _ = tensor._keras_history
        node = operation._inbound_nodes[node_index]
        inputs = _tensors(node.arguments.args, keras)
        if len(inputs) != 1:
            raise KerasExportError(
                f"it reads {len(inputs)} tensors; only a chain of layers that each read the previous "
                "layer's output can be exported (no branches or merges)", operation)
        for key, value in node.arguments.kwargs.items():
            extra = _tensors(value, keras)
            # Keras passes the incoming mask as `mask=` itself; any other tensor is a second input.
            if extra and not (key == "mask" and len(extra) == 1 and extra[0] is getattr(inputs[0], "_keras_mask", None)):
                raise KerasExportError(f"it is called with the extra tensor argument {key}=; only single-input chains export", operation)
        if len(_tensors(node.outputs, keras)) != 1:
            raise KerasExportError("it returns several tensors (return_state=True?); a bundle layer returns one", operation)
        reversed_chain.append(operation)
        tensor = inputs[0]
    chain: List[Any] = []
    for operation in reversed(reversed_chain):
        chain.extend(layer_chain(operation, keras) if isinstance(operation, keras.Model) else [operation])
    return chain


def layer_chain(model: Any, keras: Any) -> List[Any]:
    """The layers `model` applies, first to last, without InputLayer; refuses non-chain graphs."""
    if isinstance(model, keras.Sequential):
        chain: List[Any] = []
        for layer in model.layers:
            chain.extend(layer_chain(layer, keras) if isinstance(layer, keras.Model) else [layer])
        return chain
    if _is_functional(model, keras):
        return [layer for layer in _functional_chain(model, keras) if not isinstance(layer, keras.layers.InputLayer)]
    if isinstance(model, keras.Model):
        raise KerasExportError(
            "a subclassed keras.Model's call() cannot be inspected; build the same layers as a "
            "keras.Sequential or functional model (the weights can be copied with set_weights)", model)
    raise KerasExportError(f"expected a keras.Model, not {type(model).__name__}", model)

"""Keras 3 layers -> the bundle's layer objects and weight tensors (docs/bundle-format.md).

Weights keep Keras's layouts and gate orders, so they are copied unchanged. Each layer's settings
are checked against what the runtime computes; whatever would make the bundle's probabilities
differ from Keras's (an activation the runtime lacks, a stateful RNN, mixed precision, a Dense
applied per time step, LoRA or quantized weights, ...) is refused with the layer's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from ._keras_errors import KerasExportError
from ._keras_head import logits_head
from .bundle_writer import Tensor

MAX_UNITS = 16_384
RECURRENT_CLASSES = ("SimpleRNN", "LSTM", "GRU")
RECURRENT_ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid")
DENSE_ACTIVATIONS = RECURRENT_ACTIVATIONS + ("softmax",)
# Layers that compute the identity at inference (and pass the mask on unchanged).
INFERENCE_NO_OPS = (
    "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization", "Identity",
)
SUPPORTED = "Embedding, SimpleRNN, LSTM, GRU, Bidirectional, GlobalMaxPooling1D, GlobalAveragePooling1D, Dense, Activation"


@dataclass
class ConvertedLayers:
    """The manifest's ``layers``, the tensors they name, and the output head."""

    layers: List[Dict[str, Any]] = field(default_factory=list)
    tensors: List[Tensor] = field(default_factory=list)
    embedding_rows: int = 0
    output: str = ""
    output_units: int = 0
    # For a model ending in logits: the activation the bundle adds and where it came from.
    logits_head: Optional[Dict[str, str]] = None


def _activation(function: Any, keras: Any) -> Optional[str]:
    names = {
        keras.activations.linear: "linear", keras.activations.relu: "relu", keras.activations.tanh: "tanh",
        keras.activations.sigmoid: "sigmoid", keras.activations.softmax: "softmax",
    }
    return names.get(function)


def _activation_label(function: Any) -> str:
    return getattr(function, "__name__", repr(function))


def _exact_class(layer: Any, keras: Any) -> Optional[str]:
    """The Keras class name when `layer` is exactly that built-in class (subclasses may override
    call(), so they are not trusted)."""
    name = type(layer).__name__
    builtin = getattr(keras.layers, name, None)
    return name if builtin is not None and type(layer) is builtin else None


class _Converter:
    """Walks the chain once, tracking what the runtime needs to know about the data flowing:
    whether it is a sequence and whether a mask travels with it."""

    def __init__(self, keras: Any, padding: str) -> None:
        self.keras = keras
        self.padding = padding
        self.result = ConvertedLayers()
        self.is_sequence = True
        self.has_mask = False
        self.last_layer: Any = None  # the Keras layer behind the last bundle layer

    # -- helpers

    def _weights(self, variable: Any, name: str) -> str:
        self.result.tensors.append(Tensor(name, np.asarray(self.keras.ops.convert_to_numpy(variable), dtype=np.float32)))
        return name

    def _check_common(self, layer: Any) -> None:
        policy = getattr(layer, "dtype_policy", None)
        dtypes = {getattr(policy, "compute_dtype", "float32"), getattr(policy, "variable_dtype", "float32")}
        if dtypes != {"float32"}:
            raise KerasExportError(
                f"dtype policy {getattr(policy, 'name', policy)!r}: the bundle computes in float32; "
                "rebuild the model with dtype=\"float32\" and copy the weights", layer)
        if getattr(layer, "lora_enabled", False):
            raise KerasExportError("LoRA is enabled; merge the adapters into the kernel first", layer)
        if getattr(layer, "quantization_mode", None):
            raise KerasExportError(f"{layer.quantization_mode} quantized weights are not supported (export the float32 model)", layer)

    def _units(self, value: int, what: str, layer: Any) -> int:
        if not 1 <= int(value) <= MAX_UNITS:
            raise KerasExportError(f"{what}={value} is outside 1...{MAX_UNITS}", layer)
        return int(value)

    def _require_sequence(self, layer: Any) -> None:
        if not self.is_sequence:
            raise KerasExportError(
                "it needs a sequence, but the layer before returns one vector per text (set return_sequences=True there)", layer)

    # -- layers

    def embedding(self, layer: Any) -> None:
        if self.result.layers:
            raise KerasExportError("an Embedding may only be the first layer", layer)
        self._check_common(layer)
        rows = int(layer.input_dim)
        if rows < 2:
            raise KerasExportError(f"input_dim={rows}: the vocabulary needs at least the ids 0 and 1", layer)
        self.has_mask = bool(layer.mask_zero)
        self.result.embedding_rows = rows
        self.result.layers.append({
            "class": "Embedding", "input_dim": rows, "output_dim": self._units(layer.output_dim, "output_dim", layer),
            "mask_zero": self.has_mask, "weights": {"embeddings": self._weights(layer.embeddings, "0/embeddings")},
        })

    def recurrent(self, layer: Any, prefix: str) -> Dict[str, Any]:
        """One SimpleRNN/LSTM/GRU as a manifest object; its tensors are named PREFIX + role."""
        class_name = _exact_class(layer, self.keras)
        if class_name not in RECURRENT_CLASSES:
            raise KerasExportError(f"unsupported recurrent layer; the bundle runs {', '.join(RECURRENT_CLASSES)}", layer)
        self._check_common(layer)
        if layer.stateful:
            raise KerasExportError("stateful=True carries state across batches; the bundle starts every text from a zero state", layer)
        if layer.return_state:
            raise KerasExportError("return_state=True returns several tensors; the bundle needs the output only", layer)
        cell = layer.cell
        spec: Dict[str, Any] = {"class": class_name, "units": self._units(cell.units, "units", layer)}
        roles = [("activation", cell.activation)]
        if class_name != "SimpleRNN":
            roles.append(("recurrent_activation", cell.recurrent_activation))
        for key, function in roles:
            name = _activation(function, self.keras)
            if name not in RECURRENT_ACTIVATIONS:
                raise KerasExportError(
                    f"{key}={_activation_label(function)!r} is not supported (the runtime has {', '.join(RECURRENT_ACTIVATIONS)})", layer)
            spec[key] = name
        if class_name == "GRU":
            spec["reset_after"] = bool(cell.reset_after)
        spec["return_sequences"] = bool(layer.return_sequences)
        spec["go_backwards"] = bool(layer.go_backwards)
        spec["use_bias"] = bool(cell.use_bias)
        weights = {"kernel": self._weights(cell.kernel, prefix + "kernel"),
                   "recurrent_kernel": self._weights(cell.recurrent_kernel, prefix + "recurrent_kernel")}
        if cell.use_bias:
            weights["bias"] = self._weights(cell.bias, prefix + "bias")
        spec["weights"] = weights
        return spec

    def _after_recurrent(self, return_sequences: bool) -> None:
        self.is_sequence = return_sequences
        self.has_mask = self.has_mask and return_sequences

    def single_recurrent(self, layer: Any) -> None:
        self._require_sequence(layer)
        index = len(self.result.layers)
        self.result.layers.append(self.recurrent(layer, f"{index}/"))
        self._after_recurrent(layer.return_sequences)

    def bidirectional(self, layer: Any) -> None:
        self._require_sequence(layer)
        self._check_common(layer)
        if layer.merge_mode not in ("concat", "sum", "ave", "mul"):
            raise KerasExportError(
                f"merge_mode={layer.merge_mode!r}: the bundle merges with concat, sum, ave or mul", layer)
        index = len(self.result.layers)
        forward = self.recurrent(layer.forward_layer, f"{index}/forward/")
        backward = self.recurrent(layer.backward_layer, f"{index}/backward/")
        if forward["go_backwards"] or not backward["go_backwards"]:
            raise KerasExportError("the forward layer must read forwards and the backward layer backwards", layer)
        if layer.merge_mode != "concat" and forward["units"] != backward["units"]:
            raise KerasExportError(f"merge_mode={layer.merge_mode!r} needs equal units in both directions", layer)
        self.result.layers.append({"class": "Bidirectional", "merge_mode": layer.merge_mode, "forward": forward, "backward": backward})
        self._after_recurrent(forward["return_sequences"])

    def pooling(self, layer: Any, class_name: str) -> None:
        self._require_sequence(layer)
        if getattr(layer, "data_format", "channels_last") != "channels_last" or getattr(layer, "keepdims", False):
            raise KerasExportError("only data_format=\"channels_last\" with keepdims=False is supported", layer)
        entry: Dict[str, Any] = {"class": class_name}
        if class_name == "GlobalMaxPooling1D":
            # Keras's layer ignores the mask: masked steps count with the values Keras puts there
            # (a plain recurrent layer's repeated previous output, zeros inside Bidirectional).
            # The runtime computes exactly those values, so it must not skip the steps either.
            entry["masked"] = False
        self.result.layers.append(entry)
        self.is_sequence = False
        self.has_mask = False

    def dense(self, layer: Any) -> None:
        self._check_common(layer)
        if self.is_sequence:
            raise KerasExportError(
                "it is applied to every time step of a sequence; the bundle's Dense reads one vector "
                "per text (end the recurrent stack with return_sequences=False or a pooling layer)", layer)
        name = _activation(layer.activation, self.keras)
        if name not in DENSE_ACTIVATIONS:
            raise KerasExportError(
                f"activation={_activation_label(layer.activation)!r} is not supported (the runtime has {', '.join(DENSE_ACTIVATIONS)})", layer)
        index = len(self.result.layers)
        units = self._units(layer.units, "units", layer)
        bias = layer.bias if layer.use_bias else np.zeros(units, dtype=np.float32)
        self.result.layers.append({
            "class": "Dense", "units": units, "activation": name,
            "weights": {"kernel": self._weights(layer.kernel, f"{index}/kernel"), "bias": self._weights(bias, f"{index}/bias")},
        })

    def activation(self, layer: Any) -> None:
        name = _activation(layer.activation, self.keras)
        previous = self.result.layers[-1] if self.result.layers else {}
        if previous.get("class") != "Dense" or previous.get("activation") != "linear" or name not in DENSE_ACTIVATIONS:
            raise KerasExportError(
                "an Activation layer exports only right after a Dense without activation, with "
                f"{', '.join(DENSE_ACTIVATIONS)}", layer)
        previous["activation"] = name

    def add(self, layer: Any) -> None:
        class_name = _exact_class(layer, self.keras)
        if class_name in INFERENCE_NO_OPS:
            return
        self.last_layer = layer
        if not self.result.layers and class_name != "Embedding":
            raise KerasExportError("the first layer after the text vectorizer must be an Embedding", layer)
        if class_name == "Embedding":
            self.embedding(layer)
        elif class_name in RECURRENT_CLASSES:
            self.single_recurrent(layer)
        elif class_name == "Bidirectional":
            self.bidirectional(layer)
        elif class_name in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
            self.pooling(layer, class_name)
        elif class_name == "Dense":
            self.dense(layer)
        elif class_name == "Activation":
            self.activation(layer)
        else:
            raise KerasExportError(f"unsupported layer (supported: {SUPPORTED}, and inference no-ops such as Dropout)", layer)

    def finish(self, model: Any, head: Optional[str]) -> ConvertedLayers:
        last = self.result.layers[-1] if self.result.layers else {}
        last_layer = self.last_layer if self.last_layer is not None else model
        if last.get("class") == "Dense" and last.get("activation") == "linear":
            self.result.logits_head = logits_head(model, last_layer, head)
            last["activation"] = self.result.logits_head["activation_applied_by_bundle"]
        elif head is not None:
            raise KerasExportError(
                f"head={head!r} is for a model ending in logits, but the last layer already has its activation", last_layer)
        if last.get("class") != "Dense" or last.get("activation") not in ("softmax", "sigmoid"):
            raise KerasExportError(
                "the last layer must be a Dense with softmax or sigmoid activation (the bundle reports "
                "probabilities), or a Dense without activation (logits, see head=)", last_layer)
        units = last["units"]
        if last["activation"] == "softmax":
            if units < 2:
                raise KerasExportError("a softmax over one unit is always 1; use Dense(1, sigmoid) for two classes", last_layer)
            self.result.output = "softmax"
        else:
            self.result.output = "binary_sigmoid" if units == 1 else "multi_label_sigmoid"
        self.result.output_units = units
        return self.result


def convert_layers(chain: List[Any], keras: Any, model: Any, padding: str, head: Optional[str] = None) -> ConvertedLayers:
    """The bundle layers for `chain` (the model's layers after the text vectorizer). `padding`
    is the pipeline's padding side, which decides how masked max pooling is exported; `head` the
    activation for a logits output when the compiled loss does not name it."""
    converter = _Converter(keras, padding)
    for layer in chain:
        converter.add(layer)
    return converter.finish(model, head)

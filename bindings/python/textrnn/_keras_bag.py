"""Wide-and-deep Keras models -> a bundle with a bag-of-n-grams branch (docs/bundle-format.md).

The model this exports is a functional model over raw text::

    text = keras.Input(shape=(), dtype="string")
    deep = TextVectorization(output_mode="int", ...)(text) -> Embedding -> recurrent -> pooling
    wide = TextVectorization(output_mode="tf_idf", ngrams=2)(text) [-> UnitNormalization()]
    output = Dense(units, "softmax" | "sigmoid")(Concatenate()([deep, wide]))

The Dense's rows for the deep features stay the bundle's last Dense kernel; its rows for the
tf-idf features become the bag's kernel, whose logits the runtime adds to that Dense's
pre-activation: the same sum. Keras's tf-idf is a raw count times idf over every token of the
text, each unigram or bigram outside its vocabulary counted as its index-0 OOV entry: the bag
options ``tf: "count"``, ``oov_bigrams: true`` and ``norm: "l2"`` (UnitNormalization) or
``"none"``.

The two TextVectorization layers have different vocabularies; the bundle has one. It becomes
their union, ordered so that the bag's unigram features are ids 2..<unigrams (the bag treats
every other id as OOV): "", "[UNK]", the tf-idf vocabulary's words, the integer vocabulary's
other words, then the words of the tf-idf bigrams not yet present. Embedding rows follow their
words; a word the integer vocabulary lacks gets its OOV row, so the recurrent branch reads
exactly what it read in Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ._keras_errors import KerasExportError
from ._keras_graph import _is_functional, _tensors, layer_chain
from ._keras_layers import INFERENCE_NO_OPS, ConvertedLayers, _exact_class
from ._keras_text import _ngram_count, _standardize_name
from .bundle_writer import Tensor

OOV_FEATURE = 1  # the bag feature of "[UNK]": Keras's tf-idf index 0


def _producer(tensor: Any) -> Tuple[Any, List[Any]]:
    """The layer that made `tensor` and the tensors it read."""
    operation, node_index, _ = tensor._keras_history
    node = operation._inbound_nodes[node_index]
    return operation, node.arguments.args


def _skip_no_ops(tensor: Any, keras: Any) -> Tuple[Any, Any]:
    """Walks back over inference no-ops (Dropout, ...); returns the first other layer and its output."""
    while True:
        operation, arguments = _producer(tensor)
        if _exact_class(operation, keras) not in INFERENCE_NO_OPS:
            return operation, tensor
        tensor = _tensors(arguments, keras)[0]


@dataclass
class WideAndDeep:
    """A model's deep chain (its layers from the integer TextVectorization to the output Dense)
    and its tf-idf branch."""

    chain: List[Any]
    tfidf: Any  # the tf_idf TextVectorization
    unit_normalization: bool
    deep_first: bool  # Concatenate order: [deep, wide] or [wide, deep]
    deep_width: int
    wide_width: int
    head: Any  # the output Dense

    def attach(self, text: Dict[str, Any], vocabulary: List[str], converted: ConvertedLayers) -> Tuple[List[str], Dict[str, Any]]:
        """Makes `converted` (the chain's bundle layers) read the union vocabulary and adds the
        bag tensors; returns that vocabulary and the manifest's ``bag`` object."""
        tfidf_vocabulary, idf = self._tfidf_vocabulary(text)
        words = [token for token in tfidf_vocabulary[1:] if " " not in token]
        pairs = [tuple(token.split(" ")) for token in tfidf_vocabulary[1:] if " " in token]
        known = set(words)
        union = ["", "[UNK]"] + words + [word for word in vocabulary[2:] if word not in known]
        present = set(union)
        for pair in pairs:
            for word in pair:
                if word not in present:
                    union.append(word)
                    present.add(word)
        ids = {word: index for index, word in enumerate(union)}
        unigrams = 2 + len(words)

        # The integer branch: every word's embedding row, the OOV row for words it never had.
        embedding = converted.layers[0]
        table = self._tensor(converted, embedding["weights"]["embeddings"])
        old_ids = {word: index for index, word in enumerate(vocabulary)}
        rows = [old_ids.get(word, OOV_FEATURE) for word in union]
        rows[0] = 0
        self._replace(converted, embedding["weights"]["embeddings"], table[rows])
        embedding["input_dim"] = len(union)
        converted.embedding_rows = len(union)

        # The output Dense: the deep rows stay, the tf-idf rows become the bag's kernel.
        head = converted.layers[-1]
        kernel = self._tensor(converted, head["weights"]["kernel"])
        if kernel.shape[0] != self.deep_width + self.wide_width:
            raise KerasExportError(f"its kernel has {kernel.shape[0]} rows, not {self.deep_width} + {self.wide_width}", self.head)
        deep_rows = slice(0, self.deep_width) if self.deep_first else slice(self.wide_width, None)
        wide = kernel[slice(self.deep_width, None) if self.deep_first else slice(0, self.wide_width)]
        self._replace(converted, head["weights"]["kernel"], kernel[deep_rows])

        keys = sorted((ids[first], ids[second]) for first, second in pairs)
        if not keys:
            raise KerasExportError("its vocabulary holds no bigrams; the bag branch needs at least one", self.tfidf)
        rank = {key: index for index, key in enumerate(keys)}
        features = unigrams + len(keys)
        bag_idf = np.zeros(features, dtype=np.float32)
        bag_kernel = np.zeros((features, kernel.shape[1]), dtype=np.float32)
        for column, token in enumerate(tfidf_vocabulary):
            if column == 0:
                feature = OOV_FEATURE
            elif " " in token:
                first, second = token.split(" ")
                feature = unigrams + rank[(ids[first], ids[second])]
            else:
                feature = ids[token]
            bag_idf[feature] = idf[column]
            bag_kernel[feature] = wide[column]
        # Columns past the vocabulary (pad_to_max_tokens) are always 0 in Keras: nothing to copy.
        converted.tensors += [
            Tensor("bag/idf", bag_idf),
            Tensor("bag/bigrams", np.asarray(keys, dtype=np.float32).reshape(len(keys), 2)),
            Tensor("bag/kernel", bag_kernel),
        ]
        bag = {
            "unigrams": unigrams, "bigrams": len(keys), "tf": "count",
            "norm": "l2" if self.unit_normalization else "none", "oov_bigrams": True,
        }
        return union, bag

    def _tfidf_vocabulary(self, text: Dict[str, Any]) -> Tuple[List[str], np.ndarray]:
        """The tf-idf layer's vocabulary and idf weights, refusing what the bag cannot mirror."""
        layer = self.tfidf
        config = layer.get_config()
        if text["ngrams"] != 1:
            raise KerasExportError(
                f"the integer TextVectorization has ngrams={text['ngrams']}; beside a tf_idf branch it must read words only (ngrams=None)", layer)
        if _standardize_name(config.get("standardize"), layer) != text["standardize"]:
            raise KerasExportError(
                f"standardize={config.get('standardize')!r} differs from the integer TextVectorization's "
                f"{text['standardize']!r}; the bundle tokenizes the text once, for both", layer)
        if config.get("split") != "whitespace":
            raise KerasExportError(f"split={config.get('split')!r}: the bundle splits on whitespace only", layer)
        if str(config.get("encoding") or "utf-8").lower().replace("-", "") != "utf8":
            raise KerasExportError(f"encoding={config.get('encoding')!r}: the bundle reads UTF-8 text", layer)
        if _ngram_count(config.get("ngrams"), layer) != 2:
            raise KerasExportError(
                f"ngrams={config.get('ngrams')!r}: the bag branch exports unigrams with bigrams (ngrams=2)", layer)
        vocabulary = [token.decode("utf-8") if isinstance(token, bytes) else str(token)
                      for token in layer.get_vocabulary(include_special_tokens=True)]
        if not vocabulary or vocabulary[0] != "[UNK]" or len(set(vocabulary)) != len(vocabulary):
            raise KerasExportError("its vocabulary must start with \"[UNK]\" (one OOV index, no mask token) and hold each token once", layer)
        for token in vocabulary[1:]:
            if not token or token.count(" ") > 1 or token.startswith(" ") or token.endswith(" ") or token == "[UNK]":
                raise KerasExportError(f"vocabulary entry {token!r} is neither a word nor a bigram \"a b\"", layer)
        lookup = getattr(layer, "_lookup_layer", None)
        weights = getattr(lookup, "idf_weights", None)
        if weights is None:
            raise KerasExportError("it has no idf weights (adapt() it, or pass vocabulary= with idf_weights=)", layer)
        idf = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float32)
        if idf.ndim != 1 or idf.shape[0] < len(vocabulary) or self.wide_width < len(vocabulary):
            raise KerasExportError(
                f"{idf.shape[0]} idf weights and {self.wide_width} outputs for a vocabulary of {len(vocabulary)}", layer)
        return vocabulary, idf[: len(vocabulary)]

    @staticmethod
    def _tensor(converted: ConvertedLayers, name: str) -> np.ndarray:
        return np.asarray(next(tensor for tensor in converted.tensors if tensor.name == name).values, dtype=np.float32)

    @staticmethod
    def _replace(converted: ConvertedLayers, name: str, values: np.ndarray) -> None:
        index = next(index for index, tensor in enumerate(converted.tensors) if tensor.name == name)
        converted.tensors[index] = Tensor(name, values)


def _tfidf_branch(tensor: Any, start: Any, keras: Any) -> Optional[Tuple[Any, bool]]:
    """(the tf_idf TextVectorization, whether UnitNormalization follows it) when `tensor` is the
    tf-idf of the model input, else None."""
    operation, tensor = _skip_no_ops(tensor, keras)
    normalized = _exact_class(operation, keras) == "UnitNormalization"
    if normalized:
        axis = operation.axis if isinstance(operation.axis, (list, tuple)) else [operation.axis]
        if list(axis) not in ([-1], [1]):
            raise KerasExportError(f"axis={operation.axis!r}: only the feature axis (-1) can be normalized", operation)
        operation, tensor = _skip_no_ops(_tensors(_producer(tensor)[1], keras)[0], keras)
    if type(operation) is not keras.layers.TextVectorization or operation.get_config().get("output_mode") != "tf_idf":
        if normalized:
            raise KerasExportError("UnitNormalization exports only right after a tf_idf TextVectorization", operation)
        return None
    inputs = _tensors(_producer(tensor)[1], keras)
    if len(inputs) != 1 or inputs[0] is not start:
        raise KerasExportError("the tf_idf TextVectorization must read the model's text input", operation)
    return operation, normalized


def wide_and_deep(model: Any, keras: Any) -> Optional[WideAndDeep]:
    """The parts of a wide-and-deep `model` (see the module's doc), or None for any other model
    (which the chain exporter then takes or refuses)."""
    if not _is_functional(model, keras) or len(model.inputs) != 1 or len(model.outputs) != 1:
        return None
    head, _ = _producer(model.outputs[0])
    if _exact_class(head, keras) != "Dense":
        return None
    arguments = _tensors(_producer(model.outputs[0])[1], keras)
    if len(arguments) != 1:
        return None
    merge, merged = _skip_no_ops(arguments[0], keras)
    if _exact_class(merge, keras) != "Concatenate":
        return None
    parts = _tensors(_producer(merged)[1], keras)
    start = model.inputs[0]
    branches = [_tfidf_branch(part, start, keras) for part in parts]
    if not any(branches):
        return None  # no tf-idf branch: the chain exporter refuses the merge
    if len(parts) != 2 or sum(branch is not None for branch in branches) != 1:
        raise KerasExportError(
            "a Concatenate before the output exports only as [recurrent features, tf_idf TextVectorization] "
            "(in either order)", merge)
    if merge.axis not in (-1, 1):
        raise KerasExportError(f"axis={merge.axis}: only the feature axis (-1) can be concatenated", merge)
    wide_index = 0 if branches[0] is not None else 1
    tfidf, normalized = branches[wide_index]
    deep = parts[1 - wide_index]
    chain = layer_chain(keras.Model(model.inputs, deep), keras) + [head]
    if not chain or type(chain[0]) is not keras.layers.TextVectorization:
        raise KerasExportError("the recurrent branch must start with an integer TextVectorization of the text input", model)
    return WideAndDeep(
        chain=chain, tfidf=tfidf, unit_normalization=normalized, deep_first=wide_index == 1,
        deep_width=int(deep.shape[-1]), wide_width=int(parts[wide_index].shape[-1]), head=head)

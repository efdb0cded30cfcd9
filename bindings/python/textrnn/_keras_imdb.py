"""A ``keras.datasets.imdb``-style word index -> the bundle's ``text`` pipeline.

Models trained on ``keras.datasets.imdb.load_data(num_words=..., index_from=3, start_char=1,
oov_char=2)`` read ids, not text: each review is ``[start_char]`` followed by ``rank + index_from``
per word (ranks from ``imdb.get_word_index()``, 1 = most frequent), every id ``>= num_words``
replaced by ``oov_char``, then usually ``pad_sequences``. The bundle gives the same ids for raw
text: Keras's ``text_to_word_sequence`` (``str.lower()``, its filter characters replaced by
spaces, split on spaces), the word's id, the start token first, padding and truncation.

The vocabulary is laid out in Keras's ids: id 0 ``""``, ``start_char`` ``"[START]"``,
``oov_char`` ``"[OOV]"``, ids below ``index_from`` that neither uses (and ranks the index skips)
``"[unused ID]"`` (a space inside: no word can match it), then the words by rank up to
``num_words - 1``. The Embedding's rows therefore copy over unchanged.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Union

from ._keras_errors import KerasExportError
from ._keras_text import TextPipeline, sequence_length_option, unique_vocabulary

START_TOKEN = "[START]"  # Vocabulary.startToken in the runtime
OOV_TOKEN = "[OOV]"  # not "[UNK]", which a bundle would expect at id 1
IMDB_OPTIONS = ("num_words", "index_from", "start_char", "oov_char")


def _load_word_index(word_index: Union[Mapping[str, int], str, os.PathLike]) -> Mapping[str, Any]:
    if isinstance(word_index, (str, os.PathLike)):
        with open(word_index, encoding="utf-8") as handle:
            loaded = json.load(handle)
        if not isinstance(loaded, dict):
            raise KerasExportError(f"{os.fspath(word_index)}: expected a JSON object of word -> rank (imdb_word_index.json)")
        return loaded
    if not isinstance(word_index, Mapping):
        raise TypeError("imdb_word_index must be a dict of word -> rank or the path of its JSON file")
    return word_index


def _integer(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise KerasExportError(f"{name}={value!r} must be an integer >= {low}")
    return value


def from_imdb_word_index(
    word_index: Union[Mapping[str, int], str, os.PathLike], *, num_words: Optional[int], index_from: int,
    start_char: Optional[int], oov_char: Optional[int], sequence_length: Optional[int], padding: Optional[str],
    truncating: Optional[str],
) -> TextPipeline:
    """The pipeline giving ``keras.datasets.imdb``'s ids for raw text (see the module docstring).
    `num_words` None keeps every word of the index; `padding`/`truncating` default to
    ``pad_sequences``'s ``"pre"``."""
    words = _load_word_index(word_index)
    index_from = _integer("index_from", index_from, 1)
    if oov_char is None:
        raise KerasExportError("oov_char=None drops unknown words from the ids; the bundle can only map them to an id")
    oov_char = _integer("oov_char", oov_char, 1)
    specials = {oov_char: OOV_TOKEN}
    if start_char is not None:
        start_char = _integer("start_char", start_char, 1)
        if start_char == oov_char:
            raise KerasExportError(f"start_char and oov_char are both {oov_char}")
        specials[start_char] = START_TOKEN
    if max(specials) >= index_from:
        raise KerasExportError(f"start_char and oov_char must be below index_from={index_from}, where word ids begin")
    ranks: Dict[int, str] = {}
    for word, rank in words.items():
        rank = _integer(f"imdb_word_index[{word!r}]", rank, 1)
        if rank in ranks:
            raise KerasExportError(f"imdb_word_index: {ranks[rank]!r} and {word!r} share rank {rank}")
        ranks[rank] = str(word)
    if not ranks:
        raise KerasExportError("imdb_word_index is empty")
    size = max(ranks) + index_from + 1 if num_words is None else _integer("num_words", num_words, index_from + 1)
    vocabulary: List[str] = [""]
    for token_id in range(1, size):
        token = specials.get(token_id) if token_id < index_from else ranks.get(token_id - index_from)
        vocabulary.append(token if token is not None else f"[unused {token_id}]")
    text: Dict[str, Any] = {
        "standardize": "keras_text_to_word_sequence",
        "replace_html_breaks": False,
        "split": "space",
        "ngrams": 1,
        "sequence_length": sequence_length_option(sequence_length, None),
        "padding": padding or "pre",
        "truncating": truncating or "pre",
        "oov_token": OOV_TOKEN,
    }
    for side in ("padding", "truncating"):
        if text[side] not in ("pre", "post"):
            raise KerasExportError(f"{side}={text[side]!r} must be \"pre\" or \"post\"")
    if start_char is not None:
        text["start_token"] = START_TOKEN
    return text, unique_vocabulary(vocabulary, None)

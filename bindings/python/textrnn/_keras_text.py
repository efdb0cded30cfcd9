"""Keras ``TextVectorization`` (or a plain vocabulary list) -> the bundle's ``text`` pipeline.

The runtime reproduces exactly one family of Keras pipelines: the built-in standardizations
(ASCII lowercasing, stripping Keras's 32 punctuation characters), whitespace splitting, n-grams
1..n up to 3, a StringLookup with "" at id 0 and "[UNK]" at id 1, and post padding/truncation
(TextVectorization) or any padding side (a vocabulary list with explicit options). Anything else
(a Python standardize or split callable, character splitting, multi-hot or TF-IDF output, ...)
is refused, because the bundle would tokenize differently from Keras.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._keras_errors import KerasExportError

STANDARDIZATIONS = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
MAX_SEQUENCE_LENGTH = 1 << 20
PIPELINE_OPTIONS = ("standardize", "split", "ngrams", "sequence_length", "padding", "truncating", "replace_html_breaks")
DEFAULT_OPTIONS: Dict[str, Any] = {
    "standardize": "lower_and_strip_punctuation",
    "split": "whitespace",
    "ngrams": 1,
    "sequence_length": None,
    "padding": "post",
    "truncating": "post",
    "replace_html_breaks": False,
}

TextPipeline = Tuple[Dict[str, Any], List[str]]


def _standardize_name(value: Any, where: Optional[Any]) -> str:
    if value is None or value == "none":
        return "none"
    if callable(value):
        raise KerasExportError(
            "standardize is a custom callable; the bundle can only run the built-in "
            f"standardizations ({', '.join(STANDARDIZATIONS)} or None). Export with the vocabulary "
            "list and explicit options (replace_html_breaks covers the IMDB tutorial's <br /> "
            "handling) if your function is equivalent to one of them", where)
    if value not in STANDARDIZATIONS:
        raise KerasExportError(f"standardize={value!r} is not one of {', '.join(STANDARDIZATIONS)} or None", where)
    return str(value)


def _ngram_count(value: Any, where: Any) -> int:
    """Keras's ngrams argument -> the bundle's n (unigrams up to n-grams)."""
    if value is None:
        return 1
    widths = tuple(range(1, value + 1)) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(widths, (tuple, list)) and tuple(widths) in ((1,), (1, 2), (1, 2, 3)):
        return len(widths)
    raise KerasExportError(
        f"ngrams={value!r}: the bundle supports unigrams plus optional bigrams and trigrams "
        "(ngrams None, 2, 3, (1, 2) or (1, 2, 3))", where)


def sequence_length_option(value: Any, where: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SEQUENCE_LENGTH:
        raise KerasExportError(f"sequence length {value!r} must be None or an integer in 1...{MAX_SEQUENCE_LENGTH}", where)
    return value


def unique_vocabulary(tokens: Sequence[Any], where: Any) -> List[str]:
    """`tokens` as strings, refusing an empty entry after id 0 and repeated entries."""
    vocabulary = [token.decode("utf-8") if isinstance(token, bytes) else str(token) for token in tokens]
    seen = set()
    for index, token in enumerate(vocabulary):
        if index > 0 and not token:
            raise KerasExportError(f"vocabulary entry {index} is empty; only id 0 may be \"\"", where)
        if token in seen:
            raise KerasExportError(f"vocabulary entry {index} ({token!r}) appears twice", where)
        seen.add(token)
    return vocabulary


def _checked_vocabulary(tokens: Sequence[Any], where: Any) -> List[str]:
    vocabulary = unique_vocabulary(tokens, where)
    if vocabulary[:2] != ["", "[UNK]"]:
        raise KerasExportError(
            'the vocabulary must start with "" (id 0, padding) and "[UNK]" (id 1, out of vocabulary), '
            "the ids TextVectorization gives them; pass get_vocabulary() with include_special_tokens=True", where)
    return vocabulary


def from_text_vectorization(layer: Any) -> TextPipeline:
    """The text pipeline of a Keras 3 TextVectorization layer, refusing settings it cannot mirror."""
    config = layer.get_config()
    if config.get("output_mode") != "int":
        raise KerasExportError(
            f"output_mode={config.get('output_mode')!r}: a recurrent model reads token ids; only output_mode=\"int\" exports", layer)
    split = config.get("split")
    if split != "whitespace":
        shown = "a custom callable" if callable(split) else repr(split)
        raise KerasExportError(f"split={shown}: the bundle splits on whitespace only", layer)
    encoding = str(config.get("encoding") or "utf-8").lower().replace("-", "")
    if encoding != "utf8":
        raise KerasExportError(f"encoding={config.get('encoding')!r}: the bundle reads UTF-8 text", layer)
    length = sequence_length_option(config.get("output_sequence_length"), layer)
    if config.get("ragged") and length is not None:
        raise KerasExportError(
            "ragged=True with output_sequence_length truncates without padding, which the bundle "
            "cannot express; drop one of the two", layer)
    text = {
        "standardize": _standardize_name(config.get("standardize"), layer),
        "replace_html_breaks": False,
        "split": "whitespace",
        "ngrams": _ngram_count(config.get("ngrams"), layer),
        "sequence_length": length,
        # TextVectorization pads and truncates at the end.
        "padding": "post",
        "truncating": "post",
    }
    return text, _checked_vocabulary(layer.get_vocabulary(include_special_tokens=True), layer)


def from_vocabulary(tokens: Sequence[Any], options: Dict[str, Any]) -> TextPipeline:
    """A pipeline from an explicit vocabulary (id order) and options named as in ``export()``."""
    where = None  # the options and list are the caller's, not a Keras layer's
    settings = {**DEFAULT_OPTIONS, **{key: value for key, value in options.items() if value is not None}}
    if settings["split"] != "whitespace":
        raise KerasExportError(f"split={settings['split']!r}: the bundle splits on whitespace only", where)
    for side in ("padding", "truncating"):
        if settings[side] not in ("pre", "post"):
            raise KerasExportError(f"{side}={settings[side]!r} must be \"pre\" or \"post\"", where)
    if not isinstance(settings["replace_html_breaks"], bool):
        raise KerasExportError("replace_html_breaks must be True or False", where)
    text = {
        "standardize": _standardize_name(settings["standardize"], where),
        "replace_html_breaks": settings["replace_html_breaks"],
        "split": "whitespace",
        "ngrams": _ngram_count(settings["ngrams"], where),
        "sequence_length": sequence_length_option(settings["sequence_length"], where),
        "padding": settings["padding"],
        "truncating": settings["truncating"],
    }
    return text, _checked_vocabulary(list(tokens), where)
